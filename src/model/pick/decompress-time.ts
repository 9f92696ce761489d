// How long a board takes to decompress a payload (src/model/target-time.ts):
// its own figure for the algorithm, else the counted instructions over its
// calibrated speed.

import type { Board } from '../boards.js';
import { decompressEstimate } from '../target-time.js';
import type { MeasuredPayload } from './types.js';

export type DecompressTime = ReturnType<typeof decompressEstimate>;

/** Decompression of one payload on the board, with its range and source. */
export function boardDecompressMs(
  board: Board,
  algorithm: string,
  m: { payloadBytes: number; outputBytes: number },
  all: readonly MeasuredPayload[],
): DecompressTime {
  return decompressEstimate(board, algorithm, m, all);
}
