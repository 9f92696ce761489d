// The kallsyms reader's shared vocabulary: the public result types, its
// error, the size limits of scripts/kallsyms.c's tables, and what each step
// found (token tables, name tables).

import { KzError } from '../../errors.js';

export interface KallsymsSymbol {
  name: string;
  type: string;
  address: bigint;
}
export interface KallsymsHints {
  wordSize: 4 | 8;
  littleEndian: boolean;
}
export interface KallsymsResult {
  symbols: KallsymsSymbol[];
  /** e.g. "6.4+ relative, seqs_of_names" */
  layout: string;
  /** Offset in the image of the lowest kallsyms table found. */
  tablesOffset: number;
}

export class KallsymsError extends KzError {
  constructor(message: string) {
    super(message);
    this.name = 'KallsymsError';
  }
}

/** Longest token a real token table holds is far below this. */
export const MAX_TOKEN = 256;
/** A compressed name is at most KSYM_NAME_LEN (512) token bytes plus a 2-byte length. */
export const MAX_ENTRY = 514;
/** Bytes of names between two markers: 256 entries of 2..MAX_ENTRY bytes. */
export const MIN_MARKER_STEP = 256 * 2;
export const MAX_MARKER_STEP = 256 * MAX_ENTRY;

export interface TokenTables {
  tokenTable: number;
  tokenIndex: number;
  tokens: string[];
  /** Residue of the tables' alignment: label offsets are == phase mod word. */
  phase: number;
}

export interface NameTables {
  numSymsOff: number;
  names: number;
  markers: number;
  markerValues: number[];
  n: number;
  /** kallsyms_seqs_of_names between markers and token_table (6.2/6.3). */
  seqs?: { off: number; width: 3 | 4 };
}
