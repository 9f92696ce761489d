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
}

/** Exit code a worker uses for an injected 'exit' fault. */
export const FAULT_EXIT_CODE = 70;
