// `kzbench run`'s plan: a suite file, or the flags as a one-entry suite
// (flags.ts), expanded by the one planner (expand.ts) into the cells, the
// results directory, run.json's description of the job and the lines said
// before and after. Both forms go through the same schema and expansion, so
// `run --image X --codec xz` and a suite naming X and xz make the same cells.
import { existsSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import { join, resolve } from 'node:path';
import { fetchDebianKernel, hostDebArch } from '../corpus/debian.js';
import { DEFAULT_TIMING, type TimingOptions } from '../measure/timing.js';
import type { RunJson } from '../results/run-json.js';
import type { Cell } from '../run/index.js';
import { cellsOfShard, parseShard, shardText, suiteCellCost, type LoadedSuite, type Shard } from '../suite/index.js';
import { UNIT_KINDS, type UnitKind } from '../units/index.js';
import { asFlags, FlagError, flagSettings, flagSuite } from './flags.js';
import { expandSuite, resolveImages, type SuiteImage } from './expand.js';

/** What `run` was asked, by flags or by a suite file. */
export interface RunRequest {
  image?: string;
  /** The image's .config (only from a resumed run's record: run has no --config flag). */
  config?: string;
  unit?: string;
  codec?: string[];
  profile?: string;
  shard?: string;
  /** The results directory, when given (--out, --resume DIR). */
  out?: string;
  resume: boolean;
  argv: string[];
}

export interface RunPlan {
  cells: Cell[];
  out: string;
  image: { path: string; sha256: string };
  runInfo: Record<string, unknown>;
  headline: string;
  /** Extra files to write into the results directory before the run. */
  files: Record<string, string>;
  /** Lines to say after the run's table. */
  after: string[];
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

export function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

/**
 * `kzbench run --resume DIR` without --image/--unit/--codec/--profile: the
 * job DIR/run.json recorded (its image, unit, codecs, profile), not today's
 * defaults; flags given still win (and runCells refuses them when they make
 * another job).
 */
export function recordedRequest(prev: RunJson): {
  fields: Pick<RunRequest, 'image' | 'config' | 'unit' | 'codec' | 'profile'>;
  timing: Partial<TimingOptions>;
} {
  const base = prev.cwd ?? process.cwd();
  const { image, image_config: config, unit, profile } = prev;
  const codecs = prev.codec_args ?? undefined;
  const timing = prev.timing ?? {};
  return {
    fields: {
      ...(image ? { image: resolve(base, image) } : {}),
      ...(config ? { config: resolve(base, config) } : {}),
      ...(unit ? { unit } : {}),
      ...(codecs ? { codec: codecs } : {}),
      ...(profile ? { profile } : {}),
    },
    timing,
  };
}

/** The image fields of run.json, from the first image of a plan. */
function imageInfo(img: SuiteImage): Record<string, unknown> {
  return {
    image_format: img.image.format,
    arch: img.image.arch,
    release: img.image.release,
    payload_algorithm: img.image.payload?.algorithm ?? null,
    thumb2: img.image.config?.thumb2 ?? false,
  };
}

/** The plan of `run` given by flags: the one-entry suite they mean. */
export function flagRunPlan(req: RunRequest, log: (s: string) => void): RunPlan {
  const unit = req.unit ?? 'whole';
  if (!UNIT_KINDS.includes(unit as UnitKind)) throw new FlagError([`--unit ${unit}: allowed: ${UNIT_KINDS.join(', ')}`]);
  if (req.shard !== undefined) throw new FlagError(['--shard splits a suite: kzbench run SUITE.yaml --shard I/N']);
  // The flags are checked before a default image is looked for (or fetched).
  flagSettings(req.codec, req.profile);
  const chosen: { path: string; source: string; config?: string } = req.image
    ? { path: req.image, source: 'given', ...(req.config ? { config: req.config } : {}) }
    : defaultImage(log);
  const suite = flagSuite({
    images: [{ path: chosen.path, ...(chosen.config ? { config: chosen.config } : {}) }],
    units: [unit],
    ...(req.codec ? { codecs: req.codec } : {}),
    ...(req.profile ? { profile: req.profile } : {}),
  });
  const [img] = asFlags(suite, () => resolveImages(suite, log));
  const { cells, perImage } = asFlags(suite, () => expandSuite(suite, [img!]));
  const out = req.out ?? join('results', timestamp());
  const i = img!.image;
  return {
    cells,
    out,
    image: { path: img!.path, sha256: img!.sha256 },
    runInfo: {
      command: req.argv,
      // what a bare `--resume DIR` needs to run the same job again
      cwd: process.cwd(),
      image_config: chosen.config ?? null,
      codec_args: req.codec ?? null,
      image_source: chosen.source,
      ...imageInfo(img!),
      profile: req.profile ?? 'kernel',
      unit,
    },
    headline: `${i.format} ${i.arch} ${i.release ?? ''}: ${perImage[0]!.units} unit(s) x ${perImage[0]!.settings.length} setting(s) = ${cells.length} cells -> ${out}/results.csv`,
    files: {},
    after: i.payload ? [`shipped payload: ${i.payload.algorithm} ${i.payload.storedBytes.toLocaleString('en-US')} bytes`] : [],
  };
}

/** The plan of `run SUITE.yaml` (or of its own copy, on resume). */
export function suiteRunPlan(suite: LoadedSuite, req: RunRequest, previous: RunJson | undefined, log: (s: string) => void): RunPlan {
  const conflicts = (['image', 'unit', 'codec', 'profile'] as const).filter((k) => req[k] !== undefined).map((k) => `--${k}`);
  if (conflicts.length)
    throw new FlagError([
      `${suite.file}: ${conflicts.join(', ')} cannot be combined with a suite file: the suite names images, units and settings (edit it, or run without it)`,
    ]);
  let shard: Shard | undefined = req.shard !== undefined ? parseShard(req.shard) : undefined;
  const out0 = req.out;
  if (previous) {
    const prevHash = previous.suite_hash;
    if (prevHash !== undefined && prevHash !== suite.hash)
      throw new FlagError([
        `${out0} is a run of a different suite (suite_hash ${prevHash.slice(0, 12)}, ${suite.file} is ${suite.hash.slice(0, 12)}): resume it with its own suite (${join(out0!, 'suite.yaml')})`,
      ]);
    if (prevHash === undefined && previous.command_line) throw new FlagError([`${out0} is not a suite run: resume it with the flags it was started with`]);
    const prevShard = (previous.shard as Shard | null | undefined) ?? undefined;
    if (shard === undefined) shard = prevShard;
    else if (!prevShard || prevShard.index !== shard.index || prevShard.count !== shard.count) {
      throw new FlagError([`${out0} ran ${prevShard ? `shard ${shardText(prevShard)}` : 'the whole suite'}, not --shard ${req.shard}`]);
    }
  }
  const images = resolveImages(suite, log);
  const { cells: all, perImage } = expandSuite(suite, images);
  // The suite's own timing, never a flag: every shard must compute the same costs.
  const costMinTime = suite.suite.timing?.min_time_ms ?? DEFAULT_TIMING.minTimeMs;
  const cells = cellsOfShard(all, shard, (c) => suiteCellCost(c, costMinTime));
  const out = out0 ?? join('results', `${suite.name}-${timestamp()}${shard ? `-shard${shard.index}of${shard.count}` : ''}`);
  const parts = perImage.map((p) => `${p.ref}: ${p.units} unit(s) x ${p.settings.length} setting(s)`).join('; ');
  return {
    cells,
    out,
    image: { path: images[0]!.path, sha256: images[0]!.sha256 },
    runInfo: {
      command: req.argv,
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
      ...imageInfo(images[0]!),
      units: suite.suite.units,
      boards: suite.suite.boards ?? [],
    },
    headline:
      `suite ${suite.name}: ${parts} = ${all.length} cells` + (shard ? `; shard ${shardText(shard)}: ${cells.length} cells` : '') + ` -> ${out}/results.csv`,
    files: { 'suite.yaml': suite.text },
    after: [],
  };
}
