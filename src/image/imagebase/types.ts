// What the image-base finder returns and takes, and the fewest votes a base
// needs.

export interface ImageBase {
  /** Virtual address of image[0]. */
  base: bigint;
  /** How it was found, e.g. "__ksymtab PREL32 (12-byte entries)". */
  method: string;
  /** Entries that agree on `base`. */
  votes: number;
  /** Entries that voted for some base. */
  candidates: number;
}

export interface ImageBaseHints {
  wordSize: 4 | 8;
  littleEndian: boolean;
}

/** Fewest agreeing entries for a result (a real kernel exports thousands). */
export const MIN_VOTES = 16;

export type Symbols = readonly { name: string; address: bigint }[];
