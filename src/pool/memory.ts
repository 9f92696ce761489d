// Conservative per-cell memory estimates and the default budget.
//
// A cell holds, at its peak: the codec's encoder state, then its decoder
// state, the compressed stream (at worst a little over the input), the
// preallocated decompression buffer (the input's size) and some slack for
// the worker's own heap churn. The unit's input bytes are shared
// (SharedArrayBuffer in the main thread) and not counted per cell.
//
// The codec state figures are each codec row's (src/codecs/<name>.ts,
// stateBytes), from the libraries' own documentation. Every figure is
// rounded up; being wrong on the high side only costs parallelism.

import { freemem } from 'node:os';

import { codecRow } from '../codecs/table.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The part of a codec setting the estimate reads (a CodecSetting fits). */
export interface SettingForMemory {
  algorithm: string;
  params: Readonly<Record<string, unknown>>;
}

/** Encoder + decoder state, in bytes, for one setting (not counting I/O buffers). */
export function codecStateBytes(setting: SettingForMemory, unitBytes: number): number {
  const row = codecRow(setting.algorithm);
  // Unknown to the table (a stand-in codec module): assume a heavyweight.
  return row ? row.stateBytes(setting.params, unitBytes) : 256 * MiB;
}

/** Bytes a cell may need at its peak: codec state + compressed + output buffer + slack. */
export function estimateCellMemory(setting: SettingForMemory, unitBytes: number): number {
  const compressedWorst = Math.ceil(unitBytes * 1.01) + 64 * KiB;
  // Compressed buffer may be over-allocated then copied once: count it twice.
  return codecStateBytes(setting, unitBytes) + 2 * compressedWorst + unitBytes + 8 * MiB;
}

/**
 * Default budget for concurrently running cells: `fraction` (default 0.6)
 * of the memory available now (process.availableMemory(), which honours
 * cgroup limits, where Node has it; else os.freemem()).
 */
export function defaultMemoryBudget(fraction = 0.6): number {
  const proc = process as unknown as { availableMemory?: () => number; constrainedMemory?: () => number };
  let available = typeof proc.availableMemory === 'function' ? proc.availableMemory() : freemem();
  if (!(available > 0)) available = freemem();
  return Math.max(64 * MiB, Math.floor(available * fraction));
}
