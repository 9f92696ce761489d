// A release's tool built from the release's own source package, for when
// its binary cannot run here (Debian 13's gzip 1.13 needs GLIBC_2.38; Debian
// 12 has 2.36). `apt-get source` in the release's private deb-src state
// downloads the .dsc and tarballs, checks them against the signed Sources
// index and unpacks them with the release's patches; the system compiler
// builds them (./configure when there is one, then make) into the cache:
// libs/<codename>/<arch>/build/<source>_<version>/.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  closeSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { aptState, type DebianRelease } from './apt.js';
import { cacheDir, CorpusError, run } from './common.js';
import { withLock } from './lock.js';
import { filesUnder } from '../files.js';

export interface BuiltTool {
  source: string;
  version: string;
  /** The built executable. */
  path: string;
  /** The directory of a shared library the build made, if any (LD_LIBRARY_PATH). */
  libDir: string | null;
  /** The compiler, as `cc --version` says. */
  compiler: string;
}

function isElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.toString('latin1') === '\x7fELF';
  } finally {
    closeSync(fd);
  }
}

function walk(root: string, keep: (path: string, name: string) => boolean): string[] {
  return [...filesUnder(root)].filter((e) => e.file && keep(e.path, e.name)).map((e) => e.path);
}

/** The source package and version of a binary package version (its Source: field, else its own name and version). */
export function sourceOf(rel: DebianRelease, arch: string, pkg: string, version: string): { source: string; version: string } {
  const show = aptState(rel, arch).show(pkg, version);
  const m = /^Source: (\S+)(?: \((\S+)\))?$/m.exec(show);
  return { source: m?.[1] ?? pkg, version: m?.[2] ?? version };
}

/** Build TOOL from the release's source package of PKG VERSION (cached; built once). */
export function buildTool(rel: DebianRelease, arch: string, pkg: string, version: string, tool: string, log: (s: string) => void = () => {}): BuiltTool {
  const src = sourceOf(rel, arch, pkg, version);
  const name = `${src.source}_${src.version.replace(/:/g, '%3a')}`;
  const dir = join(cacheDir(), 'libs', rel.codename, arch, 'build', name);
  const meta = join(dir, 'kzbench.json');
  const read = (): BuiltTool | undefined => {
    if (!existsSync(meta)) return undefined;
    const m = JSON.parse(readFileSync(meta, 'utf8')) as BuiltTool;
    return { ...m, path: join(dir, m.path), libDir: m.libDir === null ? null : join(dir, m.libDir) };
  };
  const have = read();
  if (have) return have;
  return withLock(join(cacheDir(), 'locks', `build-${rel.codename}-${arch}-${name}.lock`), `building ${src.source} ${src.version}`, () => {
    const again = read();
    if (again) return again;
    const state = aptState(rel, arch, true);
    state.ensure(log);
    const tmpRoot = join(cacheDir(), 'tmp');
    mkdirSync(tmpRoot, { recursive: true });
    const tmp = mkdtempSync(join(tmpRoot, `build-${name}-`));
    try {
      log(`building ${src.source} ${src.version} from ${rel.release}'s source package (apt-get source) with this machine's compiler`);
      state.source(src.source, src.version, tmp);
      const tree = readdirSync(tmp).find((d) => statSync(join(tmp, d)).isDirectory() && d.startsWith(`${src.source}-`));
      if (!tree) throw new CorpusError(`apt-get source ${src.source}=${src.version} left no source tree`);
      const top = join(tmp, tree);
      try {
        // The unpacked patches leave configure.ac/Makefile.am newer than what was generated from them; without the
        // autotools here, the shipped configure and Makefile.in serve as they are (the regeneration rules made no-ops).
        const noRegen = 'ACLOCAL=true AUTOCONF=true AUTOMAKE=true AUTOHEADER=true MAKEINFO=true';
        execFileSync(
          'sh',
          ['-c', `{ if [ -x ./configure ]; then ./configure --disable-dependency-tracking; fi && make -j2 ${noRegen}; } > kzbench-build.log 2>&1`],
          {
            cwd: top,
            stdio: 'ignore',
          },
        );
      } catch {
        const logText = existsSync(join(top, 'kzbench-build.log')) ? readFileSync(join(top, 'kzbench-build.log'), 'utf8').trim().split('\n') : [];
        throw new CorpusError(`building ${src.source} ${src.version} failed: ${logText.filter((l) => /error/i.test(l)).at(-1) ?? logText.at(-1) ?? 'no log'}`);
      }
      const exe = walk(top, (p, n) => n === tool && (statSync(p).mode & 0o111) !== 0 && isElf(p)).sort((a, b) => a.length - b.length)[0];
      if (!exe) throw new CorpusError(`building ${src.source} ${src.version} made no ${tool} executable`);
      const so = walk(top, (_p, n) => /^lib.*\.so(\.\d+)*$/.test(n))[0];
      const compiler = run('cc', ['--version']).split('\n')[0]!.trim();
      const record = { source: src.source, version: src.version, path: relative(top, exe), libDir: so ? relative(top, join(so, '..')) : null, compiler };
      writeFileSync(join(top, 'kzbench.json'), JSON.stringify(record, null, 2) + '\n');
      mkdirSync(join(dir, '..'), { recursive: true });
      rmSync(dir, { recursive: true, force: true });
      renameSync(top, dir);
      return read()!;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
