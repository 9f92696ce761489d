// runCells: the typed API over the pool, the scheduler and the results files.
// A cell is one unit of bytes x one codec setting. The CLI (`kzbench run`)
// and tests call this; it knows nothing of how units or settings were chosen.

import { asKzError, excerpt, KzError } from '../errors.js';
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CellPool } from '../pool/pool.js';
import { loadCodecApi, type CodecApi, type SettingLike } from '../pool/codec-api.js';
import { MemoryScheduler } from '../pool/scheduler.js';
import { defaultMemoryBudget, estimateCellMemory } from '../pool/memory.js';
import { estimateCellCost } from '../pool/cost.js';
import type { CellTask } from '../pool/task.js';
import { resolveTiming, type TimingOptions } from '../measure/timing.js';
import { machineAtEnd, machineAtStart, type RunMachine } from '../measure/machine.js';
import { parseWorkers, ResultsDirLock } from '../results/dir.js';
import { checkPreviousRows, checkSameJob, jobOf } from './job.js';
import { cellId, type ResultRow } from '../results/schema.js';
import { ResultsWriter, type ExistingResults, type WriteFn } from '../results/writer.js';
import { describeRun, readRunJson, writeRunJson, type RunJob, type RunJson } from '../results/run-json.js';

import { shareBytes } from './share.js';
import { failedRow, measuredRow, message, type Prepared } from './rows.js';
import type { Cell, FaultInjection, RunProgress, RunSummary } from './types.js';

export type { Cell, FaultInjection, RunningCell, RunProgress, RunSummary, Unit } from './types.js';

export { shareBytes, shareUnits } from './share.js';
export { measuredRow } from './rows.js';
export { SettingsError } from './settings.js';
import { SettingsError } from './settings.js';

export interface RunCellsOptions {
  /** Worker threads (default os.availableParallelism(), never more than the cells; at most maxWorkers()). */
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
  /**
   * Called once everything is checked (settings, the directory's lock, a
   * resume's job) and before the first cell: where the CLI says what it is
   * about to do, so a refusal stays the only line.
   */
  onStart?: () => void;
  /** The command holding the results directory's lock, shown to a second writer (default 'run'). */
  command?: string;
  /** Test hook: how results.csv rows are written (default fs.writeSync), e.g. failing like a full disk. */
  resultsWrite?: WriteFn;
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
 * rows as cells finish when `outDir` is given, holding the directory's lock
 * for the whole run. Invalid settings are refused (SettingsError) before any
 * work starts; a resume of another job is refused (job.ts). A fatal error (a
 * full disk, a failed pool) rejects after the files are left consistent:
 * complete rows only, run.json marked interrupted. Resolves when all cells have a row
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
  const prepared: Prepared[] = cells.map((cell, index) => {
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
  parseWorkers(options.workers, 'workers');
  const job = jobOf(
    prepared.map((p) => ({ imageSha256: p.image.sha256, unit: p.cell.unit.name, setting: p.setting.key })),
    timing,
  );
  if (!options.outDir) return runPrepared(prepared, options, { codecs, timing, retries, memoryBudgetBytes, job });
  // One writer per results directory, for the whole run.
  const lock = ResultsDirLock.acquire(options.outDir, options.command ?? 'run');
  try {
    return await runPrepared(prepared, options, { codecs, timing, retries, memoryBudgetBytes, job, lock, outDir: options.outDir });
  } finally {
    lock.release();
  }
}

interface Context {
  codecs: CodecApi;
  timing: TimingOptions;
  retries: number;
  memoryBudgetBytes: number;
  job: RunJob;
  lock?: ResultsDirLock;
  outDir?: string;
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);

function isDiskFull(e: unknown): boolean {
  return DISK_FULL.has(String((e as NodeJS.ErrnoException)?.code)) || (e instanceof KzError && /\((ENOSPC|EDQUOT)\b/.test(e.message));
}

async function runPrepared(all: Prepared[], options: RunCellsOptions, ctx: Context): Promise<RunSummary> {
  const { codecs, timing, retries, memoryBudgetBytes, job, lock, outDir } = ctx;
  let prepared = all;
  const resultsPath = outDir ? join(outDir, 'results.csv') : undefined;
  const runJsonPath = outDir ? join(outDir, 'run.json') : undefined;
  const resume = options.existing === 'resume';
  const previous = resume && runJsonPath ? readRunJson(runJsonPath) : undefined;
  if (resume && outDir) checkSameJob(outDir, previous, job);
  const writer = resultsPath ? ResultsWriter.open(resultsPath, options.existing ?? 'error', options.resultsWrite) : undefined;

  let skipped = 0;
  if (writer && writer.previousRows.length) {
    try {
      checkPreviousRows(outDir!, writer.previousRows, new Set(prepared.map((p) => p.id)));
    } catch (e) {
      writer.close();
      throw e;
    }
    const done = new Set(writer.previousRows.filter((r) => r.verified).map((r) => r.cell_id));
    const before = prepared.length;
    prepared = prepared.filter((p) => !done.has(p.id));
    skipped = before - prepared.length;
  }

  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), prepared.length));
  const scheduler = new MemoryScheduler(memoryBudgetBytes, workers);

  const info: RunJson = {
    ...describeRun(codecs.backendVersions()),
    ...(options.image ? { image: options.image.path, image_sha256: options.image.sha256 } : {}),
    ...options.runInfo,
    workers,
    memory_budget_bytes: memoryBudgetBytes,
    timing,
    retries,
    job,
    cells_total: prepared.length + skipped,
    cells_skipped: skipped,
    machine: machineAtStart(),
    ...(previous ? { previous_runs: [...(previous.previous_runs ?? []), { ...previous, previous_runs: undefined }] } : {}),
  };
  if (runJsonPath) {
    try {
      writeRunJson(runJsonPath, info);
    } catch (e) {
      writer?.close();
      throw asKzError(e, runJsonPath) ?? e;
    }
  }

  try {
    options.onStart?.();
  } catch (e) {
    writer?.close();
    throw e;
  }

  const rows: ResultRow[] = [];
  let failed = 0;
  let interrupted = options.signal?.aborted ?? false;
  const running = new Set<Prepared>();
  const cancel = new AbortController();
  // Every running task listens to this signal: as many listeners as workers.
  setMaxListeners(workers + 10, cancel.signal);
  let fatal: { error: unknown } | undefined;
  let wake = () => {};

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

  // A failure of the pool itself (not of one cell) stops the run; after an
  // abort it is only a cancelled task's late result, and is ignored.
  const onPoolError = (e: Error) => {
    if (interrupted) return;
    fatal ??= { error: new KzError(`the worker pool failed: ${excerpt(e.message, 120)}`, outDir) };
    onAbort();
    wake();
  };
  const pool = interrupted || prepared.length === 0 ? undefined : new CellPool({ workers, codecModule: options.codecModule, onError: onPoolError });
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
        wake = pump;
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
            (m) =>
              settle(p, () => {
                record(measuredRow(p, m));
                report(rows.at(-1));
              }),
            (e: unknown) =>
              settle(p, () => {
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
        // here (results file unwritable, disk full...) stops the run and is rethrown.
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
    info.machine = machineAtEnd(info.machine as RunMachine, pool?.load, rows);
    if (runJsonPath) {
      const stopped = new Date().toISOString();
      const counts = { cells_done: rows.length, cells_failed: failed };
      const last = interrupted ? { ...info, ...counts, interrupted: true, stopped } : { ...info, ...counts, end: stopped };
      try {
        try {
          writeRunJson(runJsonPath, last);
        } catch (e) {
          // On a full disk the lock's reserved space makes room for this one write.
          // eslint-disable-next-line no-unsafe-finally -- caught just below: it becomes the run's fatal error
          if (!lock || !isDiskFull(e)) throw e;
          lock.freeReserve();
          writeRunJson(runJsonPath, last);
        }
      } catch (e) {
        fatal ??= { error: asKzError(e, runJsonPath) ?? e };
      }
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
    machine: info.machine as RunMachine,
    ...(resultsPath ? { resultsPath } : {}),
    ...(runJsonPath ? { runJsonPath } : {}),
  };
}
