// kzbench run [--image FILE] [--unit whole|sections] [--codec ALGO[:SETTING]...]
//             [--profile kernel] [--workers N] [--out DIR]
import { existsSync } from 'node:fs';
import { release as osRelease } from 'node:os';
import { join } from 'node:path';
import { kernelAlgorithms, kernelProfile, parseSetting } from '../codecs/index.js';
import { isAlgorithm } from '../codecs/types.js';
import { fetchDebianKernel, hostDebArch, sha256File } from '../corpus/debian.js';
import { openKernelImage, type KernelImage } from '../image/index.js';
import { runCells, SettingsError, type Cell, type RunProgress } from '../run/index.js';
import { units, UNIT_KINDS, type UnitKind } from '../units/index.js';
import { bytesText, table } from './format.js';
import { UsageError } from './usage.js';

export interface RunOptions {
  image?: string;
  unit: string;
  codec?: string[];
  profile: string;
  workers?: string;
  out?: string;
  resume?: boolean;
  overwrite?: boolean;
  minRuns?: string;
  minTime?: string;
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

/**
 * Check every --codec before any work: bare algorithm names under the kernel
 * profile wait for the image (the profile follows its arch and version);
 * everything else must parse now. Every problem is reported, not the first.
 */
export function checkCodecs(codecs: string[] | undefined, profile: string): void {
  if (profile !== 'kernel' && profile !== 'none') throw new UsageError(`--profile ${profile}: allowed: kernel, none`);
  const problems: { spec: string; message: string }[] = [];
  for (const spec of codecs ?? []) {
    if (profile === 'kernel' && isAlgorithm(spec)) continue;
    try {
      parseSetting(spec);
    } catch (e) {
      problems.push({ spec, message: (e as Error).message });
    }
  }
  if (problems.length) throw new SettingsError(problems);
}

/** The settings a run covers: kernel profiles for bare algorithm names, explicit settings as given. */
export function resolveSettings(img: KernelImage, codecs: string[] | undefined, profile: string): string[] {
  checkCodecs(codecs, profile);
  const target = { arch: img.arch, kernelVersion: img.version ?? undefined, thumb2: img.config?.thumb2 ?? false, bigEndian: !img.littleEndian };
  const specs = codecs && codecs.length > 0 ? codecs : kernelAlgorithms(img.arch);
  const out: string[] = [];
  for (const spec of specs) {
    if (profile === 'kernel' && isAlgorithm(spec)) out.push(kernelProfile(spec, target).key);
    else out.push(parseSetting(spec).key);
  }
  return [...new Set(out)];
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: expected a whole number of at least 1`);
  return n;
}

export async function runCommand(opts: RunOptions, argv: string[]): Promise<number> {
  const log = (s: string) => process.stderr.write(s + '\n');
  if (!UNIT_KINDS.includes(opts.unit as UnitKind)) throw new UsageError(`--unit ${opts.unit}: allowed: ${UNIT_KINDS.join(', ')}`);
  const workers = positiveInt(opts.workers, '--workers');
  const minRuns = positiveInt(opts.minRuns, '--min-runs');
  const minTimeMs = opts.minTime === undefined ? undefined : Number(opts.minTime);
  if (minTimeMs !== undefined && !(minTimeMs >= 0)) throw new UsageError(`--min-time ${opts.minTime}: expected milliseconds >= 0`);

  checkCodecs(opts.codec, opts.profile);
  const chosen = opts.image ? { path: opts.image, source: 'given' } : defaultImage(log);
  const img = openKernelImage(chosen.path, { configPath: 'config' in chosen ? chosen.config : undefined });
  const settings = resolveSettings(img, opts.codec, opts.profile);
  const list = units(img, opts.unit as UnitKind);
  if (list.length === 0) throw new UsageError(`${chosen.path}: no ${opts.unit} units to compress`);
  const sha256 = sha256File(chosen.path);
  const cells: Cell[] = list.flatMap((u) => settings.map((setting) => ({ unit: { name: u.name, bytes: u.bytes, kind: u.kind, offset: u.offset }, setting })));
  const out = opts.out ?? join('results', new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19));
  log(`${img.format} ${img.arch} ${img.release ?? ''}: ${list.length} unit(s) x ${settings.length} setting(s) = ${cells.length} cells -> ${out}/results.csv`);

  const controller = new AbortController();
  const onSigint = () => {
    log('interrupted: finishing the file with complete rows only');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  const started = Date.now();
  const summary = await runCells(cells, {
    workers,
    outDir: out,
    existing: opts.resume ? 'resume' : opts.overwrite ? 'overwrite' : 'error',
    image: { path: chosen.path, sha256 },
    runInfo: { command: argv, image_source: chosen.source, image_format: img.format, arch: img.arch, release: img.release, profile: opts.profile, unit: opts.unit },
    signal: controller.signal,
    timing: { ...(minRuns ? { minRuns } : {}), ...(minTimeMs !== undefined ? { minTimeMs } : {}) },
    onProgress: (p: RunProgress) => {
      const r = p.finished;
      if (!r) return;
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      log(
        `[${p.done}/${p.total}] ${r.unit} ${r.setting}: ` +
          (r.verified ? `${r.unit_bytes} -> ${r.compressed_bytes} bytes (ratio ${Number(r.ratio).toFixed(3)}), decompress ${Number(r.decompress_mb_s).toFixed(0)} MB/s` : `FAILED: ${r.error}`) +
          ` (${secs}s)`,
      );
    },
  });
  process.removeListener('SIGINT', onSigint);
  const rows = summary.rows.filter((r) => r.verified);
  if (rows.length) {
    process.stdout.write(
      table(
        ['unit', 'setting', 'backend', 'compressed', 'ratio', 'decompress MB/s'],
        rows.map((r) => [r.unit, r.setting, r.backend, Number(r.compressed_bytes).toLocaleString('en-US'), Number(r.ratio).toFixed(3), Number(r.decompress_mb_s).toFixed(0)]),
        [false, false, false, true, true, true],
      ) + '\n',
    );
  }
  if (img.payload) log(`shipped payload: ${img.payload.algorithm} ${bytesText(img.payload.storedBytes)}`);
  log(`results: ${summary.resultsPath ?? out}`);
  if (summary.interrupted) return 130;
  return summary.failed > 0 ? 1 : 0;
}
