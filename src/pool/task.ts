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
  /** Index of this task's holder flag in the pool's gate (src/pool/timing-gate.ts); set by CellPool. */
  gateHolder?: number;
  /** Bytes compressed once more as one stream with the same setting and verified: only their size is reported (a cold cell's hot code). */
  alongside?: SharedBytes;
  /** A kernel decoder program (src/kdecoder) to decode the compressed bytes with too, verified and timed. */
  kernelDecoder?: string;
}

/** The kernel decoder's decode of the cell's compressed bytes, or why it could not. */
export type KernelDecodeMeasurement = { cpuMsMedian: number; cpuMsMad: number; runs: number } | { error: string };

/** What a block cell measures per block. */
export interface BlockMeasurement {
  compressedBytes: number[];
  /** Median over the timed runs of each block's warm decompression. */
  decompressMsMedian: number[];
}

/** A verified measurement. A worker never returns one for a failed round trip: it throws. */
/** How the timed decompression went (src/measure/disturbance.ts summarizeSamples). */
export interface TimingMeasurement {
  /** Median thread CPU time of a decode, ms; NaN without the addon's thread clock. */
  cpuMsMedian: number;
  cpuMsMad: number;
  /** Samples found disturbed (off the CPU for more than OFF_CPU_FRACTION of their wall time). */
  disturbed: number;
  /** hyperfine-rule outliers among the samples the median is over. */
  outliers: number;
  /** Involuntary context switches over every timed sample; -1 when unknown. */
  nivcsw: number;
  quality: 'ok' | 'disturbed' | 'wide' | 'shared';
  /** Most cores other processes used (the gate monitor's last interval) when the cell started, and when its timing ended. */
  othersCores?: number;
  /** Every sample timed, the disturbed ones included. */
  samples: number;
  /** ms the cell waited for a slot of the pool's gate before it started (src/pool/timing-gate.ts). */
  gateWaitMs: number;
}

export interface CellMeasurement {
  compressedBytes: number;
  compressMs: number;
  /** Over the clean samples when there are enough (TimingMeasurement.quality not 'disturbed'), else over all. */
  decompressMsMedian: number;
  decompressMsMad: number;
  decompressRuns: number;
  /** Absent from stand-in workers that predate it. */
  timing?: TimingMeasurement;
  verified: true;
  /** worker_threads threadId that ran the cell. */
  worker: number;
  startedAt: string;
  finishedAt: string;
  /** Block cells: per-block sizes and times; compressedBytes is their sum, decompressMs* are of one run over every block. */
  blocks?: BlockMeasurement;
  /** Compressed size of CellTask.alongside, when given. */
  alongsideCompressedBytes?: number;
  /** When CellTask.kernelDecoder was given. */
  kernel?: KernelDecodeMeasurement;
}

/** Exit code a worker uses for an injected 'exit' fault. */
export const FAULT_EXIT_CODE = 70;
