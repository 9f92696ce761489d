// The codec table: one row per algorithm (codecs/<name>.ts), in the order
// reports list them. The Algorithm type and ALGORITHMS come from it; every
// part of kzbench that needs to know something about an algorithm (setting
// syntax, kernel profiles, the pool's memory and cost estimates, the
// backends) asks its row.
import { bzip2 } from './bzip2.js';
import type { Backend, CodecDescriptor } from './descriptor.js';
import { gzip } from './gzip.js';
import { lz4 } from './lz4.js';
import { lzma, xz } from './lzma.js';
import { lzo } from './lzo.js';
import { zstd } from './zstd.js';

const TABLE = [gzip, bzip2, lzma, xz, lzo, lz4, zstd] as const;

/** The kernel's seven image compressors. */
export type Algorithm = (typeof TABLE)[number]['name'];

type Names<Rows extends readonly CodecDescriptor[]> = { readonly [I in keyof Rows]: Rows[I]['name'] };
export const ALGORITHMS = TABLE.map((row) => row.name) as unknown as Names<typeof TABLE>;

export function isAlgorithm(s: string): s is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(s);
}

const rows = new Map<string, CodecDescriptor>(TABLE.map((row) => [row.name, row]));

/**
 * Add a row at run time: a codec kzbench was not built with (tests use this
 * for a made-up algorithm). It is known to parseSetting, compress,
 * decompress, decodeStream, the pool's estimates and backendVersions in this
 * thread; a worker gets it by loading a codec module that registers it.
 * Its name is not an Algorithm (that type is the built-in rows).
 */
export function registerCodec(row: CodecDescriptor): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(row.name)) throw new Error(`codec name "${row.name}": expected lower-case letters, digits, _ or -`);
  if (rows.has(row.name)) throw new Error(`codec "${row.name}" is already in the table`);
  rows.set(row.name, row);
}

/** The row for a name, or undefined. */
export function codecRow(name: string): CodecDescriptor | undefined {
  return rows.get(name);
}

/** Every row: the built-in ones in table order, then any registered. */
export function codecRows(): CodecDescriptor[] {
  return [...rows.values()];
}

/** Every backend of every row, once each. */
export function backends(): Backend[] {
  const seen = new Map<string, Backend>();
  for (const row of rows.values()) for (const b of row.backends) if (!seen.has(b.name)) seen.set(b.name, b);
  return [...seen.values()];
}

/** The levels each built-in algorithm's tool accepts. */
export const LEVEL_RANGES = Object.fromEntries(TABLE.map((row) => [row.name, row.levels])) as Record<Algorithm, readonly [number, number]>;
