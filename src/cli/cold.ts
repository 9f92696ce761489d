// kzbench cold --image FILE --trace FILE [--holdout FILE] [--layout-trace FILE]
//               [--codec ALGO[:SETTING]...] [--block-size SIZE...] [--layout NAME...]
//               [--out DIR] [--resume] [--overwrite] [--json] [--workers N]
// Partition the image's code by a trace, compress the cold code in
// independent blocks with each setting (in the pool, verified, timed), and
// replay a held-out trace against the blocks. docs/cold.md.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatBytes, parseBytes } from '../codecs/settings.js';
import { sha256File } from '../files.js';
import { openKernelImage, type KernelImage } from '../image/index.js';
import { DEFAULT_BLOCK_SIZES } from '../partition/blocks.js';
import { coldSetting, coldSummary, planCold, traceInfo, type ColdSummary, type TraceInfo } from '../partition/cold.js';
import { LAYOUTS, type LayoutName } from '../partition/layout.js';
import { codeMap, type CodeMap } from '../partition/partition.js';
import { mapTrace } from '../partition/trace-map.js';
import { mergeTraces, readTraceFile } from '../partition/traces.js';
import { TRACE_FORMATS, type HotSet, type Trace, type TraceFormat } from '../partition/types.js';
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

const MAX_BLOCK = 1 << 30;

export function parseBlockSizes(values: readonly string[] | undefined): number[] {
  if (!values || values.length === 0) return [...DEFAULT_BLOCK_SIZES];
  const out: number[] = [];
  for (const v of values.flatMap((s) => s.split(','))) {
    let n: number;
    try {
      n = parseBytes('--block-size', v);
    } catch {
      throw new UsageError(`--block-size ${v}: expected a size such as 4KiB, 64KiB or 4096`);
    }
    if (!(n >= 1 && n <= MAX_BLOCK)) throw new UsageError(`--block-size ${v}: expected 1 byte to ${formatBytes(MAX_BLOCK)}`);
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

export function parseLayouts(values: readonly string[] | undefined, layoutTrace: boolean): LayoutName[] {
  const list = values && values.length ? values.flatMap((s) => s.split(',')) : ['address', ...(layoutTrace ? ['trace'] : [])];
  const out: LayoutName[] = [];
  for (const v of list) {
    if (!(LAYOUTS as readonly string[]).includes(v)) throw new UsageError(`--layout ${v}: allowed: ${LAYOUTS.join(', ')}`);
    if (v === 'trace' && !layoutTrace) throw new UsageError('--layout trace needs --layout-trace FILE (a trace other than the holdout)');
    if (!out.includes(v as LayoutName)) out.push(v as LayoutName);
  }
  return out;
}

/** The settings of a cold run: as `kzbench run` resolves them, the zstd kernel profile with content_size (coldSetting). */
export function blockSettings(img: KernelImage, codecs: string[] | undefined): string[] {
  return [...new Set(resolveSettings(img, codecs, 'kernel').map((key) => coldSetting(img, key)))];
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: expected a whole number of at least 1`);
  return n;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Read one or more trace files as one trace (mergeTraces). */
function readTrace(paths: readonly string[], format: TraceFormat | undefined): Trace {
  return mergeTraces(paths.map((path) => readTraceFile(path, format)));
}

function matched(set: HotSet, trace: Trace, img: KernelImage, what: string): void {
  if (set.hot.size > 0) return;
  const first = set.unmatched
    .slice(0, 3)
    .map((u) => `${u.name ?? '0x' + (u.address ?? 0n).toString(16)} (${u.why})`)
    .join(', ');
  throw new UsageError(`${trace.file}: ${what} matches no function of ${img.path} (${trace.entries.length} entries${first ? `; e.g. ${first}` : ''})`);
}

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
  // Refuse bad flags before reading anything.
  const blockSizes = parseBlockSizes(opts.blockSize);
  const files = { trace: list(opts.trace), holdout: list(opts.holdout), layoutTrace: list(opts.layoutTrace) };
  if (files.trace.length === 0) throw new UsageError('cold needs --trace FILE (repeatable)');
  const layouts = parseLayouts(opts.layout, files.layoutTrace.length > 0);
  const format = opts.traceFormat as TraceFormat | undefined;
  if (format !== undefined && !TRACE_FORMATS.includes(format)) throw new UsageError(`--trace-format ${format}: allowed: ${TRACE_FORMATS.join(', ')}`);
  let kaslrOffset: bigint | undefined;
  if (opts.kaslrOffset !== undefined) {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(opts.kaslrOffset)) throw new UsageError(`--kaslr-offset ${opts.kaslrOffset}: expected a number such as 0x1e000000`);
    kaslrOffset = BigInt(opts.kaslrOffset);
  }
  for (const l of files.layoutTrace) {
    if (files.holdout.some((h) => resolve(h) === resolve(l)))
      throw new UsageError(`--layout-trace ${l} is the holdout: a layout built from the held-out trace would grade itself`);
  }
  for (const h of files.holdout) {
    if (files.trace.some((t) => resolve(t) === resolve(h)))
      throw new UsageError(`--holdout ${h} is also a --trace: a held-out trace must be one the partition did not see`);
  }
  if (opts.resume && opts.overwrite) throw new UsageError('--resume and --overwrite contradict each other: choose one');
  if (opts.resume && !opts.out) throw new UsageError('--resume needs --out DIR');
  const workers = parseWorkers(opts.workers);
  const minRuns = positiveInt(opts.minRuns, '--min-runs');
  const minTimeMs = opts.minTime === undefined ? undefined : Number(opts.minTime);
  if (minTimeMs !== undefined && !(minTimeMs >= 0)) throw new UsageError(`--min-time ${opts.minTime}: expected milliseconds >= 0`);
  checkSpecs(opts.codec ?? [], 'kernel');

  const traces = {
    trace: readTrace(files.trace, format),
    holdout: files.holdout.length ? readTrace(files.holdout, format) : null,
    layoutTrace: files.layoutTrace.length ? readTrace(files.layoutTrace, format) : null,
  };
  const img = openKernelImage(opts.image, {
    ...(opts.config ? { configPath: opts.config } : {}),
    ...(opts.systemMap ? { systemMapPath: opts.systemMap } : {}),
  });
  if (img.functions.length === 0) throw new UsageError(`${opts.image}: no functions (symbols: ${img.symbols.detail}); give --system-map`);
  const settings = blockSettings(img, opts.codec);
  const map = (t: Trace) => mapTrace(t, img.functions, kaslrOffset !== undefined ? { kaslrOffset } : {});
  const sets = {
    trace: map(traces.trace),
    holdout: traces.holdout ? map(traces.holdout) : null,
    layoutTrace: traces.layoutTrace ? map(traces.layoutTrace) : null,
  };
  matched(sets.trace, traces.trace, img, 'the trace');
  if (sets.holdout) matched(sets.holdout, traces.holdout!, img, 'the holdout trace');
  if (sets.layoutTrace) matched(sets.layoutTrace, traces.layoutTrace!, img, 'the layout trace');

  const sha256 = sha256File(opts.image);
  const code: CodeMap = codeMap(img);
  const plan = planCold(
    img,
    {
      trace: sets.trace,
      ...(sets.holdout ? { holdout: sets.holdout } : {}),
      ...(sets.layoutTrace ? { layoutTrace: sets.layoutTrace } : {}),
      layouts,
      blockSizes,
      settings,
      image: { path: opts.image, sha256 },
    },
    code,
  );
  const info = {
    trace: traceInfo(sets.trace, code, traces.trace),
    holdout: sets.holdout ? traceInfo(sets.holdout, code, traces.holdout!) : null,
    layoutTrace: sets.layoutTrace ? traceInfo(sets.layoutTrace, code, traces.layoutTrace!) : null,
  };
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
  plan: ReturnType<typeof planCold>;
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
