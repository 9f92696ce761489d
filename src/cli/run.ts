// kzbench run [SUITE.yaml] [--shard I/N]
//             [--image FILE] [--unit whole|sections] [--codec ALGO[:SETTING]...]
//             [--profile kernel] [--workers N] [--out DIR] [--resume [DIR]] [--overwrite]
// With a suite file the suite names images, units and settings; without one
// the flags do (and with neither, every kernel profile on the default image).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseWorkers, ResultsDirLock, writeFileAtomic } from '../results/dir.js';
import { readRunJson } from '../results/run-json.js';
import type { ResultRow } from '../results/schema.js';
import { runCells, type RunSummary } from '../run/index.js';
import { timingWarning } from '../measure/warning.js';
import { flagRunPlan, recordedRequest, suiteRunPlan, type RunRequest } from '../plan/index.js';
import { loadSuite, type LoadedSuite } from '../suite/index.js';
import type { TimingOptions } from '../measure/timing.js';
import { table } from './format.js';
import { createProgress } from './progress.js';
import { UsageError } from './usage.js';

export interface RunOptions {
  image?: string;
  /** The image's .config (only from a resumed run's record: run has no --config flag). */
  config?: string;
  /** Default 'whole' (left unset so a suite run can tell it was not given). */
  unit?: string;
  codec?: string[];
  /** Default 'kernel'. */
  profile?: string;
  workers?: string;
  out?: string;
  /** --resume (with --out DIR) or --resume DIR. */
  resume?: boolean | string;
  overwrite?: boolean;
  minRuns?: string;
  minTime?: string;
  shard?: string;
  /** Most cells a suite may expand to (default DEFAULT_MAX_CELLS). */
  maxCells?: string;
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: expected a whole number of at least 1`);
  return n;
}

/** Where results go and whether this is a resume, from --out, --resume and --resume DIR. */
function resultsDir(suiteFile: string | undefined, opts: RunOptions): { suiteFile?: string; out?: string; resume: boolean } {
  let out = opts.out;
  let resume = opts.resume === true;
  if (typeof opts.resume === 'string') {
    const r = opts.resume;
    // `--out DIR --resume SUITE.yaml`: the suite, not a directory.
    if (!suiteFile && /\.ya?ml$/i.test(r) && existsSync(r) && statSync(r).isFile()) {
      suiteFile = r;
    } else {
      if (out !== undefined && resolve(out) !== resolve(r)) throw new UsageError(`--resume ${r} and --out ${out} name different directories: give one`);
      out = r;
    }
    resume = true;
  }
  if (resume && out === undefined) throw new UsageError('--resume needs the results directory: --resume DIR (or --resume with --out DIR)');
  if (resume && opts.overwrite) throw new UsageError('--resume and --overwrite contradict each other: choose one');
  return { ...(suiteFile !== undefined ? { suiteFile } : {}), ...(out !== undefined ? { out } : {}), resume };
}

function timingOptions(opts: RunOptions, suite?: LoadedSuite) {
  const minRuns = positiveInt(opts.minRuns, '--min-runs') ?? suite?.suite.timing?.min_runs;
  const minTimeFlag = opts.minTime === undefined ? undefined : Number(opts.minTime);
  if (minTimeFlag !== undefined && !(minTimeFlag >= 0)) throw new UsageError(`--min-time ${opts.minTime}: expected milliseconds >= 0`);
  const minTimeMs = minTimeFlag ?? suite?.suite.timing?.min_time_ms;
  return { ...(minRuns !== undefined ? { minRuns } : {}), ...(minTimeMs !== undefined ? { minTimeMs } : {}) };
}

function printTable(rows: ResultRow[]): void {
  const ok = rows.filter((r) => r.verified);
  if (ok.length === 0) return;
  if (ok.length > 80) {
    process.stdout.write(`${ok.length} verified rows (too many to list here; see results.csv)\n`);
    return;
  }
  const sorted = [...ok].sort(
    (a, b) => a.image.localeCompare(b.image) || a.unit.localeCompare(b.unit) || Number(a.compressed_bytes) - Number(b.compressed_bytes),
  );
  const multiImage = new Set(ok.map((r) => r.image)).size > 1;
  const head = [...(multiImage ? ['image'] : []), 'unit', 'setting', 'backend', 'compressed', 'ratio', 'decompress MB/s'];
  process.stdout.write(
    table(
      head,
      sorted.map((r) => [
        ...(multiImage ? [r.image.split('/').pop() ?? r.image] : []),
        r.unit,
        r.setting,
        r.backend,
        Number(r.compressed_bytes).toLocaleString('en-US'),
        Number(r.ratio).toFixed(3),
        Number(r.decompress_mb_s).toFixed(0),
      ]),
      [...(multiImage ? [false] : []), false, false, false, true, true, true],
    ) + '\n',
  );
}

export async function runCommand(suiteArg: string | undefined, opts: RunOptions, argv: string[]): Promise<number> {
  const dirs = resultsDir(suiteArg, opts);
  const workers = parseWorkers(opts.workers);
  // One writer per results directory: an existing one is locked before
  // anything is read, so a second writer is refused at once; a new one as
  // soon as its name is known (after the plan, which checks the flags).
  let lock = dirs.out !== undefined && existsSync(dirs.out) ? ResultsDirLock.acquire(dirs.out, 'run') : undefined;
  try {
    return await runLocked(dirs, opts, workers, argv, (out) => (lock ??= ResultsDirLock.acquire(out, 'run')));
  } finally {
    lock?.release();
  }
}

async function runLocked(
  dirs: ReturnType<typeof resultsDir>,
  opts: RunOptions,
  workers: number | undefined,
  argv: string[],
  lockDir: (out: string) => void,
): Promise<number> {
  const log = (s: string) => process.stderr.write(s + '\n');
  let suiteFile = dirs.suiteFile;
  let baseDir: string | undefined;
  let recordedTiming: Partial<TimingOptions> = {};
  // Said once the run starts (runCells' onStart): a refusal stays the only line.
  const notes: string[] = [];
  const flagMode = (['image', 'unit', 'codec', 'profile'] as const).some((k) => opts[k] !== undefined);
  if (!suiteFile && dirs.resume && dirs.out && !flagMode) {
    const prev = readRunJson(join(dirs.out, 'run.json'));
    const copy = join(dirs.out, 'suite.yaml');
    if (prev?.suite_hash && existsSync(copy)) {
      // `kzbench run --resume DIR` of a suite run: its own copy of the suite.
      suiteFile = copy;
      const original = prev.suite ?? {};
      // Relative image paths in the copy are relative to where the suite was.
      if (original.file) baseDir = dirname(original.file);
      notes.push(`resuming suite ${original.name ?? ''} from ${copy}`);
    } else if (prev && !prev.suite_hash) {
      const recorded = recordedRequest(prev);
      opts = { ...opts, ...recorded.fields };
      recordedTiming = recorded.timing;
      notes.push(`resuming the run recorded in ${join(dirs.out, 'run.json')}${opts.image ? `: ${opts.image}` : ''}`);
    }
  }
  const maxCells = positiveInt(opts.maxCells, '--max-cells');
  const suite = suiteFile ? loadSuite(suiteFile, { ...(baseDir ? { baseDir } : {}), ...(maxCells ? { maxCells } : {}) }) : undefined;
  const timing = { ...recordedTiming, ...timingOptions(opts, suite) };
  const request: RunRequest = {
    ...(opts.image !== undefined ? { image: opts.image } : {}),
    ...(opts.config !== undefined ? { config: opts.config } : {}),
    ...(opts.unit !== undefined ? { unit: opts.unit } : {}),
    ...(opts.codec !== undefined ? { codec: opts.codec } : {}),
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    ...(opts.shard !== undefined ? { shard: opts.shard } : {}),
    ...(dirs.out !== undefined ? { out: dirs.out } : {}),
    resume: dirs.resume,
    argv,
  };
  const previous = suite && dirs.resume && dirs.out ? readRunJson(join(dirs.out, 'run.json')) : undefined;
  const plan = suite ? suiteRunPlan(suite, request, previous, log) : flagRunPlan(request, log);
  lockDir(plan.out);
  notes.push(plan.headline);

  const resultsCsv = join(plan.out, 'results.csv');
  const fresh = !existsSync(resultsCsv) || statSync(resultsCsv).size === 0;
  if (fresh || opts.overwrite || dirs.resume) {
    for (const [name, text] of Object.entries(plan.files)) {
      const p = join(plan.out, name);
      if (dirs.resume && existsSync(p)) continue;
      mkdirSync(plan.out, { recursive: true });
      writeFileAtomic(p, text);
    }
  }

  const controller = new AbortController();
  const started = Date.now();
  const progress = createProgress({ started });
  const onSigint = () => {
    progress.log('interrupted: finishing the file with complete rows only');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let summary: RunSummary;
  try {
    summary = await runCells(plan.cells, {
      workers: workers ?? suite?.suite.workers,
      outDir: plan.out,
      existing: dirs.resume ? 'resume' : opts.overwrite ? 'overwrite' : 'error',
      image: plan.image,
      runInfo: plan.runInfo,
      signal: controller.signal,
      timing,
      onStart: () => notes.forEach((n) => log(n)),
      onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSigint);
  }
  if (summary.skipped) log(`resumed: ${summary.skipped} cell(s) already had verified rows`);
  printTable(summary.rows);
  plan.after.forEach((l) => log(l));
  log(`results: ${summary.resultsPath ?? plan.out} (${((Date.now() - started) / 1000).toFixed(0)}s)`);
  const busy = timingWarning(summary.rows, summary.machine);
  if (busy) log(busy);
  if (summary.interrupted) return 130;
  return summary.failed > 0 ? 1 : 0;
}
