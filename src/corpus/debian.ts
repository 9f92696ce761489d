// Real kernels from Debian's archive, by package name: resolve the current
// version, `apt-get download` it into the cache, `dpkg-deb -x` its /boot, and
// record version and sha256. Kernels are never committed; offline runs use
// what the cache already holds.
import { sha256File } from '../files.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { aptState, findRelease, hostRelease } from './apt.js';
import { cacheDir, CorpusError, hostDebArch } from './common.js';
import { withLock } from './lock.js';

export { CorpusError, cacheDir, hostDebArch, isRoot } from './common.js';

export interface CachedKernel {
  /** The package asked for (often a metapackage such as linux-image-amd64). */
  request: string;
  /** The real image package it resolved to. */
  package: string;
  version: string;
  arch: string;
  /** The Debian release it came from (debian-13); absent in records written before releases were pinned. */
  release?: string;
  /** The suite that served it (trixie-security). */
  suite?: string;
  deb: string;
  deb_sha256: string;
  image: string;
  image_sha256: string;
  config: string | null;
  fetched: string;
}

/** Which release and (optionally) which exact version a fetch must take. */
export interface Pin {
  /** debian-13, trixie or 13; default: this machine's release. */
  release?: string;
  /** The exact version of the package asked for (or of the image package it names). */
  version?: string;
}

export interface Resolved {
  package: string;
  version: string;
  release: string;
  suite: string;
}

/**
 * "linux-image-amd64" -> the image package and version it depends on, taken
 * only from the pinned release's suites (kzbench's private apt state of that
 * release and arch), and exactly the pinned version when one is given.
 */
export function resolvePackage(request: string, arch: string, log: (s: string) => void = () => {}, pin: Pin = {}): Resolved {
  const rel = pin.release ? findRelease(pin.release) : hostRelease();
  const state = aptState(rel, arch);
  state.ensure(log);
  let found = state.candidates(request);
  if (!found.length || (pin.version && !found.some((c) => c.version === pin.version))) {
    state.update(log);
    found = state.candidates(request);
  }
  const where = `${rel.release} (${rel.codename}) ${arch}`;
  if (!found.length) throw new CorpusError(`apt knows no package ${request}:${arch} in ${where}`);
  const pick = pin.version ? found.find((c) => c.version === pin.version) : found[0];
  if (!pick) throw new CorpusError(`${request}:${arch} ${pin.version} is not in ${where}: it has ${found.map((c) => `${c.version} (${c.suite})`).join(', ')}`);
  const depends = /^Depends: (.+)$/m.exec(state.show(request, pick.version))?.[1] ?? '';
  const dep = /(linux-image-[^\s,(|]+)(?:\s*\(=\s*([^)\s]+)\))?/.exec(depends);
  const image = dep?.[1];
  if (image && /^linux-image-\d/.test(image)) {
    const versions = state.candidates(image);
    const exact = dep?.[2];
    const got = exact ? versions.find((c) => c.version === exact) : versions[0];
    if (!got) throw new CorpusError(`${request}:${arch} ${pick.version} needs ${image}${exact ? ` ${exact}` : ''}, which ${where} does not serve`);
    return { package: image, version: got.version, release: rel.release, suite: got.suite };
  }
  return { package: request, version: pick.version, release: rel.release, suite: pick.suite };
}

/** The release a cached kernel came from: recorded, else the +debNN of its name, else this machine's (it was fetched through the system apt). */
export function releaseOf(k: Pick<CachedKernel, 'release' | 'package' | 'version'>): string | undefined {
  if (k.release) return k.release;
  const n = /\+deb(\d+)/.exec(`${k.package} ${k.version}`)?.[1];
  if (n) return `debian-${n}`;
  try {
    return hostRelease().release;
  } catch {
    return undefined;
  }
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

/**
 * The newest cached kernel of a request (metapackage or image package) and
 * arch, of the pinned release (default: this machine's) and version: never
 * another release's kernel.
 */
export function cachedKernel(request: string, arch: string, pin: Pin = {}): CachedKernel | undefined {
  let release: string | undefined;
  try {
    release = pin.release ? findRelease(pin.release).release : hostRelease().release;
  } catch {
    release = pin.release;
  }
  return cachedKernels().find(
    (k) => (k.request === request || k.package === request) && k.arch === arch && releaseOf(k) === release && (!pin.version || k.version === pin.version),
  );
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
export function fetchDebianKernel(request: string, arch = hostDebArch(), log: (s: string) => void = () => {}, pin: Pin = {}): FetchedKernel {
  const fallback = (e: unknown): FetchedKernel => {
    const cached = cachedKernel(request, arch, pin);
    if (!cached) throw e;
    const note = `${(e as Error).message}; using the cached ${cached.package} ${cached.version}`;
    log(note);
    return { ...cached, outcome: 'stale-cache', note };
  };
  let resolved: Resolved;
  try {
    resolved = resolvePackage(request, arch, log, pin);
  } catch (e) {
    return fallback(e);
  }
  const name = `${resolved.package}_${resolved.version}_${arch}`;
  const dir = join(cacheDir(), 'kernels', name);
  const metaPath = join(dir, 'kzbench.json');
  const cached = (): FetchedKernel | undefined => {
    if (existsSync(metaPath)) {
      try {
        const k = JSON.parse(readFileSync(metaPath, 'utf8')) as CachedKernel;
        if (!k.release) {
          // Written before releases were recorded: the resolution just now says which.
          Object.assign(k, { release: resolved.release, suite: resolved.suite });
          try {
            writeFileSync(metaPath, JSON.stringify(k, null, 2) + '\n');
          } catch {
            // a read-only cache still serves
          }
        }
        return { ...k, outcome: 'cached' };
      } catch {
        // unreadable: described again from the files below
      }
    }
    const adopted = adopt(dir);
    return adopted ? { ...adopted, request, release: resolved.release, suite: resolved.suite, outcome: 'cached' } : undefined;
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
  resolved: Resolved,
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
      log(`downloading ${resolved.package}:${arch} ${resolved.version} from ${resolved.suite} (apt-get download) into ${debs}`);
      const state = aptState(findRelease(resolved.release), arch);
      try {
        state.download(resolved.package, resolved.version, dl);
      } catch (e) {
        // Lists older than the archive (the version was superseded and removed): refresh once and retry.
        log(`${(e as Error).message}; refreshing the lists and trying again`);
        try {
          state.update(log, true);
          state.download(resolved.package, resolved.version, dl);
        } catch (e2) {
          return fallback(e2);
        }
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
      release: resolved.release,
      suite: resolved.suite,
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
    const release = releaseOf(k);
    if (!release) throw new CorpusError(`${k.package} ${k.version}: which Debian release it came from is not recorded`);
    const state = aptState(findRelease(release), k.arch);
    state.ensure(log);
    log(`downloading ${pkg}:${k.arch} ${k.version} (apt-get download) into ${debs}`);
    state.download(pkg, k.version, debs);
  }
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --wildcards "./usr/lib/debug/boot/System.map-*"', 'sh', deb, dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const found = readdirSync(join(dir, 'usr/lib/debug/boot')).find((f) => f.startsWith('System.map-'));
  if (!found) throw new CorpusError(`${debName} has no System.map`);
  return join(dir, 'usr/lib/debug/boot', found);
}
