// Real kernels from Debian's archive, by package name: resolve the current
// version, `apt-get download` it into the cache, `dpkg-deb -x` its /boot, and
// record version and sha256. Kernels are never committed; offline runs use
// what the cache already holds.
import { KzError } from '../errors.js';
import { sha256File } from '../files.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { withLock } from './lock.js';

export class CorpusError extends KzError {
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
    const detail =
      (err.stderr ?? '')
        .trim()
        .split('\n')
        .filter((l) => /^E:|error/i.test(l))[0] ??
      err.code ??
      err.message.split('\n')[0];
    throw new CorpusError(`${cmd} ${args.join(' ')} failed: ${detail}`);
  }
}

export function hostDebArch(): string {
  try {
    return run('dpkg', ['--print-architecture']).trim();
  } catch {
    return process.arch === 'x64' ? 'amd64' : process.arch;
  }
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * `apt-get update`, which may fail for one index (seen: the security suite's
 * armhf index had a size mismatch and apt dropped every foreign security
 * index). What resolves afterwards is used; what went wrong is said.
 */
export function aptUpdate(log: (s: string) => void): void {
  log('apt-get update');
  let text = '';
  try {
    text = execFileSync('apt-get', ['update', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    text = `${err.stdout ?? ''}\n${err.stderr ?? err.message}`;
  }
  const problems = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(W|E|Err):/.test(l));
  if (problems.length) {
    log(`apt-get update had problems; continuing with the indexes that did update:`);
    for (const p of problems.slice(0, 8)) log(`  ${p}`);
    if (problems.length > 8) log(`  (${problems.length - 8} more)`);
  }
}

/** "linux-image-amd64" -> the image package and version it depends on now. */
export function resolvePackage(request: string, arch: string, log: (s: string) => void = () => {}): { package: string; version: string } {
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
    if (!isRoot()) throw new CorpusError(`apt knows no package ${spec}; as root run: sudo sh -c '${fix}' (then fetch again)`);
    if (foreign) {
      log(`adding the foreign architecture ${arch} (dpkg --add-architecture ${arch})`);
      run('dpkg', ['--add-architecture', arch]);
    }
    aptUpdate(log);
    try {
      show = run('apt-cache', ['show', '--no-all-versions', spec]);
    } catch {
      show = '';
    }
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

/** "linux-image-6.1.0-56-cloud-amd64" -> "linux-image-cloud-amd64" (the metapackage that names it). */
export function metapackageOf(pkg: string): string {
  return pkg.replace(/^linux-image-\d+\.\d+[^-]*-\d+-/, 'linux-image-');
}

const CACHE_DIR_NAME = /^(linux-image-[^_]+)_([^_]+)_([^_]+)$/;

/**
 * Describe a kernels/<pkg>_<version>_<arch> directory that has an extracted
 * /boot but no kzbench.json (extracted by hand or by an older version), and
 * write its kzbench.json so the next look is cheap.
 */
function adopt(dir: string): CachedKernel | undefined {
  const m = CACHE_DIR_NAME.exec(basename(dir));
  const boot = join(dir, 'boot');
  if (!m || !existsSync(boot)) return undefined;
  const files = readdirSync(boot);
  const image = files.find((f) => /^(vmlinuz|vmlinux|zImage|Image)-/.test(f));
  if (!image) return undefined;
  const [, pkg, version, arch] = m as unknown as [string, string, string, string];
  const config = files.find((f) => f.startsWith('config-'));
  const deb = join(cacheDir(), 'debs', `${pkg}_${version.replace(/:/g, '%3a')}_${arch}.deb`);
  const entry: CachedKernel = {
    request: metapackageOf(pkg),
    package: pkg,
    version,
    arch,
    deb: existsSync(deb) ? deb : '',
    deb_sha256: existsSync(deb) ? sha256File(deb) : '',
    image: join(boot, image),
    image_sha256: sha256File(join(boot, image)),
    config: config ? join(boot, config) : null,
    fetched: statSync(join(boot, image)).mtime.toISOString(),
  };
  try {
    writeFileSync(join(dir, 'kzbench.json'), JSON.stringify(entry, null, 2) + '\n');
  } catch {
    // a read-only cache still serves
  }
  return entry;
}

/** What the cache holds, newest first. */
export function cachedKernels(): CachedKernel[] {
  const root = join(cacheDir(), 'kernels');
  if (!existsSync(root)) return [];
  const out: CachedKernel[] = [];
  for (const d of readdirSync(root)) {
    if (d.endsWith('.tmp')) continue;
    const meta = join(root, d, 'kzbench.json');
    if (existsSync(meta)) {
      try {
        out.push(JSON.parse(readFileSync(meta, 'utf8')) as CachedKernel);
        continue;
      } catch {
        // rewritten below
      }
    }
    const k = adopt(join(root, d));
    if (k) out.push(k);
  }
  return out.sort((a, b) => b.fetched.localeCompare(a.fetched) || b.version.localeCompare(a.version));
}

/** The newest cached kernel of a request (metapackage or image package) and arch. */
export function cachedKernel(request: string, arch: string): CachedKernel | undefined {
  return cachedKernels().find((k) => (k.request === request || k.package === request) && k.arch === arch);
}

/** How fetchDebianKernel got its kernel. */
export type FetchOutcome = 'cached' | 'fetched' | 'stale-cache';

export interface FetchedKernel extends CachedKernel {
  outcome: FetchOutcome;
  /** Why an older cached kernel was used instead of the current one. */
  note?: string;
}

/**
 * The kernel of a Debian package, fetched into the cache unless it is
 * there already. When apt cannot resolve the package or download it
 * (offline, no foreign arch), the newest cached kernel for the same request
 * is used and the reason is logged.
 */
export function fetchDebianKernel(request: string, arch = hostDebArch(), log: (s: string) => void = () => {}): FetchedKernel {
  const fallback = (e: unknown): FetchedKernel => {
    const cached = cachedKernel(request, arch);
    if (!cached) throw e;
    const note = `${(e as Error).message}; using the cached ${cached.package} ${cached.version}`;
    log(note);
    return { ...cached, outcome: 'stale-cache', note };
  };
  let resolved: { package: string; version: string };
  try {
    resolved = resolvePackage(request, arch, log);
  } catch (e) {
    return fallback(e);
  }
  const name = `${resolved.package}_${resolved.version}_${arch}`;
  const dir = join(cacheDir(), 'kernels', name);
  const metaPath = join(dir, 'kzbench.json');
  const cached = (): FetchedKernel | undefined => {
    if (existsSync(metaPath)) {
      try {
        return { ...(JSON.parse(readFileSync(metaPath, 'utf8')) as CachedKernel), outcome: 'cached' };
      } catch {
        // unreadable: described again from the files below
      }
    }
    const adopted = adopt(dir);
    return adopted ? { ...adopted, request, outcome: 'cached' } : undefined;
  };
  const before = cached();
  if (before) return before;
  // One fetch of this entry at a time: a second waits, then finds it cached.
  return withLock(
    join(cacheDir(), 'locks', `${name}.lock`),
    `${resolved.package}:${arch} ${resolved.version}`,
    () => cached() ?? download(request, resolved, arch, dir, fallback, log),
    { log },
  );
}

/**
 * Download and extract one kernel package into DIR. The caller holds DIR's
 * lock; everything is written in a temporary directory of this fetch
 * (mkdtemp in the cache, so the final renames stay on one file system) and
 * renamed into place whole: the .deb into debs/, the extracted /boot with
 * its kzbench.json into kernels/.
 */
function download(
  request: string,
  resolved: { package: string; version: string },
  arch: string,
  dir: string,
  fallback: (e: unknown) => FetchedKernel,
  log: (s: string) => void,
): FetchedKernel {
  const name = basename(dir);
  const tmpRoot = join(cacheDir(), 'tmp');
  mkdirSync(tmpRoot, { recursive: true });
  // Left by a fetch of this entry that was killed: it held this lock, so nobody is using them.
  for (const d of readdirSync(tmpRoot)) if (d.startsWith(`${name}-`)) rmSync(join(tmpRoot, d), { recursive: true, force: true });
  rmSync(`${dir}.tmp`, { recursive: true, force: true });
  const tmp = mkdtempSync(join(tmpRoot, `${name}-`));
  try {
    const debs = join(cacheDir(), 'debs');
    mkdirSync(debs, { recursive: true });
    const debName = `${resolved.package}_${resolved.version.replace(/:/g, '%3a')}_${arch}.deb`;
    const deb = join(debs, debName);
    if (!existsSync(deb)) {
      const dl = join(tmp, 'download');
      mkdirSync(dl, { mode: 0o755 });
      log(`downloading ${resolved.package}:${arch} ${resolved.version} (apt-get download) into ${debs}`);
      try {
        run('apt-get', ['download', '-q', `${resolved.package}:${arch}=${resolved.version}`], dl);
      } catch (e) {
        return fallback(e);
      }
      const got = readdirSync(dl).find((f) => f.startsWith(`${resolved.package}_`) && f.endsWith(`_${arch}.deb`));
      if (!got) return fallback(new CorpusError(`apt-get download ${resolved.package}:${arch} left no .deb in ${debs}`));
      renameSync(join(dl, got), deb);
    }
    const out = join(tmp, 'kernel');
    mkdirSync(out);
    log(`extracting /boot of ${debName} (dpkg-deb -x)`);
    try {
      execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./boot', 'sh', deb, out], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      throw new CorpusError(`dpkg-deb -x ${deb} failed: ${((e as { stderr?: Buffer }).stderr ?? '').toString().trim().split('\n')[0]}`);
    }
    const boot = join(out, 'boot');
    const files = existsSync(boot) ? readdirSync(boot) : [];
    const image = files.find((f) => /^(vmlinuz|vmlinux|zImage|Image)-/.test(f));
    if (!image) throw new CorpusError(`${debName} has no kernel image in /boot`);
    const config = files.find((f) => f.startsWith('config-'));
    const entry: CachedKernel = {
      request,
      package: resolved.package,
      version: resolved.version,
      arch,
      deb,
      deb_sha256: sha256File(deb),
      image: join(dir, 'boot', image),
      image_sha256: sha256File(join(boot, image)),
      config: config ? join(dir, 'boot', config) : null,
      fetched: new Date().toISOString(),
    };
    // kzbench.json goes in before the rename: the entry appears complete or not at all.
    writeFileSync(join(out, 'kzbench.json'), JSON.stringify(entry, null, 2) + '\n');
    mkdirSync(join(cacheDir(), 'kernels'), { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(out, dir);
    return { ...entry, outcome: 'fetched' };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The real System.map of a Debian kernel, from its -dbg package (the one in
 * /boot is a stub). Only that file is extracted: the package is ~280 MB.
 */
export function fetchDebugSystemMap(k: CachedKernel, log: (s: string) => void = () => {}): string {
  const pkg = `${k.package}-dbg`;
  const dir = join(cacheDir(), 'kernels', `${pkg}_${k.version}_${k.arch}`);
  const existing = existsSync(join(dir, 'usr/lib/debug/boot'))
    ? readdirSync(join(dir, 'usr/lib/debug/boot')).find((f) => f.startsWith('System.map-'))
    : undefined;
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
  execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./usr/lib/debug/boot/System.map-*"', 'sh', deb, dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const found = readdirSync(join(dir, 'usr/lib/debug/boot')).find((f) => f.startsWith('System.map-'));
  if (!found) throw new CorpusError(`${debName} has no System.map`);
  return join(dir, 'usr/lib/debug/boot', found);
}
