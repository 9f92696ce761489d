// Real kernels from Debian's archive, by package name: resolve the current
// version, `apt-get download` it into the cache, `dpkg-deb -x` its /boot, and
// record version and sha256. Kernels are never committed; offline runs use
// what the cache already holds.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export class CorpusError extends Error {
  override name = 'CorpusError';
}

export interface CachedKernel {
  /** The package asked for (often a metapackage such as linux-image-amd64). */
  request: string;
  /** The real image package it resolved to. */
  package: string;
  version: string;
  arch: string;
  deb: string;
  deb_sha256: string;
  image: string;
  image_sha256: string;
  config: string | null;
  fetched: string;
}

export function cacheDir(): string {
  if (process.env.KZBENCH_CACHE) return process.env.KZBENCH_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kzbench');
}

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; code?: string; message: string };
    const detail = (err.stderr ?? '').trim().split('\n').filter((l) => /^E:|error/i.test(l))[0] ?? err.code ?? err.message.split('\n')[0];
    throw new CorpusError(`${cmd} ${args.join(' ')} failed: ${detail}`);
  }
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function hostDebArch(): string {
  try {
    return run('dpkg', ['--print-architecture']).trim();
  } catch {
    return process.arch === 'x64' ? 'amd64' : process.arch;
  }
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** "linux-image-amd64" -> the image package and version it depends on now. */
export function resolvePackage(request: string, arch: string): { package: string; version: string } {
  const spec = `${request}:${arch}`;
  let show = '';
  try {
    show = run('apt-cache', ['show', '--no-all-versions', spec]);
  } catch {
    show = '';
  }
  if (!show.trim()) {
    const foreign = arch !== hostDebArch();
    const fix = `${foreign ? `dpkg --add-architecture ${arch} && ` : ''}apt-get update`;
    if (!isRoot()) throw new CorpusError(`apt knows no package ${spec}; run as root: ${fix}`);
    if (foreign) run('dpkg', ['--add-architecture', arch]);
    try {
      run('apt-get', ['update', '-q']);
    } catch {
      // an index that fails (a mirror mid-sync) should not stop what resolves
    }
    show = run('apt-cache', ['show', '--no-all-versions', spec]);
    if (!show.trim()) throw new CorpusError(`apt knows no package ${spec} even after ${fix}`);
  }
  const version = /^Version: (.+)$/m.exec(show)?.[1]?.trim();
  const depends = /^Depends: (.+)$/m.exec(show)?.[1] ?? '';
  const image = /(linux-image-[^\s,(|]+)/.exec(depends)?.[1];
  if (image && /^linux-image-\d/.test(image)) {
    const v = /^Version: (.+)$/m.exec(run('apt-cache', ['show', '--no-all-versions', `${image}:${arch}`]))?.[1]?.trim();
    if (!v) throw new CorpusError(`apt has no version for ${image}:${arch}`);
    return { package: image, version: v };
  }
  if (!version) throw new CorpusError(`apt-cache show ${spec} has no Version`);
  return { package: request, version };
}

/** What the cache holds, newest first. */
export function cachedKernels(): CachedKernel[] {
  const root = join(cacheDir(), 'kernels');
  if (!existsSync(root)) return [];
  const out: CachedKernel[] = [];
  for (const d of readdirSync(root)) {
    const meta = join(root, d, 'kzbench.json');
    if (existsSync(meta)) out.push(JSON.parse(readFileSync(meta, 'utf8')) as CachedKernel);
  }
  return out.sort((a, b) => b.fetched.localeCompare(a.fetched));
}

/**
 * The kernel of a Debian package, fetched into the cache unless it is
 * there already. Offline (apt cannot resolve), the newest cached kernel for
 * the same request is used.
 */
export function fetchDebianKernel(request: string, arch = hostDebArch(), log: (s: string) => void = () => {}): CachedKernel {
  let resolved: { package: string; version: string };
  try {
    resolved = resolvePackage(request, arch);
  } catch (e) {
    const cached = cachedKernels().find((k) => k.request === request && k.arch === arch);
    if (cached) {
      log(`${(e as Error).message}; using the cached ${cached.package} ${cached.version}`);
      return cached;
    }
    throw e;
  }
  const name = `${resolved.package}_${resolved.version}_${arch}`;
  const dir = join(cacheDir(), 'kernels', name);
  const metaPath = join(dir, 'kzbench.json');
  if (existsSync(metaPath)) return JSON.parse(readFileSync(metaPath, 'utf8')) as CachedKernel;

  const debs = join(cacheDir(), 'debs');
  mkdirSync(debs, { recursive: true });
  const debName = `${resolved.package}_${resolved.version.replace(/:/g, '%3a')}_${arch}.deb`;
  const deb = join(debs, debName);
  if (!existsSync(deb)) {
    log(`downloading ${resolved.package}:${arch} ${resolved.version} (apt-get download) into ${debs}`);
    run('apt-get', ['download', '-q', `${resolved.package}:${arch}=${resolved.version}`], debs);
    if (!existsSync(deb)) {
      const got = readdirSync(debs).find((f) => f.startsWith(`${resolved.package}_`) && f.endsWith(`_${arch}.deb`));
      if (!got) throw new CorpusError(`apt-get download ${resolved.package}:${arch} left no .deb in ${debs}`);
      renameSync(join(debs, got), deb);
    }
  }
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`extracting /boot of ${debName} (dpkg-deb -x)`);
  execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./boot', 'sh', deb, tmp], { stdio: ['ignore', 'ignore', 'pipe'] });
  const boot = join(tmp, 'boot');
  const files = existsSync(boot) ? readdirSync(boot) : [];
  const image = files.find((f) => /^(vmlinuz|vmlinux|zImage|Image)-/.test(f));
  if (!image) throw new CorpusError(`${debName} has no kernel image in /boot`);
  const config = files.find((f) => f.startsWith('config-'));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  const entry: CachedKernel = {
    request,
    package: resolved.package,
    version: resolved.version,
    arch,
    deb,
    deb_sha256: sha256File(deb),
    image: join(dir, 'boot', image),
    image_sha256: sha256File(join(dir, 'boot', image)),
    config: config ? join(dir, 'boot', config) : null,
    fetched: new Date().toISOString(),
  };
  writeFileSync(metaPath, JSON.stringify(entry, null, 2) + '\n');
  return entry;
}

/**
 * The real System.map of a Debian kernel, from its -dbg package (the one in
 * /boot is a stub). Only that file is extracted: the package is ~280 MB.
 */
export function fetchDebugSystemMap(k: CachedKernel, log: (s: string) => void = () => {}): string {
  const pkg = `${k.package}-dbg`;
  const dir = join(cacheDir(), 'kernels', `${pkg}_${k.version}_${k.arch}`);
  const existing = existsSync(join(dir, 'usr/lib/debug/boot')) ? readdirSync(join(dir, 'usr/lib/debug/boot')).find((f) => f.startsWith('System.map-')) : undefined;
  if (existing) return join(dir, 'usr/lib/debug/boot', existing);
  const debs = join(cacheDir(), 'debs');
  mkdirSync(debs, { recursive: true });
  const debName = `${pkg}_${k.version.replace(/:/g, '%3a')}_${k.arch}.deb`;
  const deb = join(debs, debName);
  if (!existsSync(deb)) {
    log(`downloading ${pkg}:${k.arch} ${k.version} (apt-get download) into ${debs}`);
    run('apt-get', ['download', '-q', `${pkg}:${k.arch}=${k.version}`], debs);
  }
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./usr/lib/debug/boot/System.map-*"', 'sh', deb, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  const found = readdirSync(join(dir, 'usr/lib/debug/boot')).find((f) => f.startsWith('System.map-'));
  if (!found) throw new CorpusError(`${debName} has no System.map`);
  return join(dir, 'usr/lib/debug/boot', found);
}
