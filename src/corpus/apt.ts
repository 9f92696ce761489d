// A private apt state per Debian release and architecture, kept in
// kzbench's cache (apt/<codename>/<arch>/): its own sources.list naming only
// that release's suites, its own lists, archives and an empty dpkg status.
// apt-get and apt-cache run with -o options pointing at it, so fetching
// Debian 13's kernels or another architecture's on a Debian 12 machine
// needs neither root nor any change to the system's apt sources or dpkg
// architectures, and apt's candidate can only come from that release.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../project.js';
import { cacheDir, compareDebianVersions, CorpusError, isRoot, run } from './common.js';
import { withLock } from './lock.js';

export interface DebianRelease {
  /** As corpora/manifest.yaml names it: debian-13. */
  release: string;
  codename: string;
  suites: string[];
  architectures: string[];
}

let releases: DebianRelease[] | undefined;

/** data/debian-releases.csv (see data/debian-releases.md for where each field was read). */
export function debianReleases(): DebianRelease[] {
  if (releases) return releases;
  const lines = readFileSync(projectPath('data', 'debian-releases.csv'), 'utf8').trim().split('\n').slice(1);
  releases = lines.map((l) => {
    const [release, codename, suites, arches] = l.split(',') as [string, string, string, string];
    return { release, codename, suites: suites.split(' '), architectures: arches.split(' ') };
  });
  return releases;
}

/** "debian-13", "trixie" or "13" -> the release; a CorpusError naming the known ones otherwise. */
export function findRelease(name: string): DebianRelease {
  const r = debianReleases().find((x) => x.release === name || x.codename === name || x.release === `debian-${name}`);
  if (!r)
    throw new CorpusError(
      `unknown Debian release "${name}"; known: ${debianReleases()
        .map((x) => `${x.release} (${x.codename})`)
        .join(', ')}`,
    );
  return r;
}

/** The release this machine runs (/etc/os-release), which entries without `distribution:` mean. */
export function hostRelease(osRelease = '/etc/os-release'): DebianRelease {
  const text = existsSync(osRelease) ? readFileSync(osRelease, 'utf8') : '';
  const code = /^VERSION_CODENAME=["']?([a-z]+)/m.exec(text)?.[1];
  const known = code ? debianReleases().find((r) => r.codename === code) : undefined;
  if (!known)
    throw new CorpusError(`${osRelease} names no Debian release kzbench knows (${code ?? 'none'}); give the corpus entry a distribution: such as debian-12`);
  return known;
}

/** The Debian mirror of this machine's apt sources (else deb.debian.org), and its security archive. */
export function debianMirror(): { archive: string; security: string } {
  const env = process.env.KZBENCH_DEBIAN_MIRROR;
  if (env) return { archive: env.replace(/\/$/, ''), security: env.replace(/\/$/, '') + '-security' };
  const texts: string[] = [];
  for (const f of ['/etc/apt/sources.list', ...listDir('/etc/apt/sources.list.d').map((x) => join('/etc/apt/sources.list.d', x))]) {
    try {
      texts.push(readFileSync(f, 'utf8'));
    } catch {
      // unreadable sources: the default mirror serves
    }
  }
  const uris = texts.join('\n').match(/https?:\/\/[^\s\]]+/g) ?? [];
  const archive = uris.find((u) => /\/debian\/?$/.test(u))?.replace(/\/$/, '') ?? 'http://deb.debian.org/debian';
  const security = uris.find((u) => /\/debian-security\/?$/.test(u))?.replace(/\/$/, '') ?? archive.replace(/\/debian$/, '/debian-security');
  return { archive, security };
}

function listDir(d: string): string[] {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}

export const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** One candidate of a package: its version and the suite that serves it. */
export interface Candidate {
  version: string;
  suite: string;
}

export class AptState {
  readonly dir: string;
  private refreshed = false;

  constructor(
    readonly release: DebianRelease,
    readonly arch: string,
    root = cacheDir(),
    /** A state of the release's source packages (deb-src) instead of its binaries. */
    readonly ofSources = false,
  ) {
    this.dir = join(root, 'apt', release.codename, ofSources ? 'source' : arch);
  }

  /** The -o options that make apt-get/apt-cache use this state only. */
  options(): string[] {
    const d = this.dir;
    const o = [
      `Dir::Etc::SourceList=${d}/sources.list`,
      `Dir::Etc::SourceParts=${d}/sources.list.d`,
      `Dir::Etc::Preferences=${d}/preferences`,
      `Dir::Etc::PreferencesParts=${d}/preferences.d`,
      `Dir::State=${d}/state`,
      `Dir::State::status=${d}/state/status`,
      `Dir::Cache=${d}/cache`,
      // Some images' apt.conf.d turn the binary cache off (docker-clean); without it every apt-cache call re-reads the lists.
      'Dir::Cache::pkgcache=pkgcache.bin',
      'Dir::Cache::srcpkgcache=',
      `APT::Architecture=${this.arch}`,
      `APT::Architectures=${this.arch}`,
      'Acquire::Languages=none',
      'APT::Get::List-Cleanup=true',
    ];
    // Root's apt would hand downloads to the _apt user, who cannot write into root's cache.
    if (isRoot()) o.push('APT::Sandbox::User=root');
    return o.flatMap((x) => ['-o', x]);
  }

  /** sources.list of this release's suites, signed by the Debian archive keyring. */
  sourcesList(): string {
    const m = debianMirror();
    const type = this.ofSources ? 'deb-src' : 'deb';
    const lines = this.release.suites.map((s) => `${type} [signed-by=${KEYRING}] ${s.endsWith('-security') ? m.security : m.archive} ${s} main`);
    return `# kzbench's private apt state for ${this.release.release} (${this.release.codename}) ${this.arch}; the system's apt is not used\n${lines.join('\n')}\n`;
  }

  /** Create the directories and files (idempotent); a changed mirror rewrites sources.list. */
  prepare(): void {
    if (!this.release.architectures.includes(this.arch))
      throw new CorpusError(
        `${this.release.release} (${this.release.codename}) has no ${this.arch} architecture; it has ${this.release.architectures.join(', ')}`,
      );
    for (const d of ['sources.list.d', 'preferences.d', 'state/lists/partial', 'cache/archives/partial']) mkdirSync(join(this.dir, d), { recursive: true });
    const status = join(this.dir, 'state', 'status');
    if (!existsSync(status)) writeFileSync(status, '');
    const list = join(this.dir, 'sources.list');
    const text = this.sourcesList();
    if (!existsSync(list) || readFileSync(list, 'utf8') !== text) writeFileSync(list, text);
  }

  /**
   * Whether the lists must be fetched: none yet, or one past the
   * Valid-Until its own signed InRelease gives (the archive says how long
   * its index may be trusted; a release without one is not refreshed by age).
   */
  stale(now = Date.now()): boolean {
    const lists = join(this.dir, 'state', 'lists');
    const releases = listDir(lists).filter((f) => f.endsWith('_InRelease'));
    if (!listDir(lists).some((f) => /_(Packages|Sources)(\.[a-z0-9]+)?$/.test(f))) return true;
    for (const f of releases) {
      const until = /^Valid-Until: (.+)$/m.exec(readFileSync(join(lists, f), 'utf8'))?.[1];
      if (until && Date.parse(until) < now) return true;
    }
    return false;
  }

  /** When the lists were last fetched (ms), or 0. */
  listsTime(): number {
    const lists = join(this.dir, 'state', 'lists');
    return Math.max(0, ...listDir(lists).map((f) => statSync(join(lists, f)).mtimeMs));
  }

  /**
   * apt-get update of this state (once per process unless forced), which may
   * fail for one index: what resolves afterwards is used; what went wrong is said.
   */
  update(log: (s: string) => void, force = false, onlyIfStale = false): void {
    if (this.refreshed && !force) return;
    this.prepare();
    withLock(join(cacheDir(), 'locks', `apt-${this.release.codename}-${this.arch}.lock`), `apt-get update ${this.release.codename} ${this.arch}`, () => {
      // Another process may have fetched the lists while this one waited for the lock.
      if (onlyIfStale && !this.stale()) return;
      log(`apt-get update (kzbench's private ${this.release.codename} ${this.arch} state in ${this.dir})`);
      let text = '';
      try {
        text = execFileSync('apt-get', [...this.options(), 'update', '-q'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
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
    });
    this.refreshed = true;
  }

  /** Fetch the lists when stale (see stale()). */
  ensure(log: (s: string) => void): void {
    this.prepare();
    if (this.stale()) this.update(log, false, true);
  }

  /** Every version of PKG this state's suites serve, newest first (apt-cache madison). */
  candidates(pkg: string): Candidate[] {
    let text = '';
    try {
      text = run('apt-cache', [...this.options(), 'madison', pkg]);
    } catch {
      return [];
    }
    const out: Candidate[] = [];
    for (const line of text.split('\n')) {
      const f = line.split('|').map((x) => x.trim());
      if (f.length < 3 || f[0] !== pkg) continue;
      const suite = /\s([a-z]+(?:-[a-z]+)?)\/[a-z-]+\s/.exec(` ${f[2]} `)?.[1];
      if (suite && this.release.suites.includes(suite)) out.push({ version: f[1]!, suite });
    }
    return out.sort((a, b) => compareDebianVersions(b.version, a.version));
  }

  /** apt-cache show of one version. */
  show(pkg: string, version: string): string {
    return run('apt-cache', [...this.options(), 'show', `${pkg}=${version}`]);
  }

  /** apt-get source of one version into DIR: downloaded, checked against the signed Sources index, unpacked with its Debian patches. */
  source(pkg: string, version: string, dir: string): void {
    run('apt-get', [...this.options(), 'source', '-q', `${pkg}=${version}`], dir);
  }

  /** apt-get download of one version into DIR. */
  download(pkg: string, version: string, dir: string): void {
    run('apt-get', [...this.options(), 'download', '-q', `${pkg}=${version}`], dir);
  }
}

const states = new Map<string, AptState>();

/** The (one per process) private state of a release and arch. */
export function aptState(release: DebianRelease, arch: string, source = false): AptState {
  const key = `${cacheDir()}|${release.codename}|${arch}|${source}`;
  let s = states.get(key);
  if (!s) states.set(key, (s = new AptState(release, arch, cacheDir(), source)));
  return s;
}
