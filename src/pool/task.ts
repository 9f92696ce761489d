// What crosses between the runner (main thread) and a pool worker.
// Only structured-clonable data: the setting travels as its canonical key,
// the unit's bytes as a SharedArrayBuffer window (shared, never copied).

import type { TimingOptions } from '../measure/timing.js';

export interface SharedBytes {
  buffer: SharedArrayBuffer;
  offset: number;
  length: number;
}

/** Test-only fault to inject in the worker, after compression (mid-cell). */
export type WorkerFault = 'exit' | 'throw';

export interface CellTask {
  /** Canonical setting key (CodecSetting.key). */
  spec: string;
  input: SharedBytes;
  timing: TimingOptions;
  fault?: WorkerFault;
  /**
   * A block cell: `input` is cut at these end offsets (ascending, the last
   * = input.length) and each block is compressed on its own, round-tripped
   * and timed (src/partition/blocks.ts).
   */
  blocks?: number[];
  /** Bytes compressed once more as one stream with the same setting and verified: only their size is reported (a cold cell's hot code). */
  alongside?: SharedBytes;
}

/** What a block cell measures per block. */
export interface BlockMeasurement {
  compressedBytes: number[];
  /** Median over the timed runs of each block's warm decompression. */
  decompressMsMedian: number[];
}

/** A verified measurement. A worker never returns one for a failed round trip: it throws. */
export interface CellMeasurement {
  compressedBytes: number;
  compressMs: number;
  decompressMsMedian: number;
  decompressMsMad: number;
  decompressRuns: number;
  verified: true;
  /** worker_threads threadId that ran the cell. */
  worker: number;
  startedAt: string;
  finishedAt: string;
  /** Block cells: per-block sizes and times; compressedBytes is their sum, decompressMs* are of one run over every block. */
  blocks?: BlockMeasurement;
  /** Compressed size of CellTask.alongside, when given. */
  alongsideCompressedBytes?: number;
}

/** Exit code a worker uses for an injected 'exit' fault. */
export const FAULT_EXIT_CODE = 70;
