// A candidate before it is evaluated, its boot time, and the number format of
// its reasons and bases.

import type { Board } from '../boards.js';
import { flashReadMs } from '../boards.js';
import type { Candidate, Strategy } from './types.js';

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
    read_ms: null,
    decompress_ms: null,
    boot_source: '',
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

/** Boot time of a candidate that reads `readBytes` from storage and decompresses: unknown when the decompression is. */
export function bootTime(c: Candidate, board: Board, readBytes: number, dec: { ms: number | null; source: string }): void {
  c.read_ms = flashReadMs(board, readBytes);
  c.decompress_ms = dec.ms;
  c.boot_source = dec.source;
  c.boot_ms = dec.ms === null ? null : (c.read_ms ?? 0) + dec.ms;
}
