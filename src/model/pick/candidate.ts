// A candidate before it is evaluated, its boot time, and the number format of
// its reasons and bases.

import type { Board } from '../boards.js';
import { flashReadRange } from '../boards.js';
import { readEstimate, type BootTerms } from '../target-time.js';
import type { DecompressTime } from './decompress-time.js';
import type { Candidate, Strategy } from './types.js';

/** Each timed candidate's boot-time terms, for the ranking (compareBoot); kept out of the candidate's JSON. */
export const bootTerms = new WeakMap<Candidate, BootTerms>();

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A candidate with nothing known yet: no sizes, no times, not fitting, no reason. */
export function blankCandidate(board: Board, strategy: Strategy, algorithm: string, setting: string): Candidate {
  return {
    board: board.name,
    strategy,
    algorithm,
    setting,
    flash_bytes: null,
    ram_bytes: null,
    boot_ms: null,
    boot_ms_low: null,
    boot_ms_high: null,
    read_ms: null,
    read_ms_low: null,
    read_ms_high: null,
    decompress_ms: null,
    decompress_ms_low: null,
    decompress_ms_high: null,
    boot_source: '',
    boot_basis: '',
    boot_rank: null,
    boot_within_range_of: [],
    unchecked: [],
    fits: false,
    reason: '',
    flash_headroom_bytes: null,
    ram_headroom_bytes: null,
    boot_headroom_ms: null,
    pareto: false,
    basis: '',
  };
}

/**
 * Boot time of a candidate that reads `readBytes` from storage and then
 * decompresses (`dec`, or 'none'): read + decompress with their ranges.
 * Unknown when the decompression is; without a read speed the read is left
 * out, and boot_basis says so.
 */
export function bootTime(c: Candidate, board: Board, readBytes: number, dec: DecompressTime | 'none'): void {
  const read = readEstimate(board, readBytes);
  c.read_ms = read?.ms ?? null;
  c.read_ms_low = read?.lo ?? null;
  c.read_ms_high = read?.hi ?? null;
  const readText = read ? `read ${read.source}` : `read: unknown (${board.unknown?.['flash_read_mb_s'] ?? 'no flash_read_mb_s'}), not counted`;
  if (dec !== 'none' && dec.estimate === null) {
    c.boot_source = dec.source;
    c.boot_basis = `${readText}; decompress: ${dec.source}`;
    return;
  }
  const d = dec === 'none' ? { ms: 0, lo: 0, hi: 0, source: 'no decompression' } : dec.estimate;
  c.decompress_ms = d.ms;
  c.decompress_ms_low = d.lo;
  c.decompress_ms_high = d.hi;
  c.boot_source = d.source;
  c.boot_ms = (read?.ms ?? 0) + d.ms;
  c.boot_ms_low = (read?.lo ?? 0) + d.lo;
  c.boot_ms_high = (read?.hi ?? 0) + d.hi;
  c.boot_basis = `${readText}; decompress ${d.source}`;
  bootTerms.set(c, {
    readBytes,
    nominal: dec === 'none' ? 0 : dec.nominal,
    scale: dec === 'none' ? [1, 1] : dec.scale,
    factor: dec === 'none' ? [1, 1] : dec.factor,
    algorithm: c.algorithm,
    read: flashReadRange(board),
  });
}
