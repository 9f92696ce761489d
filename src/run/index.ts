// runCells: the typed API over the pool, the scheduler and the results files.
// A cell is one unit of bytes x one codec setting. The CLI (`kzbench run`)
// and tests call this; it knows nothing of how units or settings were chosen.

import { KzError } from '../errors.js';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CellPool } from '../pool/pool.js';
import { loadCodecApi, type CodecApi, type SettingLike } from '../pool/codec-api.js';
import { MemoryScheduler } from '../pool/scheduler.js';
import { defaultMemoryBudget, estimateCellMemory } from '../pool/memory.js';
import { estimateCellCost } from '../pool/cost.js';
import type { CellMeasurement, CellTask, SharedBytes, WorkerFault } from '../pool/task.js';
import { resolveTiming, type TimingOptions } from '../measure/timing.js';
import { megabytesPerSecond } from '../measure/stats.js';
import { cellId, paramColumns, type ResultRow } from '../results/schema.js';
import { ResultsWriter, type ExistingResults } from '../results/writer.js';
import { describeRun, readRunJson, writeRunJson, type RunJson } from '../results/run-json.js';

export interface Unit {
  /** The `unit` column: 'whole', a section name, a partition name... */
  name: string;
  bytes: Uint8Array;
  /** The `unit_kind` column (e.g. 'whole', 'section'). */
  kind?: string;
  /** The `unit_offset` column: where the unit starts in what it was cut from. */
  offset?: number;
  /** Overrides RunCellsOptions.image for this unit. */
  image?: { path: string; sha256: string };
  /** A block unit: compress the bytes as independent blocks ending at these offsets (CellTask.blocks). */
  blocks?: readonly number[];
  /** Bytes the worker also compresses as one stream (size only, verified): CellTask.alongside. */
  alongside?: Uint8Array;
  /**
   * Extra or overriding columns for this unit's rows, from the measurement
   * (null for a failed cell). Runs in the main thread, after the cell.
   */
  columns?: (m: CellMeasurement | null) => Partial<ResultRow>;
}

export interface Cell {
  unit: Unit;
  /** A setting spec parseSetting accepts ("xz", "xz:preset=9,bcj=x86", ...). */
  setting: string;
}

export interface RunningCell {
  unit: string;
  setting: string;
  attempt: number;
}

export interface RunProgress {
  /** Cells finished in this invocation (verified or failed). */
  done: number;
  /** Cells to run in this invocation (after resume skipped some). */
  total: number;
  failed: number;
  /** Cells skipped because a resumed results.csv already has them verified. */
  skipped: number;
  /** Cells running now, one per busy worker. */
  running: RunningCell[];
  /** The row just written, when this report follows a cell finishing. */
  finished?: ResultRow;
}

/** Test hook: make matching cells' workers fail mid-cell on their first attempts. */
export interface FaultInjection {
  match: (cell: Cell, index: number) => boolean;
  /** 'exit': process.exit() in the worker (the worker dies); 'throw': the task throws. Default 'exit'. */
  mode?: WorkerFault;
  /** Fault on this many first attempts (default 1: the retry succeeds; 2: the cell fails). */
  attempts?: number;
}

export interface RunCellsOptions {
  /** Worker threads (default os.availableParallelism(), never more than the cells). */
  workers?: number;
  timing?: Partial<TimingOptions>;
  /** Budget for the summed memory estimates of concurrently running cells. */
  memoryBudgetBytes?: number;
  /** When no budget is given: this fraction of available memory (default 0.6). */
  memoryFraction?: number;
  /** Write DIR/results.csv and DIR/run.json here; without it rows are only returned. */
  outDir?: string;
  /** If DIR/results.csv has rows: 'error' (default), 'overwrite', or 'resume' (skip verified cells). */
  existing?: ExistingResults;
  /** Default image for the `image` and `image_sha256` columns. */
  image?: { path: string; sha256: string };
  /** Extra fields for run.json (image source, profile, ...). */
  runInfo?: Record<string, unknown>;
  /** Abort: stop handing out cells, cancel running ones (their workers are terminated, no row). */
  signal?: AbortSignal;
  /** Called as cells start and finish. If it throws, the run stops and runCells rejects with that error. */
  onProgress?: (p: RunProgress) => void;
  /**
   * Order in which cells are handed out: 'heaviest-first' (default: by a
   * rough cost estimate, so a sweep does not end with one slow cell running
   * alone) or 'given'. Rows are written in completion order either way.
   */
  order?: 'heaviest-first' | 'given';
  /** Times a failed cell is retried (default 1). */
  retries?: number;
  /** Test hook, see FaultInjection. */
  faultInjection?: FaultInjection;
  /** Module URL providing the codec API (default src/codecs/index.js); for tests. */
  codecModule?: string;
}

export interface RunSummary {
  /** Rows produced by this invocation, in completion order (failed cells included). */
  rows: ResultRow[];
  failed: number;
  skipped: number;
  /** True when the signal aborted the run: some cells have no row. */
  interrupted: boolean;
  workers: number;
  memoryBudgetBytes: number;
  resultsPath?: string;
  runJsonPath?: string;
}

/** Every setting spec that parseSetting refused, with its message. */
export class SettingsError extends KzError {
  override name = 'SettingsError';
  constructor(readonly problems: { spec: string; message: string }[]) {
    super(`invalid codec setting${problems.length > 1 ? 's' : ''}:\n` + problems.map((p) => `  ${p.spec}: ${p.message}`).join('\n'));
  }

  override lines(): string[] {
    return this.problems.map((p) => `--codec ${p.spec}: ${p.message}`);
  }
}

interface Prepared {
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

/**
 * Put every unit's bytes in shared memory once. Units cut from the same
 * ArrayBuffer share one SharedArrayBuffer covering their span; bytes that
 * already live in a SharedArrayBuffer are used in place.
 */
export function shareUnits(units: readonly Unit[]): Map<Unit, SharedBytes> {
  const bytes = shareBytes(units.map((u) => u.bytes));
  return new Map(units.map((u) => [u, bytes.get(u.bytes)!]));
}

/** The same for byte arrays: one SharedArrayBuffer per underlying buffer span. */
export function shareBytes(list: readonly Uint8Array[]): Map<Uint8Array, SharedBytes> {
  const spans = new Map<ArrayBufferLike, { lo: number; hi: number }>();
  for (const b of list) {
    const s = spans.get(b.buffer);
    if (s) {
      s.lo = Math.min(s.lo, b.byteOffset);
      s.hi = Math.max(s.hi, b.byteOffset + b.byteLength);
    } else spans.set(b.buffer, { lo: b.byteOffset, hi: b.byteOffset + b.byteLength });
  }
  const shared = new Map<ArrayBufferLike, { buffer: SharedArrayBuffer; base: number }>();
  for (const [buf, { lo, hi }] of spans) {
    if (buf instanceof SharedArrayBuffer) {
      shared.set(buf, { buffer: buf, base: 0 });
    } else {
      const sab = new SharedArrayBuffer(hi - lo);
      new Uint8Array(sab).set(new Uint8Array(buf, lo, hi - lo));
      shared.set(buf, { buffer: sab, base: lo });
    }
  }
  const out = new Map<Uint8Array, SharedBytes>();
  for (const b of list) {
    const s = shared.get(b.buffer)!;
    out.set(b, { buffer: s.buffer, offset: b.byteOffset - s.base, length: b.byteLength });
  }
  return out;
}

function message(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function baseRow(p: Prepared): Omit<ResultRow, 'compressed_bytes' | 'ratio' | 'compress_ms' | 'decompress_ms_median' | 'decompress_ms_mad' | 'decompress_runs' | 'decompress_mb_s' | 'verified' | 'error' | 'worker' | 'started_at' | 'finished_at'> {
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
    verified: m.verified === true,
    error: '',
    worker: m.worker,
    started_at: m.startedAt,
    finished_at: m.finishedAt,
  };
  return p.cell.unit.columns ? { ...row, ...p.cell.unit.columns(m) } : row;
}

function failedRow(p: Prepared): ResultRow {
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

function parseAll(codecs: CodecApi, cells: readonly Cell[]): Map<string, SettingLike> {
  const parsed = new Map<string, SettingLike>();
  const problems: { spec: string; message: string }[] = [];
  for (const c of cells) {
    if (parsed.has(c.setting) || problems.some((p) => p.spec === c.setting)) continue;
    try {
      parsed.set(c.setting, codecs.parseSetting(c.setting));
    } catch (e) {
      problems.push({ spec: c.setting, message: e instanceof Error ? e.message : String(e) });
    }
  }
  if (problems.length) throw new SettingsError(problems);
  return parsed;
}

/**
 * Run every cell on a worker pool, verified and timed; write results.csv
 * rows as cells finish when `outDir` is given. Invalid settings are refused
 * (SettingsError) before any work starts. Resolves when all cells have a row
 * or, after an abort, when the running cells have been cancelled
 * (`interrupted: true`; the caller should exit non-zero).
 */
export async function runCells(cells: readonly Cell[], options: RunCellsOptions = {}): Promise<RunSummary> {
  const timing = resolveTiming(options.timing);
  const retries = options.retries ?? 1;
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`retries must be an integer >= 0, got ${retries}`);
  const codecs = await loadCodecApi(options.codecModule);
  const settings = parseAll(codecs, cells);

  const shared = shareBytes(cells.flatMap((c) => (c.unit.alongside ? [c.unit.bytes, c.unit.alongside] : [c.unit.bytes])));
  const defaultImage = options.image ?? { path: '', sha256: '' };
  let prepared: Prepared[] = cells.map((cell, index) => {
    const setting = settings.get(cell.setting)!;
    const image = cell.unit.image ?? defaultImage;
    const input = shared.get(cell.unit.bytes)!;
    const alongside = cell.unit.alongside ? shared.get(cell.unit.alongside)! : undefined;
    return {
      index,
      cell,
      setting,
      image,
      id: cellId(image.sha256, cell.unit.name, setting.key),
      estimate: estimateCellMemory(setting, Math.max(input.length, alongside?.length ?? 0)),
      input,
      ...(alongside ? { alongside } : {}),
      attempt: 0,
      errors: [],
    };
  });

  const memoryBudgetBytes = options.memoryBudgetBytes ?? defaultMemoryBudget(options.memoryFraction);
  if (!(memoryBudgetBytes > 0)) throw new RangeError(`memoryBudgetBytes must be > 0, got ${memoryBudgetBytes}`);
  if (options.workers !== undefined && !(Number.isInteger(options.workers) && options.workers >= 1)) {
    throw new RangeError(`workers must be an integer >= 1, got ${options.workers}`);
  }
  const resultsPath = options.outDir ? join(options.outDir, 'results.csv') : undefined;
  const runJsonPath = options.outDir ? join(options.outDir, 'run.json') : undefined;
  const writer = resultsPath ? ResultsWriter.open(resultsPath, options.existing ?? 'error') : undefined;

  let skipped = 0;
  if (writer && writer.previousRows.length) {
    const done = new Set(writer.previousRows.filter((r) => r.verified).map((r) => r.cell_id));
    const before = prepared.length;
    prepared = prepared.filter((p) => !done.has(p.id));
    skipped = before - prepared.length;
  }

  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), prepared.length));
  const scheduler = new MemoryScheduler(memoryBudgetBytes, workers);

  const previous = options.existing === 'resume' && runJsonPath ? readRunJson(runJsonPath) : undefined;
  const info: RunJson = {
    ...describeRun(codecs.backendVersions()),
    ...(options.image ? { image: options.image.path, image_sha256: options.image.sha256 } : {}),
    ...options.runInfo,
    workers,
    memory_budget_bytes: memoryBudgetBytes,
    timing,
    retries,
    cells_total: prepared.length + skipped,
    cells_skipped: skipped,
    ...(previous ? { previous_runs: [...((previous['previous_runs'] as unknown[]) ?? []), { ...previous, previous_runs: undefined }] } : {}),
  };
  if (runJsonPath) writeRunJson(runJsonPath, info);

  const rows: ResultRow[] = [];
  let failed = 0;
  let interrupted = options.signal?.aborted ?? false;
  const running = new Set<Prepared>();
  const cancel = new AbortController();
  let fatal: { error: unknown } | undefined;

  const report = (finished?: ResultRow) => {
    if (!options.onProgress || fatal) return;
    try {
      options.onProgress({
        done: rows.length,
        total: prepared.length,
        failed,
        skipped,
        running: [...running].map((p) => ({ unit: p.cell.unit.name, setting: p.setting.key, attempt: p.attempt })),
        ...(finished ? { finished } : {}),
      });
    } catch (e) {
      fatal ??= { error: e };
      onAbort();
    }
  };

  const record = (row: ResultRow) => {
    writer?.append(row);
    rows.push(row);
    if (!row.verified) failed++;
  };

  function onAbort() {
    interrupted = true;
    cancel.abort();
  }
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const pool = interrupted || prepared.length === 0 ? undefined : new CellPool({ workers, codecModule: options.codecModule });
  try {
    if (pool) {
      await new Promise<void>((resolve) => {
        const pending = [...prepared];
        if ((options.order ?? 'heaviest-first') === 'heaviest-first') {
          const cost = new Map(pending.map((p) => [p, estimateCellCost(p.setting, p.input.length + (p.alongside?.length ?? 0), timing.minTimeMs)]));
          pending.sort((a, b) => cost.get(b)! - cost.get(a)! || a.index - b.index);
        }
        const pump = () => {
          if (!interrupted) {
            for (;;) {
              const i = scheduler.pick(pending.map((p) => p.estimate));
              if (i < 0) break;
              launch(pending.splice(i, 1)[0]!);
            }
          }
          if (running.size === 0 && (interrupted || pending.length === 0)) resolve();
        };
        const launch = (p: Prepared) => {
          scheduler.start(p.estimate);
          running.add(p);
          p.attempt++;
          p.firstStart ??= new Date().toISOString();
          const fi = options.faultInjection;
          const fault = fi && p.attempt <= (fi.attempts ?? 1) && fi.match(p.cell, p.index) ? (fi.mode ?? 'exit') : undefined;
          const task: CellTask = {
            spec: p.setting.key,
            input: p.input,
            timing,
            ...(fault ? { fault } : {}),
            ...(p.cell.unit.blocks ? { blocks: [...p.cell.unit.blocks] } : {}),
            ...(p.alongside ? { alongside: p.alongside } : {}),
          };
          report();
          pool.run(task, cancel.signal).then(
            // A cell that completed is a complete, verified row even if an
            // abort came in meanwhile: keep it.
            (m) => settle(p, () => {
              record(measuredRow(p, m));
              report(rows.at(-1));
            }),
            (e: unknown) => settle(p, () => {
              if (interrupted) return;
              p.errors.push(message(e));
              if (p.attempt <= retries) pending.unshift(p);
              else {
                record(failedRow(p));
                report(rows.at(-1));
              }
            }),
          );
        };
        // Book the cell out, handle its outcome, hand out more work. An error
        // here (results file unwritable...) stops the run and is rethrown.
        const settle = (p: Prepared, handle: () => void) => {
          running.delete(p);
          scheduler.finish(p.estimate);
          try {
            handle();
            pump();
          } catch (e) {
            fatal ??= { error: e };
            onAbort();
            pump();
          }
        };
        pump();
      });
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await pool?.destroy();
    writer?.close();
    if (runJsonPath) {
      const stopped = new Date().toISOString();
      const counts = { cells_done: rows.length, cells_failed: failed };
      writeRunJson(runJsonPath, interrupted ? { ...info, ...counts, interrupted: true, stopped } : { ...info, ...counts, end: stopped });
    }
  }
  if (fatal) throw fatal.error;

  return {
    rows,
    failed,
    skipped,
    interrupted,
    workers,
    memoryBudgetBytes,
    ...(resultsPath ? { resultsPath } : {}),
    ...(runJsonPath ? { runJsonPath } : {}),
  };
}
