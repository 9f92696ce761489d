// The kernel source a kernel decoder is built from: Debian's
// linux-source-X.Y package of the image's kernel series, fetched by name
// and cached (only the files the boot decompressors need are kept), or a
// kernel tree the user names. Nothing of it is part of kzbench.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheDir } from '../corpus/debian.js';
import { withLock } from '../corpus/lock.js';
import { KzError } from '../errors.js';
import { sha256File } from '../files.js';

export class KernelSourceError extends KzError {
  override name = 'KernelSourceError';
}

export interface KernelSource {
  /** A directory holding lib/decompress_*.c and the headers they include (include/linux/...). */
  dir: string;
  /** The kernel version of the source ("6.1.192"). */
  version: string;
  /** Where it came from: "debian linux-source-6.1 6.1.192-3 (sha256 ...)" or "tree DIR". */
  origin: string;
}

/** The files of a kernel tree the boot decompressors compile from. */
export const SOURCE_PATTERNS = [
  'lib/decompress_*.c',
  'lib/xxhash.c',
  'lib/xz/*',
  'lib/zlib_inflate/*',
  'lib/lzo/*',
  'lib/lz4/*',
  'lib/zstd/*',
  'include/linux/decompress/*',
  'include/linux/*.h',
  'arch/arm/boot/compressed/string.c',
  'Makefile',
];
/** Bumped when SOURCE_PATTERNS change: a cached source kept with other patterns is fetched again. */
const LAYOUT = 2;

/** "6.1.0-57-amd64", "6.1.192" -> "6.1" */
export function kernelSeries(version: string): string {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) throw new KernelSourceError(`cannot tell the kernel series of "${version}"`);
  return `${m[1]}.${m[2]}`;
}

/** VERSION.PATCHLEVEL.SUBLEVEL of a tree's top Makefile. */
export function treeVersion(dir: string): string {
  const mk = join(dir, 'Makefile');
  if (!existsSync(mk)) throw new KernelSourceError(`no Makefile: not a kernel tree`, dir);
  const text = readFileSync(mk, 'utf8').slice(0, 4096);
  const field = (k: string) => new RegExp(`^${k}\\s*=\\s*(\\d+)`, 'm').exec(text)?.[1];
  const [v, p, s] = [field('VERSION'), field('PATCHLEVEL'), field('SUBLEVEL')];
  if (v === undefined || p === undefined) throw new KernelSourceError(`its Makefile has no VERSION/PATCHLEVEL: not a kernel tree`, dir);
  return `${v}.${p}.${s ?? 0}`;
}

/** A kernel tree the user names (--kernel-source DIR). */
export function kernelTree(dir: string): KernelSource {
  const abs = resolve(dir);
  if (!existsSync(join(abs, 'lib', 'decompress_unxz.c'))) throw new KernelSourceError(`no lib/decompress_unxz.c: not a kernel tree`, dir);
  return { dir: abs, version: treeVersion(abs), origin: `tree ${abs}` };
}

function sh(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    const line = (err.stderr ?? '').split('\n').find((l) => /^E:|error/i.test(l)) ?? err.message.split('\n')[0];
    throw new KernelSourceError(`${cmd} ${args.join(' ')} failed: ${line}`);
  }
}

/**
 * Debian's linux-source-SERIES, from the cache or fetched now: the .deb
 * downloaded with apt, its source tarball opened, the decompressor files kept.
 */
export function debianKernelSource(series: string, log: (s: string) => void = () => {}): KernelSource {
  const pkg = `linux-source-${series}`;
  const root = join(cacheDir(), 'kernel-source');
  const cached = (): KernelSource | undefined => {
    if (!existsSync(root)) return undefined;
    const dirs = readdirSync(root)
      .filter((d) => d.startsWith(`${pkg}_`) && existsSync(join(root, d, 'kzbench.json')))
      .sort();
    const d = dirs.at(-1);
    if (!d) return undefined;
    const meta = JSON.parse(readFileSync(join(root, d, 'kzbench.json'), 'utf8')) as { version: string; origin: string; layout?: number };
    if (meta.layout !== LAYOUT) return undefined;
    return { dir: join(root, d), version: meta.version, origin: meta.origin };
  };
  const have = cached();
  if (have) return have;
  mkdirSync(root, { recursive: true });
  return withLock(join(cacheDir(), 'locks', `${pkg}.lock`), pkg, () => cached() ?? fetchSource(pkg, root, log), { log });
}

function fetchSource(pkg: string, root: string, log: (s: string) => void): KernelSource {
  const show = sh('apt-cache', ['show', '--no-all-versions', pkg]);
  const debVersion = /^Version: (.+)$/m.exec(show)?.[1]?.trim();
  if (!debVersion) throw new KernelSourceError(`apt knows no ${pkg} (is a Debian source for this release configured? run apt-get update)`);
  const tmp = mkdtempSync(join(root, `.fetch-${pkg}-`));
  try {
    log(`fetching ${pkg} ${debVersion} (the kernel's own decompressors)`);
    sh('apt-get', ['download', '-q', `${pkg}=${debVersion}`], tmp);
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new KernelSourceError(`apt-get download ${pkg} left no .deb`);
    const debSha = sha256File(join(tmp, deb));
    sh('dpkg-deb', ['-x', deb, 'x'], tmp);
    const tarDir = join(tmp, 'x', 'usr', 'src');
    const tarball = readdirSync(tarDir).find((f) => /^linux-source-.*\.tar\.(xz|bz2|gz)$/.test(f));
    if (!tarball) throw new KernelSourceError(`${deb} holds no linux-source tarball`);
    const top = tarball.replace(/\.tar\.(xz|bz2|gz)$/, '');
    sh('tar', ['-xf', join(tarDir, tarball), '--wildcards', ...SOURCE_PATTERNS.map((p) => `${top}/${p}`)], tmp);
    const version = treeVersion(join(tmp, top));
    const origin = `debian ${pkg} ${debVersion} (${deb}, sha256 ${debSha})`;
    writeFileSync(
      join(tmp, top, 'kzbench.json'),
      JSON.stringify({ package: pkg, deb_version: debVersion, deb_sha256: debSha, version, origin, layout: LAYOUT }, null, 2) + '\n',
    );
    const dest = join(root, `${pkg}_${debVersion.replace(/[^A-Za-z0-9.+~-]/g, '_')}`);
    rmSync(dest, { recursive: true, force: true });
    renameSync(join(tmp, top), dest);
    return { dir: dest, version, origin };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
