// The results.csv row of a cell: measured, or failed with its attempts' errors.
import { megabytesPerSecond } from '../measure/stats.js';
import type { SettingLike } from '../pool/codec-api.js';
import type { CellMeasurement, SharedBytes } from '../pool/task.js';
import { paramColumns, type KernelDecoderColumns, type ResultRow, type TimingColumns } from '../results/schema.js';
import type { Cell } from './types.js';

/** A cell ready to run: its parsed setting, image, id, memory estimate and shared bytes. */
export interface Prepared {
  index: number;
  cell: Cell;
  setting: SettingLike;
  image: { path: string; sha256: string };
  id: string;
  estimate: number;
  input: SharedBytes;
  alongside?: SharedBytes;
  attempt: number;
  errors: string[];
  firstStart?: string;
}

export function message(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function baseRow(
  p: Prepared,
): Omit<
  ResultRow,
  | 'compressed_bytes'
  | 'ratio'
  | 'compress_ms'
  | 'decompress_ms_median'
  | 'decompress_ms_mad'
  | 'decompress_runs'
  | 'decompress_mb_s'
  | 'verified'
  | 'error'
  | 'worker'
  | 'started_at'
  | 'finished_at'
> {
  return {
    image: p.image.path,
    image_sha256: p.image.sha256,
    unit: p.cell.unit.name,
    unit_bytes: p.input.length,
    algorithm: p.setting.algorithm,
    setting: p.setting.key,
    backend: p.setting.backend,
    ...paramColumns(p.setting.params),
    unit_kind: p.cell.unit.kind ?? '',
    unit_offset: p.cell.unit.offset ?? null,
    attempts: p.attempt,
    cell_id: p.id,
  };
}

export function measuredRow(p: Prepared, m: CellMeasurement): ResultRow {
  const row: ResultRow = {
    ...baseRow(p),
    compressed_bytes: m.compressedBytes,
    ratio: m.compressedBytes > 0 ? p.input.length / m.compressedBytes : null,
    compress_ms: m.compressMs,
    decompress_ms_median: m.decompressMsMedian,
    decompress_ms_mad: m.decompressMsMad,
    decompress_runs: m.decompressRuns,
    decompress_mb_s: megabytesPerSecond(p.input.length, m.decompressMsMedian),
    ...timingColumns(p.input.length, m),
    ...kernelColumns(p, m),
    verified: m.verified === true,
    error: '',
    worker: m.worker,
    started_at: m.startedAt,
    finished_at: m.finishedAt,
  };
  return p.cell.unit.columns ? { ...row, ...p.cell.unit.columns(m) } : row;
}

/** The TIMING_COLUMNS of a measured cell (empty when the worker did not report them). */
function timingColumns(bytes: number, m: CellMeasurement): TimingColumns {
  const t = m.timing;
  if (!t) return {};
  const num = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    decompress_cpu_ms_median: num(t.cpuMsMedian),
    decompress_cpu_ms_mad: num(t.cpuMsMad),
    decompress_cpu_mb_s: num(megabytesPerSecond(bytes, t.cpuMsMedian)),
    decompress_samples: t.samples,
    decompress_disturbed: t.disturbed,
    decompress_outliers: t.outliers,
    decompress_nivcsw: t.nivcsw >= 0 ? t.nivcsw : null,
    timing_quality: t.quality,
    decompress_others_cores: t.othersCores ?? null,
  };
}

/** The KERNEL_DECODER_COLUMNS of a measured cell (none when the kernel decoder was not asked for). */
function kernelColumns(p: Prepared, m: CellMeasurement): KernelDecoderColumns {
  const k = m.kernel;
  if (!k || !p.cell.kernelDecoder) return {};
  const which = p.cell.kernelDecoder.label;
  if ('error' in k) return { kernel_decoder: which, kernel_decoder_error: k.error };
  return {
    kernel_decompress_ms_median: k.cpuMsMedian,
    kernel_decompress_ms_mad: k.cpuMsMad,
    kernel_decompress_runs: k.runs,
    kernel_decompress_mb_s: megabytesPerSecond(p.input.length, k.cpuMsMedian),
    kernel_decoder: which,
    kernel_decoder_error: '',
  };
}

export function failedRow(p: Prepared): ResultRow {
  const row: ResultRow = {
    ...baseRow(p),
    compressed_bytes: null,
    ratio: null,
    compress_ms: null,
    decompress_ms_median: null,
    decompress_ms_mad: null,
    decompress_runs: null,
    decompress_mb_s: null,
    verified: false,
    error: p.errors.map((e, i) => `attempt ${i + 1}: ${e}`).join('; '),
    worker: null,
    started_at: p.firstStart ?? '',
    finished_at: new Date().toISOString(),
  };
  return p.cell.unit.columns ? { ...row, ...p.cell.unit.columns(null), verified: false, error: row.error } : row;
}
