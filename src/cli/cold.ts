// kzbench cold --image FILE --trace FILE [--holdout FILE] [--layout-trace FILE]
//               [--codec ALGO[:SETTING]...] [--block-size SIZE...] [--layout NAME...]
//               [--out DIR] [--resume] [--overwrite] [--json] [--workers N]
// Partition the image's code by a trace, compress the cold code in
// independent blocks with each setting (in the pool, verified, timed), and
// replay a held-out trace against the blocks. docs/cold.md.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatBytes } from '../codecs/settings.js';
import { sha256File } from '../files.js';
import { openKernelImage, type KernelImage } from '../image/index.js';
import { coldSummary, type ColdSummary, type TraceInfo } from '../partition/cold.js';
import type { LayoutName } from '../partition/layout.js';
import { coldSettings, coldTraceInfo, planColdRequest, type PlannedCold } from '../plan/cold.js';
import { checkColdRequest, type ColdField, type ColdNaming } from '../units/cold.js';
import { parseWorkers, ResultsDirLock } from '../results/dir.js';
import { readRunJson } from '../results/run-json.js';
import { readResults } from '../results/reader.js';
import type { ResultRow } from '../results/schema.js';
import { runCells, type RunCellsOptions, type RunSummary } from '../run/index.js';
import { checkSpecs } from '../run/settings.js';
import { bytesText, table } from './format.js';
import { createProgress } from './progress.js';
import { resolveSettings } from '../run/settings.js';
import { UsageError } from './usage.js';

export interface ColdOptions {
  image: string;
  /** One or more traces of the workload (merged: a function is hot when any of them saw it). */
  trace: string | string[];
  holdout?: string | string[];
  layoutTrace?: string | string[];
  traceFormat?: string;
  kaslrOffset?: string;
  codec?: string[];
  blockSize?: string[];
  layout?: string[];
  out?: string;
  resume?: boolean;
  overwrite?: boolean;
  json?: boolean;
  workers?: string;
  systemMap?: string;
  config?: string;
  minRuns?: string;
  minTime?: string;
}

/** How the CLI names a cold request's fields: by their flags. */
const FLAGS: Record<ColdField, string> = {
  trace: '--trace',
  holdout: '--holdout',
  layout_trace: '--layout-trace',
  layouts: '--layout',
  block_sizes: '--block-size',
  trace_format: '--trace-format',
  kaslr_offset: '--kaslr-offset',
};
const CLI_COLD_NAMING: ColdNaming = { given: (field, value) => `${FLAGS[field]} ${value}`, field: (field) => FLAGS[field] };

/** The settings of a cold run: as `kzbench run` resolves them, the zstd kernel profile with content_size (coldSetting). */
export function blockSettings(img: KernelImage, codecs: string[] | undefined): string[] {
  return coldSettings(img, resolveSettings(img, codecs, 'kernel'));
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: expected a whole number of at least 1`);
  return n;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

export interface ColdRun {
  summary: ColdSummary;
  run: RunSummary | null;
}

/** Everything the command does, without printing: for the CLI and tests. */
export async function runCold(
  opts: ColdOptions,
  argv: string[],
  log: (s: string) => void,
  onProgress?: RunCellsOptions['onProgress'],
  signal?: AbortSignal,
): Promise<ColdRun> {
  // An existing --out is locked before anything is read: a second writer is refused at once.
  const early = opts.out !== undefined && existsSync(opts.out) ? ResultsDirLock.acquire(opts.out, 'cold') : undefined;
  try {
    return await coldLocked(opts, argv, log, onProgress, signal);
  } finally {
    early?.release();
  }
}

async function coldLocked(
  opts: ColdOptions,
  argv: string[],
  log: (s: string) => void,
  onProgress?: RunCellsOptions['onProgress'],
  signal?: AbortSignal,
): Promise<ColdRun> {
  // Refuse bad flags before reading anything: the rules a suite's cold: block keeps too.
  const files = { trace: list(opts.trace), holdout: list(opts.holdout), layoutTrace: list(opts.layoutTrace) };
  if (files.trace.length === 0) throw new UsageError('cold needs --trace FILE (repeatable)');
  // a flag names the file as given; the rules compare where it is
  const resolved = (fs: string[]) => fs.map((f) => resolve(f));
  const shown = new Map([...files.trace, ...files.holdout, ...files.layoutTrace].map((f) => [resolve(f), f]));
  const naming: ColdNaming = { given: (field, value) => CLI_COLD_NAMING.given(field, shown.get(value) ?? value), field: CLI_COLD_NAMING.field };
  const { choices, problems } = checkColdRequest(
    {
      trace: resolved(files.trace),
      holdout: resolved(files.holdout),
      layoutTrace: resolved(files.layoutTrace),
      layouts: opts.layout?.flatMap((s) => s.split(',')),
      blockSizes: opts.blockSize?.flatMap((s) => s.split(',')),
      traceFormat: opts.traceFormat,
      kaslrOffset: opts.kaslrOffset,
    },
    naming,
  );
  if (problems.length) throw new UsageError(problems[0]!.message);
  const { layouts, blockSizes } = choices;
  if (opts.resume && opts.overwrite) throw new UsageError('--resume and --overwrite contradict each other: choose one');
  if (opts.resume && !opts.out) throw new UsageError('--resume needs --out DIR');
  const workers = parseWorkers(opts.workers);
  const minRuns = positiveInt(opts.minRuns, '--min-runs');
  const minTimeMs = opts.minTime === undefined ? undefined : Number(opts.minTime);
  if (minTimeMs !== undefined && !(minTimeMs >= 0)) throw new UsageError(`--min-time ${opts.minTime}: expected milliseconds >= 0`);
  checkSpecs(opts.codec ?? [], 'kernel');

  const img = openKernelImage(opts.image, {
    ...(opts.config ? { configPath: opts.config } : {}),
    ...(opts.systemMap ? { systemMapPath: opts.systemMap } : {}),
  });
  if (img.functions.length === 0) throw new UsageError(`${opts.image}: no functions (symbols: ${img.symbols.detail}); give --system-map`);
  const sha256 = sha256File(opts.image);
  const planned = planColdRequest({
    image: { name: opts.image, path: opts.image, sha256, image: img },
    files,
    choices,
    settings: resolveSettings(img, opts.codec, 'kernel'),
  });
  const { plan, traces, settings } = planned;
  const info = coldTraceInfo(planned);
  if (plan.cells.length === 0) {
    log(`${traces.trace.file}: every stored function ran: there is no cold code to compress`);
    return { summary: coldSummary(img, plan, info, []), run: null };
  }

  const out = opts.out ?? join('results', `cold-${timestamp()}`);
  const lock = ResultsDirLock.acquire(out, 'cold');
  try {
    return await coldRun(
      opts,
      argv,
      log,
      out,
      { img, plan, info, sha256, settings, layouts, blockSizes, files, workers, minRuns, minTimeMs },
      onProgress,
      signal,
    );
  } finally {
    lock.release();
  }
}

interface ColdPlan {
  img: KernelImage;
  plan: PlannedCold['plan'];
  info: Parameters<typeof coldSummary>[2];
  sha256: string;
  settings: string[];
  layouts: LayoutName[];
  blockSizes: number[];
  files: { trace: string[]; holdout: string[]; layoutTrace: string[] };
  workers: number | undefined;
  minRuns: number | undefined;
  minTimeMs: number | undefined;
}

async function coldRun(
  opts: ColdOptions,
  argv: string[],
  log: (s: string) => void,
  out: string,
  c: ColdPlan,
  onProgress?: RunCellsOptions['onProgress'],
  signal?: AbortSignal,
): Promise<ColdRun> {
  const { img, plan, info, sha256, settings, layouts, blockSizes, files, workers, minRuns, minTimeMs } = c;
  const traceHashes = Object.fromEntries(
    Object.entries({ trace: files.trace, holdout: files.holdout, layout_trace: files.layoutTrace })
      .filter(([, f]) => f.length > 0)
      .map(([k, f]) => [k, { file: f.join('+'), sha256: f.map((x) => sha256File(x)).join('+') }]),
  );
  if (opts.resume) {
    const prev = readRunJson(join(out, 'run.json'));
    const prevTraces = prev?.['cold_traces'] as Record<string, { sha256: string }> | undefined;
    const sameKeys = prevTraces !== undefined && Object.keys(prevTraces).sort().join() === Object.keys(traceHashes).sort().join();
    if (prev && (!prevTraces || !sameKeys || Object.entries(traceHashes).some(([k, v]) => prevTraces[k]?.sha256 !== v.sha256))) {
      throw new UsageError(
        `${out}: not a kzbench cold run of these trace files (other files, or a --holdout/--layout-trace added or left out): resume it with its own traces, or use another --out`,
      );
    }
  }
  const t = plan.partition.totals;
  // Said once the run starts: a refusal (another writer, another job) stays the only line.
  const onStart = () => {
    log(
      `${img.format} ${img.arch} ${img.release ?? ''}: ${t.functions} functions, ${bytesText(t.hotBytes + t.coldBytes)} of code, ${bytesText(t.holeBytes)} of holes; ` +
        `hot ${t.hotFunctions} functions (${((t.hotBytes / Math.max(1, t.hotBytes + t.coldBytes)) * 100).toFixed(1)}% of code bytes)`,
    );
    log(`${layouts.length} layout(s) x ${blockSizes.length} block size(s) x ${settings.length} setting(s) = ${plan.cells.length} cells -> ${out}/results.csv`);
  };
  const run = await runCells(plan.cells, {
    onStart,
    ...(workers !== undefined ? { workers } : {}),
    outDir: out,
    command: 'cold',
    existing: opts.resume ? 'resume' : opts.overwrite ? 'overwrite' : 'error',
    image: { path: opts.image, sha256 },
    runInfo: {
      command: argv,
      command_line: argv,
      image_source: 'given',
      image_format: img.format,
      arch: img.arch,
      release: img.release,
      payload_algorithm: img.payload?.algorithm ?? null,
      thumb2: img.config?.thumb2 ?? false,
      profile: 'kernel',
      unit: 'cold',
      cold_traces: traceHashes,
      cold_layouts: layouts,
      cold_block_sizes: blockSizes,
    },
    timing: { ...(minRuns !== undefined ? { minRuns } : {}), ...(minTimeMs !== undefined ? { minTimeMs } : {}) },
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  // On a resume the earlier rows count too: the latest verified row of each cell.
  const rows = new Map<string, ResultRow>();
  const units = new Set(plan.cells.map((c) => c.unit.name));
  for (const r of [...(opts.resume && run.resultsPath ? readResults(run.resultsPath).rows : run.rows)]) {
    if (!units.has(r.unit)) continue;
    const key = `${r.unit}\0${r.setting}`;
    if (r.verified || !rows.get(key)?.verified) rows.set(key, r);
  }
  const summary = coldSummary(img, plan, info, [...rows.values()]);
  if (run.resultsPath) summary.results_csv = run.resultsPath;
  return { summary, run };
}

function pct(n: number | null): string {
  return n === null ? '' : `${(n * 100).toFixed(1)}%`;
}
const num = (n: number | null | undefined) => (n === null || n === undefined ? '' : n.toLocaleString('en-US'));

function traceLine(label: string, t: TraceInfo): string {
  const un = t.unmatched
    ? `; ${t.unmatched} unmatched (${t.unmatched_first
        .slice(0, 3)
        .map((u) => `${u.name ?? u.address}: ${u.why}`)
        .join('; ')}${t.unmatched > 3 ? '; ...' : ''})`
    : '';
  const skipped = t.skipped_lines ? `; ${t.skipped_lines} lines skipped` : '';
  const notes = (t.notes ?? []).map((n) => `\n  note: ${n}`).join('');
  return `${label}: ${t.file} (${t.format}): ${t.entries} entries, ${t.functions} functions ran${un}${skipped}${notes}`;
}

export function printSummary(s: ColdSummary, write: (s: string) => void): void {
  write(`${s.image}: ${s.format} ${s.arch} ${s.release ?? ''}, symbols from ${s.symbols}\n`);
  write(traceLine('trace', s.trace) + '\n');
  if (s.holdout) write(traceLine('holdout', s.holdout) + '\n');
  if (s.layout_trace) write(traceLine('layout trace', s.layout_trace) + '\n');
  write(
    `code sections ${num(s.text_bytes)} bytes: functions ${num(s.function_bytes)} (hot ${num(s.hot_bytes)} = ${pct(s.hot_share)}, cold ${num(s.cold_bytes)}), holes ${num(s.hole_bytes)}` +
      (s.unstored_bytes ? `, not stored ${num(s.unstored_bytes)}` : '') +
      '\n',
  );
  for (const x of s.sections) {
    const fn = x.hot_bytes + x.cold_bytes;
    write(
      `  ${x.section} ${num(x.bytes)} bytes: functions ${num(fn)} (hot ${num(x.hot_bytes)} = ${pct(fn ? x.hot_bytes / fn : 0)}), holes ${num(x.hole_bytes)}\n`,
    );
  }
  write('\n');
  if (s.results.length === 0) return;
  const head = [
    'setting',
    'layout',
    'block',
    'blocks',
    'cold raw',
    'cold compressed',
    'ratio',
    'flash (XIP)',
    'RAM (XIP)',
    'flash (RAM)',
    'RAM (RAM)',
    ...(s.holdout ? ['misses', 'miss bytes', 'miss ms'] : []),
  ];
  const rows = s.results.map((r) =>
    r.verified
      ? [
          r.setting,
          r.layout,
          formatBytes(r.block_bytes),
          num(r.blocks),
          num(r.cold_raw_bytes),
          num(r.cold_compressed_bytes),
          r.ratio === null ? '' : r.ratio.toFixed(3),
          num(r.flash_xip_bytes),
          num(r.ram_xip_bytes),
          num(r.flash_ram_bytes),
          num(r.ram_ram_bytes),
          ...(s.holdout
            ? [
                num(r.holdout?.misses),
                num(r.holdout?.compressed_bytes),
                r.holdout?.ms_estimated === null || r.holdout?.ms_estimated === undefined ? '' : r.holdout.ms_estimated.toFixed(3),
              ]
            : []),
        ]
      : [r.setting, r.layout, formatBytes(r.block_bytes), num(r.blocks), num(r.cold_raw_bytes), `FAILED: ${r.error}`],
  );
  write(
    table(
      head,
      rows,
      head.map((_, i) => i >= 3),
    ) + '\n',
  );
  write('flash/RAM: code only (hot + cold blocks + index); XIP = hot code runs from flash; RAM = hot code compressed in flash, run from RAM. docs/cold.md\n');
  if (s.holdout) write(`${s.holdout_ms_note}\n`);
}

export async function coldCommand(opts: ColdOptions, argv: string[]): Promise<number> {
  const log = (s: string) => process.stderr.write(s + '\n');
  const started = Date.now();
  const progress = opts.json ? null : createProgress({ started });
  const controller = new AbortController();
  const onSigint = () => {
    progress?.log('interrupted: finishing the file with complete rows only');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  let result: ColdRun;
  try {
    result = await runCold(opts, argv, log, progress ? (p) => progress.update(p) : undefined, controller.signal);
  } finally {
    progress?.stop();
    process.removeListener('SIGINT', onSigint);
  }
  if (opts.json) process.stdout.write(JSON.stringify(result.summary, null, 2) + '\n');
  else printSummary(result.summary, (s) => process.stdout.write(s));
  if (result.run) log(`results: ${result.run.resultsPath} (${((Date.now() - started) / 1000).toFixed(0)}s)`);
  if (result.run?.interrupted) return 130;
  return (result.run?.failed ?? 0) > 0 ? 1 : 0;
}
