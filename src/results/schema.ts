// results.csv: one tidy row per cell. Column names are a contract with
// notebooks and the project's reader (docs: docs/results.md).
//
// Units: *_bytes in bytes; *_ms in milliseconds; decompress_mb_s in MB/s of
// uncompressed (output) bytes with MB = 1e6 bytes, computed from the median;
// ratio = unit_bytes / compressed_bytes (higher is better).
// decompress_ms_mad is the unscaled median absolute deviation of the timed
// runs. verified is true only when the decoded bytes were compared equal to
// the unit's bytes; a failed cell has verified=false, an error, and empty
// measurement columns.

import { createHash } from 'node:crypto';

/** Columns the issue names as the contract, in order. */
export const CONTRACT_COLUMNS = [
  'image',
  'image_sha256',
  'unit',
  'unit_bytes',
  'algorithm',
  'setting',
  'backend',
  'compressed_bytes',
  'ratio',
  'compress_ms',
  'decompress_ms_median',
  'decompress_ms_mad',
  'decompress_runs',
  'decompress_mb_s',
  'verified',
] as const;

/**
 * The setting's parameters (CodecSetting.params from src/codecs) as separate
 * columns: a stable set, empty where a parameter does not apply to the
 * algorithm. Names a future codec adds that are not listed here still appear
 * in the canonical `setting` key, which always says everything.
 */
export const PARAM_COLUMNS = [
  // every algorithm
  'level',
  'size_append',
  // xz, lzma (every LZMA2 field, resolved from the preset)
  'preset',
  'extreme',
  'dict_bytes',
  'lc',
  'lp',
  'pb',
  'mode',
  'nice',
  'mf',
  'depth',
  'bcj',
  'check',
  // zstd
  'window_log',
  'long',
  'workers',
  'checksum',
  // lz4
  'frame',
  'block',
  'linked',
  'content_size',
  'block_checksum',
  'favor_dec_speed',
  // lzo
  'method',
  'mtime',
] as const;

export const EXTRA_COLUMNS = [
  'unit_kind',
  'unit_offset',
  'error',
  'attempts',
  'worker',
  'cell_id',
  'started_at',
  'finished_at',
] as const;

/**
 * Cold-code cells (`kzbench cold`, unit_kind `cold`): the partition, the
 * blocks, the flash/RAM totals and the held-out replay. Empty on other rows.
 */
export const COLD_COLUMNS = [
  'trace',
  'layout',
  'layout_trace',
  'block_bytes',
  'blocks',
  'index_bytes',
  'function_bytes',
  'hot_functions',
  'hot_bytes',
  'cold_functions',
  'hole_bytes',
  'hot_compressed_bytes',
  'max_span_bytes',
  'block_decompress_ms_median',
  'flash_xip_bytes',
  'ram_xip_bytes',
  'flash_ram_bytes',
  'ram_ram_bytes',
  'holdout_trace',
  'holdout_functions',
  'holdout_misses',
  'holdout_bytes',
  'holdout_raw_bytes',
  'holdout_ms',
] as const;

/**
 * How trustworthy the decompression time is (docs/results.md, "Timing on a
 * busy machine"): the thread-CPU-time figures beside the wall-clock ones,
 * how many samples were disturbed (the thread was off the CPU), hyperfine's
 * outliers and a verdict. Empty on failed rows and in files written before
 * they existed.
 */
export const TIMING_COLUMNS = [
  'decompress_cpu_ms_median',
  'decompress_cpu_ms_mad',
  'decompress_cpu_mb_s',
  'decompress_samples',
  'decompress_disturbed',
  'decompress_outliers',
  'decompress_nivcsw',
  'timing_quality',
  'decompress_others_cores',
] as const;

/**
 * The kernel's own decompressor (`--decoder kernel`, src/kdecoder): its
 * median and MAD of the runs' thread CPU time, runs, MB/s, which build
 * (kernel source version and arch) and why it failed. Empty when the kernel
 * decoder was not asked for, and in files written before they existed.
 */
export const KERNEL_DECODER_COLUMNS = [
  'kernel_decompress_ms_median',
  'kernel_decompress_ms_mad',
  'kernel_decompress_runs',
  'kernel_decompress_mb_s',
  'kernel_decoder',
  'kernel_decoder_error',
] as const;

export const COLUMNS = [...CONTRACT_COLUMNS, ...PARAM_COLUMNS, ...EXTRA_COLUMNS, ...COLD_COLUMNS, ...TIMING_COLUMNS, ...KERNEL_DECODER_COLUMNS] as const;
export type KernelDecoderColumn = (typeof KERNEL_DECODER_COLUMNS)[number];
export type KernelDecoderColumns = { [K in KernelDecoderColumn]?: K extends 'kernel_decoder' | 'kernel_decoder_error' ? string : number | null };

export type TimingColumn = (typeof TIMING_COLUMNS)[number];
/** 'ok' | 'disturbed' | 'wide' on a measured row written since the column exists; '' (or absent) otherwise. */
export type TimingColumns = { [K in TimingColumn]?: K extends 'timing_quality' ? string : number | null };

export type ColdColumn = (typeof COLD_COLUMNS)[number];
/** The text ones among them; every other cold column is a number. */
export const COLD_TEXT_COLUMNS: ReadonlySet<string> = new Set(['trace', 'layout', 'layout_trace', 'holdout_trace']);
export type ColdColumns = { [K in ColdColumn]?: K extends 'trace' | 'layout' | 'layout_trace' | 'holdout_trace' ? string : number | null };

export type ParamColumn = (typeof PARAM_COLUMNS)[number];
export type Column = (typeof COLUMNS)[number];
export type ParamValue = string | number | boolean | null;

export interface CoreRow {
  image: string;
  image_sha256: string;
  unit: string;
  unit_bytes: number;
  algorithm: string;
  /** Canonical setting key (parseSetting(setting) gives the setting back). */
  setting: string;
  backend: string;
  compressed_bytes: number | null;
  ratio: number | null;
  compress_ms: number | null;
  decompress_ms_median: number | null;
  decompress_ms_mad: number | null;
  decompress_runs: number | null;
  decompress_mb_s: number | null;
  verified: boolean;
  unit_kind: string;
  unit_offset: number | null;
  /** Why the cell failed (last attempt first); empty when it did not. */
  error: string;
  attempts: number;
  /** worker_threads threadId of the worker that produced the row. */
  worker: number | null;
  cell_id: string;
  started_at: string;
  finished_at: string;
}

export type ResultRow = CoreRow & { [K in ParamColumn]: ParamValue } & ColdColumns & TimingColumns & KernelDecoderColumns;

/** Columns whose values are numbers (or empty). */
export const NUMERIC_COLUMNS: ReadonlySet<string> = new Set([
  'unit_bytes',
  'compressed_bytes',
  'ratio',
  'compress_ms',
  'decompress_ms_median',
  'decompress_ms_mad',
  'decompress_runs',
  'decompress_mb_s',
  'unit_offset',
  'attempts',
  'worker',
  ...COLD_COLUMNS.filter((c) => !COLD_TEXT_COLUMNS.has(c)),
  ...TIMING_COLUMNS.filter((c) => c !== 'timing_quality'),
  ...KERNEL_DECODER_COLUMNS.filter((c) => c !== 'kernel_decoder' && c !== 'kernel_decoder_error'),
]);

/**
 * Stable cell identity for resume and sharding: first 16 hex digits of
 * sha256(image_sha256 NUL unit NUL setting key).
 */
export function cellId(imageSha256: string, unit: string, settingKey: string): string {
  return createHash('sha256').update(`${imageSha256}\0${unit}\0${settingKey}`).digest('hex').slice(0, 16);
}

/** Param columns from a setting's params (names not in the stable set are left to the key). */
export function paramColumns(params: Readonly<Record<string, unknown>>): { [K in ParamColumn]: ParamValue } {
  const out = {} as { [K in ParamColumn]: ParamValue };
  for (const c of PARAM_COLUMNS) {
    const v = params[c];
    out[c] = typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' ? v : v == null ? null : String(v);
  }
  return out;
}
