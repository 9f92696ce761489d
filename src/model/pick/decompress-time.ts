// How long a board takes to decompress a payload: its own figure for the
// algorithm, else calibrated against this machine's measured times.

import type { Board } from '../boards.js';
import { decompressionMs } from '../boards.js';
import type { StubAlgorithm } from '../stubs.js';
import type { MeasuredPayload } from './types.js';

/** Decompression on the board: its own figure, else calibrated from one of its figures against this machine. */
export function boardDecompressMs(
  board: Board,
  algorithm: StubAlgorithm,
  m: { payloadBytes: number; outputBytes: number; hostDecompressMs: number | null; hostDecoder?: string },
  all: readonly MeasuredPayload[],
): { ms: number | null; source: string } {
  const direct = decompressionMs(board, algorithm, m.payloadBytes, m.outputBytes);
  const fig = board.decompression?.[algorithm];
  if (direct !== null) return { ms: direct, source: `board figure (${fig!.mb_s} MB/s of ${fig!.rate_of}${fig!.proxy ? `, proxy: ${fig!.measured_on}` : ''})` };
  if (m.hostDecompressMs === null) return { ms: null, source: 'no board figure and no host timing' };
  for (const [ref, f] of Object.entries(board.decompression ?? {})) {
    if (!f || f.rate_of === 'unstated') continue;
    const refM = all.find((x) => x.algorithm === ref && x.hostDecompressMs !== null);
    if (!refM) continue;
    const refBoard = decompressionMs(board, ref as StubAlgorithm, refM.payloadBytes, refM.outputBytes)!;
    const k = refBoard / refM.hostDecompressMs!;
    return {
      ms: m.hostDecompressMs * k,
      source: `calibrated: this machine's ${algorithm} time (${m.hostDecoder ?? 'library'}) x ${k.toFixed(1)} (the board's ${ref} figure / this machine's ${ref} time)`,
    };
  }
  const unstated = Object.keys(board.decompression ?? {});
  return {
    ms: null,
    source: unstated.length ? `no usable board figure (${unstated.join(', ')}: rate not stated as input or output)` : 'the board has no decompression figures',
  };
}
