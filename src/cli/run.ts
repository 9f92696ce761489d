// kzbench run [SUITE.yaml] [--shard I/N]
//             [--image FILE] [--unit whole|sections] [--codec ALGO[:SETTING]...]
//             [--profile kernel] [--workers N] [--out DIR] [--resume [DIR]] [--overwrite]
// With a suite file the suite names images, units and settings; without one
// the flags do (and with neither, every kernel profile on the default image).
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fetchDebianKernel, hostDebArch } from '../corpus/debian.js';
import { sha256File } from '../files.js';
import { openKernelImage } from '../image/index.js';
import { parseWorkers, ResultsDirLock, writeFileAtomic } from '../results/dir.js';
import { readRunJson, type RunJson } from '../results/run-json.js';
import type { ResultRow } from '../results/schema.js';
import { runCells, type Cell, type RunSummary } from '../run/index.js';
import { timingWarning } from '../measure/warning.js';
import { expandSuite, resolveImages } from '../plan/index.js';
import { cellsOfShard, loadSuite, parseShard, shardText, suiteCellCost, type LoadedSuite, type Shard } from '../suite/index.js';
import { DEFAULT_TIMING } from '../measure/timing.js';
import { checkSpecs, PROFILES, resolveSettings, type Profile } from '../run/settings.js';
import { units, UNIT_KINDS, type UnitKind } from '../units/index.js';
import { bytesText, table } from './format.js';
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

const META_BY_ARCH: Record<string, string> = { amd64: 'linux-image-amd64', arm64: 'linux-image-arm64', armhf: 'linux-image-armmp', i386: 'linux-image-686' };

/** --image, else the running system's /boot kernel, else a Debian kernel by package name. */
export function defaultImage(log: (s: string) => void): { path: string; source: string; config?: string } {
  const boot = `/boot/vmlinuz-${osRelease()}`;
  if (existsSync(boot)) {
    log(`no --image: using the running system's kernel ${boot}`);
    return { path: boot, source: 'running system /boot' };
  }
  const arch = hostDebArch();
  const meta = META_BY_ARCH[arch] ?? 'linux-image-amd64';
  log(`no --image and no ${boot}: using Debian's ${meta} (${arch}) from the archive`);
  const k = fetchDebianKernel(meta, META_BY_ARCH[arch] ? arch : 'amd64', log);
  log(`kernel: ${k.package} ${k.version} -> ${k.image}`);
  return { path: k.image, source: `debian:${k.package}=${k.version}:${k.arch} sha256 ${k.deb_sha256}`, config: k.config ?? undefined };
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: expected a whole number of at least 1`);
  return n;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

interface Plan {
  cells: Cell[];
  out: string;
  image: { path: string; sha256: string };
  runInfo: Record<string, unknown>;
  headline: string;
  /** Extra files to write into the results directory before the run. */
  files: Record<string, string>;
  after: () => void;
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

/**
 * `kzbench run --resume DIR` without --image/--unit/--codec/--profile: the
 * job DIR/run.json recorded (its image, unit, codecs, profile and timing),
 * not today's defaults; flags given still win (and runCells refuses them when
 * they make another job).
 */
function recordedJob(prev: RunJson, opts: RunOptions): { opts: RunOptions; timing: Record<string, unknown> } {
  const str = (k: string) => (typeof prev[k] === 'string' ? (prev[k] as string) : undefined);
  const base = str('cwd') ?? process.cwd();
  const image = str('image');
  const config = str('image_config');
  const codecs = Array.isArray(prev['codec_args']) ? (prev['codec_args'] as unknown[]).map(String) : undefined;
  const timing = prev['timing'] && typeof prev['timing'] === 'object' ? (prev['timing'] as Record<string, unknown>) : {};
  return {
    opts: {
      ...opts,
      ...(image ? { image: resolve(base, image) } : {}),
      ...(config ? { config: resolve(base, config) } : {}),
      ...(str('unit') ? { unit: str('unit') } : {}),
      ...(codecs ? { codec: codecs } : {}),
      ...(str('profile') ? { profile: str('profile') } : {}),
    },
    timing,
  };
}

function timingOptions(opts: RunOptions, suite?: LoadedSuite) {
  const minRuns = positiveInt(opts.minRuns, '--min-runs') ?? suite?.suite.timing?.min_runs;
  const minTimeFlag = opts.minTime === undefined ? undefined : Number(opts.minTime);
  if (minTimeFlag !== undefined && !(minTimeFlag >= 0)) throw new UsageError(`--min-time ${opts.minTime}: expected milliseconds >= 0`);
  const minTimeMs = minTimeFlag ?? suite?.suite.timing?.min_time_ms;
  return { ...(minRuns !== undefined ? { minRuns } : {}), ...(minTimeMs !== undefined ? { minTimeMs } : {}) };
}

function flagPlan(opts: RunOptions, out: string | undefined, argv: string[], log: (s: string) => void): Plan {
  const unit = opts.unit ?? 'whole';
  const profile = (opts.profile ?? 'kernel') as Profile;
  if (!PROFILES.includes(profile)) throw new UsageError(`--profile ${profile}: allowed: ${PROFILES.join(', ')}`);
  if (!UNIT_KINDS.includes(unit as UnitKind)) throw new UsageError(`--unit ${unit}: allowed: ${UNIT_KINDS.join(', ')}`);
  if (opts.shard !== undefined) throw new UsageError('--shard splits a suite: kzbench run SUITE.yaml --shard I/N');
  checkSpecs(opts.codec ?? [], profile);
  const chosen: { path: string; source: string; config?: string } = opts.image
    ? { path: opts.image, source: 'given', ...(opts.config ? { config: opts.config } : {}) }
    : defaultImage(log);
  const img = openKernelImage(chosen.path, { configPath: chosen.config });
  const settings = resolveSettings(img, opts.codec, profile);
  const list = units(img, unit as UnitKind);
  if (list.length === 0) throw new UsageError(`${chosen.path}: no ${unit} units to compress`);
  const sha256 = sha256File(chosen.path);
  const cells: Cell[] = list.flatMap((u) => settings.map((setting) => ({ unit: { name: u.name, bytes: u.bytes, kind: u.kind, offset: u.offset }, setting })));
  out ??= join('results', timestamp());
  return {
    cells,
    out,
    image: { path: chosen.path, sha256 },
    runInfo: {
      command: argv,
      // what a bare `--resume DIR` needs to run the same job again
      cwd: process.cwd(),
      image_config: chosen.config ?? null,
      codec_args: opts.codec ?? null,
      image_source: chosen.source,
      image_format: img.format,
      arch: img.arch,
      release: img.release,
      payload_algorithm: img.payload?.algorithm ?? null,
      thumb2: img.config?.thumb2 ?? false,
      profile,
      unit,
    },
    headline: `${img.format} ${img.arch} ${img.release ?? ''}: ${list.length} unit(s) x ${settings.length} setting(s) = ${cells.length} cells -> ${out}/results.csv`,
    files: {},
    after: () => {
      if (img.payload) log(`shipped payload: ${img.payload.algorithm} ${bytesText(img.payload.storedBytes)}`);
    },
  };
}

function suitePlan(suite: LoadedSuite, opts: RunOptions, out: string | undefined, resume: boolean, argv: string[], log: (s: string) => void): Plan {
  const conflicts = (['image', 'unit', 'codec', 'profile'] as const).filter((k) => opts[k] !== undefined).map((k) => `--${k}`);
  if (conflicts.length)
    throw new UsageError(
      `${suite.file}: ${conflicts.join(', ')} cannot be combined with a suite file: the suite names images, units and settings (edit it, or run without it)`,
    );
  let shard: Shard | undefined = opts.shard !== undefined ? parseShard(opts.shard) : undefined;
  const previous = resume && out ? readRunJson(join(out, 'run.json')) : undefined;
  if (previous) {
    const prevHash = previous['suite_hash'];
    if (prevHash !== undefined && prevHash !== suite.hash)
      throw new UsageError(
        `${out} is a run of a different suite (suite_hash ${String(prevHash).slice(0, 12)}, ${suite.file} is ${suite.hash.slice(0, 12)}): resume it with its own suite (${join(out!, 'suite.yaml')})`,
      );
    if (prevHash === undefined && previous['command_line']) throw new UsageError(`${out} is not a suite run: resume it with the flags it was started with`);
    const prevShard = (previous['shard'] as Shard | null | undefined) ?? undefined;
    if (shard === undefined) shard = prevShard;
    else if (!prevShard || prevShard.index !== shard.index || prevShard.count !== shard.count) {
      throw new UsageError(`${out} ran ${prevShard ? `shard ${shardText(prevShard)}` : 'the whole suite'}, not --shard ${opts.shard}`);
    }
  }
  const images = resolveImages(suite, log);
  const { cells: all, perImage } = expandSuite(suite, images);
  // The suite's own timing, never a flag: every shard must compute the same costs.
  const costMinTime = suite.suite.timing?.min_time_ms ?? DEFAULT_TIMING.minTimeMs;
  const cells = cellsOfShard(all, shard, (c) => suiteCellCost(c, costMinTime));
  out ??= join('results', `${suite.name}-${timestamp()}${shard ? `-shard${shard.index}of${shard.count}` : ''}`);
  const parts = perImage.map((p) => `${p.ref}: ${p.units} unit(s) x ${p.settings.length} setting(s)`).join('; ');
  return {
    cells,
    out,
    image: { path: images[0]!.path, sha256: images[0]!.sha256 },
    runInfo: {
      command: argv,
      suite: { name: suite.name, file: resolve(suite.file), description: suite.suite.description ?? null },
      suite_hash: suite.hash,
      shard: shard ?? null,
      shard_balance: shard ? 'estimated cost (longest processing time first)' : null,
      cells_in_suite: all.length,
      images: images.map((i) => ({
        ref: i.ref,
        path: i.path,
        sha256: i.sha256,
        source: i.source,
        format: i.image.format,
        arch: i.image.arch,
        release: i.image.release,
        payload_algorithm: i.image.payload?.algorithm ?? null,
        thumb2: i.image.config?.thumb2 ?? false,
        ...(i.corpus ? { corpus: i.corpus } : {}),
      })),
      image_source: images.map((i) => i.source).join('; '),
      image_format: images[0]!.image.format,
      arch: images[0]!.image.arch,
      release: images[0]!.image.release,
      payload_algorithm: images[0]!.image.payload?.algorithm ?? null,
      units: suite.suite.units,
      boards: suite.suite.boards ?? [],
    },
    headline:
      `suite ${suite.name}: ${parts} = ${all.length} cells` + (shard ? `; shard ${shardText(shard)}: ${cells.length} cells` : '') + ` -> ${out}/results.csv`,
    files: { 'suite.yaml': suite.text },
    after: () => {},
  };
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
  let recordedTiming: Record<string, unknown> = {};
  // Said once the run starts (runCells' onStart): a refusal stays the only line.
  const notes: string[] = [];
  const flagMode = (['image', 'unit', 'codec', 'profile'] as const).some((k) => opts[k] !== undefined);
  if (!suiteFile && dirs.resume && dirs.out && !flagMode) {
    const prev = readRunJson(join(dirs.out, 'run.json'));
    const copy = join(dirs.out, 'suite.yaml');
    if (prev?.['suite_hash'] && existsSync(copy)) {
      // `kzbench run --resume DIR` of a suite run: its own copy of the suite.
      suiteFile = copy;
      const original = (prev['suite'] as { name?: string; file?: string } | undefined) ?? {};
      // Relative image paths in the copy are relative to where the suite was.
      if (original.file) baseDir = dirname(original.file);
      notes.push(`resuming suite ${original.name ?? ''} from ${copy}`);
    } else if (prev && !prev['suite_hash']) {
      const recorded = recordedJob(prev, opts);
      opts = recorded.opts;
      recordedTiming = recorded.timing;
      notes.push(`resuming the run recorded in ${join(dirs.out, 'run.json')}${opts.image ? `: ${opts.image}` : ''}`);
    }
  }
  const maxCells = positiveInt(opts.maxCells, '--max-cells');
  const suite = suiteFile ? loadSuite(suiteFile, { ...(baseDir ? { baseDir } : {}), ...(maxCells ? { maxCells } : {}) }) : undefined;
  const timing = { ...recordedTiming, ...timingOptions(opts, suite) };
  const plan = suite ? suitePlan(suite, opts, dirs.out, dirs.resume, argv, log) : flagPlan(opts, dirs.out, argv, log);
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
  plan.after();
  log(`results: ${summary.resultsPath ?? plan.out} (${((Date.now() - started) / 1000).toFixed(0)}s)`);
  const busy = timingWarning(summary.rows, summary.machine);
  if (busy) log(busy);
  if (summary.interrupted) return 130;
  return summary.failed > 0 ? 1 : 0;
}
