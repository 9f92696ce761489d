// Codec library versions as data: a Debian release's compression tool and
// the library it links (zstd + libzstd1, xz-utils + liblzma5, ...), fetched
// by package name through that release's private apt state (apt.ts),
// extracted into the cache (libs/<codename>/<arch>/<package>_<version>/)
// and run beside the system's with LD_LIBRARY_PATH pointing at the
// release's library. The kernel build runs these tools (scripts/Makefile.lib,
// scripts/xz_wrap.sh), so running the release's own tool with its own
// library is how that release's payload is reproduced.
// data/libraries.csv records what was fetched (docs/corpus.md).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesUnder, sha256File } from '../files.js';
import { projectPath } from '../project.js';
import { codecRow, codecRows, type CodecSetting } from '../codecs/index.js';
import { aptState, findRelease, hostRelease, type DebianRelease } from './apt.js';
import { cacheDir, CorpusError, hostDebArch, run } from './common.js';
import { buildTool, type BuiltTool } from './build.js';
import { withLock } from './lock.js';

/** A codec's library and the tool the kernel build runs, by Debian package. */
export interface ToolPackages {
  library: string;
  libPackage: string;
  toolPackage: string;
  /** The tool's file name (found under bin/ or usr/bin/ of its package). */
  tool: string;
}

/** Package names as Debian 12 and 13 both name them (`apt-cache show`): each codec row's kernel tool (src/codecs). */
export const TOOL_PACKAGES: Record<string, ToolPackages> = Object.fromEntries(
  codecRows().flatMap((row) => {
    const t = row.kernel?.tool;
    return t ? [[row.name, { library: t.library, libPackage: t.libPackage, toolPackage: t.toolPackage, tool: t.tool }]] : [];
  }),
);

/** One fetched package: what data/libraries.csv records. */
export interface FetchedPackage {
  release: string;
  package: string;
  version: string;
  arch: string;
  suite: string;
  deb: string;
  deb_sha256: string;
  dir: string;
  /** When the package's binary could not run here: how the tool was built instead. */
  built?: string;
}

/** A release's tool, ready to run. */
export interface ReleaseTool {
  release: string;
  algorithm: string;
  library: FetchedPackage;
  tool: FetchedPackage;
  /** The tool's executable. */
  path: string;
  /** The directory of the release's shared library (LD_LIBRARY_PATH). */
  libDir: string;
  /** First line of `tool --version` (or -V), as it ran here. */
  versionLine: string;
}

function findFile(root: string, test: (name: string, dir: string) => boolean): string | undefined {
  for (const e of filesUnder(root)) if (test(e.name, e.dir)) return e.path;
  return undefined;
}

/** Download (once) and extract (once) the newest version of PKG in the release. */
export function fetchPackage(rel: DebianRelease, pkg: string, arch: string, log: (s: string) => void = () => {}): FetchedPackage {
  const state = aptState(rel, arch);
  state.ensure(log);
  const found = state.candidates(pkg);
  const best = found[0];
  if (!best) throw new CorpusError(`${rel.release} (${rel.codename}) ${arch} has no package ${pkg}`);
  const name = `${pkg}_${best.version.replace(/:/g, '%3a')}_${arch}`;
  const dir = join(cacheDir(), 'libs', rel.codename, arch, name);
  const debs = join(cacheDir(), 'debs');
  const deb = join(debs, `${name}.deb`);
  const record = (): FetchedPackage => ({
    release: rel.release,
    package: pkg,
    version: best.version,
    arch,
    suite: best.suite,
    deb,
    deb_sha256: sha256File(deb),
    dir,
  });
  if (existsSync(dir) && existsSync(deb)) return record();
  return withLock(join(cacheDir(), 'locks', `lib-${rel.codename}-${name}.lock`), `${pkg}:${arch} ${best.version}`, () => {
    if (existsSync(dir) && existsSync(deb)) return record();
    mkdirSync(debs, { recursive: true });
    const tmpRoot = join(cacheDir(), 'tmp');
    mkdirSync(tmpRoot, { recursive: true });
    const tmp = mkdtempSync(join(tmpRoot, `${name}-`));
    try {
      if (!existsSync(deb)) {
        log(`downloading ${pkg}:${arch} ${best.version} from ${best.suite} (apt-get download)`);
        state.download(pkg, best.version, tmp);
        const got = readdirSync(tmp).find((f) => f.endsWith('.deb'));
        if (!got) throw new CorpusError(`apt-get download ${pkg}:${arch} left no .deb`);
        renameSync(join(tmp, got), deb);
      }
      const out = join(tmp, 'x');
      mkdirSync(out);
      run('dpkg-deb', ['-x', deb, out]);
      mkdirSync(join(dir, '..'), { recursive: true });
      rmSync(dir, { recursive: true, force: true });
      renameSync(out, dir);
      return record();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

/** The environment that makes a release's tool load the release's library before the system's. */
export function toolEnv(libDir: string): NodeJS.ProcessEnv {
  return { ...process.env, LD_LIBRARY_PATH: process.env.LD_LIBRARY_PATH ? `${libDir}:${process.env.LD_LIBRARY_PATH}` : libDir };
}

/**
 * A release's tool for ALGORITHM with that release's library, fetched into
 * the cache and checked to run on this machine (a newer release's binaries
 * may need a newer glibc: then the error says so). Recorded in data/libraries.csv.
 */
export function releaseTool(release: string, algorithm: string, arch = hostDebArch(), log: (s: string) => void = () => {}): ReleaseTool {
  const pk = TOOL_PACKAGES[algorithm];
  if (!pk) throw new CorpusError(`no Debian tool package known for ${algorithm}; known: ${Object.keys(TOOL_PACKAGES).join(', ')}`);
  const rel = findRelease(release);
  const library = fetchPackage(rel, pk.libPackage, arch, log);
  let tool = fetchPackage(rel, pk.toolPackage, arch, log);
  let path = findFile(tool.dir, (n, d) => n === pk.tool && /\/(usr\/)?bin$/.test(d));
  if (!path) throw new CorpusError(`${pk.toolPackage} ${tool.version} has no ${pk.tool} in bin/ or usr/bin/`);
  const so = findFile(library.dir, (n) => /^lib.*\.so(\.\d+)*$/.test(n));
  if (!so) throw new CorpusError(`${pk.libPackage} ${library.version} has no shared library`);
  let libDir = join(so, '..');
  const probe = (exe: string, dir: string) => {
    const r = spawnSync(exe, [algorithm === 'lzo' ? '-V' : '--version'], { env: toolEnv(dir), encoding: 'utf8' });
    const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
    // The dynamic loader's refusals exit 1 or 127; some tools' --version exits 1.
    const refused = /version .GLIBC_[\d.]+. not found|error while loading shared libraries/.test(text) || (r.status !== 0 && r.status !== 1);
    const glibc = /GLIBC_[\d.]+/.exec(text)?.[0];
    return { text, refused, why: `${glibc ? `it needs ${glibc}, newer than this glibc: ` : ''}${text.split('\n')[0] ?? r.error?.message}` };
  };
  let p = probe(path, libDir);
  if (p.refused) {
    const first = `${release}'s ${pk.tool} (${pk.toolPackage} ${tool.version}) does not run on this machine: ${p.why}`;
    log(`${first}; building it from ${release}'s source package instead`);
    let built: BuiltTool;
    try {
      built = buildTool(rel, arch, pk.toolPackage, tool.version, pk.tool, log);
    } catch (e) {
      throw new CorpusError(`${first}; building it from the source package failed too: ${(e as Error).message}`);
    }
    path = built.path;
    // A tool that links the library it builds runs with that one; else with the release's binary library.
    if (built.libDir) libDir = built.libDir;
    tool = {
      ...tool,
      built: `built from source package ${built.source} ${built.version} (apt-get source; checked against the signed Sources) with ${built.compiler}`,
    };
    p = probe(path, libDir);
    if (p.refused) throw new CorpusError(`${first}; the tool built from its source package does not run either: ${p.why}`);
  }
  const text = p.text;
  const versionLine = text.split('\n').find((l) => /\d+\.\d+/.test(l)) ?? text.split('\n')[0] ?? '';
  recordLibraries([library, tool], algorithm, pk);
  return { release: rel.release, algorithm, library, tool, path, libDir, versionLine: versionLine.trim() };
}

export const LIBRARIES_CSV_HEADER = 'release,library,package,version,arch,suite,sha256,source';

/** Add or replace the rows of these packages in data/libraries.csv (one row per release, package, arch). */
export function recordLibraries(
  pkgs: FetchedPackage[],
  algorithm: string,
  pk: ToolPackages,
  file = process.env.KZBENCH_LIBRARIES_CSV || projectPath('data', 'libraries.csv'),
): void {
  const rows = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(1).filter(Boolean) : [];
  const key = (r: string) => {
    const f = r.split(',');
    return `${f[0]},${f[2]},${f[4]}`;
  };
  for (const p of pkgs) {
    const lib = p.package === pk.libPackage ? pk.library : `${pk.tool} (tool)`;
    const row = [
      p.release,
      lib,
      p.package,
      p.version,
      p.arch,
      p.suite,
      p.deb_sha256,
      `apt-get download ${p.package}=${p.version} in ${p.suite} (kzbench's private apt state) for ${algorithm}${p.built ? `; its binary needs a newer glibc: ${p.built}` : ''}`,
    ].join(',');
    const i = rows.findIndex((r) => key(r) === key(row));
    if (i >= 0) rows[i] = row;
    else rows.push(row);
  }
  rows.sort();
  try {
    writeFileSync(file, [LIBRARIES_CSV_HEADER, ...rows].join('\n') + '\n');
  } catch {
    // an installed, read-only checkout: the cache still has it
  }
}

/**
 * The command line the kernel build runs for a kernel-profile setting
 * (scripts/Makefile.lib: `zstd -22 --ultra`, `lz4 -l -9`, `gzip -n -f -9`,
 * `bzip2 -9`, `lzop -9`, `lzma -9`; scripts/xz_wrap.sh: `xz --check=crc32
 * --threads=1 --BCJ --lzma2=...`), as arguments of the release's tool,
 * reading stdin and writing stdout as the build does.
 */
export function kernelToolArgs(s: CodecSetting): string[] {
  const tool = codecRow(s.algorithm)?.kernel?.tool;
  if (!tool) throw new CorpusError(`no kernel build command known for ${s.algorithm}`);
  return tool.args(s.params);
}

/** Compress INPUT with a release's tool as the kernel build would (stdin to stdout). */
export function runReleaseTool(t: Pick<ReleaseTool, 'path' | 'libDir'>, args: string[], input: Uint8Array): Uint8Array {
  const r = spawnSync(t.path, args, { input, env: toolEnv(t.libDir), maxBuffer: input.length * 2 + (1 << 20) });
  if (r.status !== 0) throw new CorpusError(`${t.path} ${args.join(' ')} failed: ${(r.stderr ?? '').toString().trim().split('\n')[0] ?? r.error?.message}`);
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length);
}

/** Cached tools of every release, by release/arch (for `kzbench corpus list` and docs). */
export function cachedLibraryDirs(): string[] {
  const root = join(cacheDir(), 'libs');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .flatMap((c) => readdirSync(join(root, c)).flatMap((a) => readdirSync(join(root, c, a)).map((d) => join(root, c, a, d))))
    .filter((d) => statSync(d).isDirectory());
}

/** The Debian release that built a kernel, when its release string says (6.12.118+deb13-amd64 -> debian-13). */
export function builtByRelease(kernelRelease: string | null): string | undefined {
  const n = /\+deb(\d+)/.exec(kernelRelease ?? '')?.[1];
  return n ? `debian-${n}` : undefined;
}

/** data/libraries.csv rows: what was fetched of each release. */
export function recordedLibraries(
  file = process.env.KZBENCH_LIBRARIES_CSV || projectPath('data', 'libraries.csv'),
): { release: string; library: string; package: string; version: string; arch: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((r) => {
      const [release, library, pkg, version, arch] = r.split(',') as [string, string, string, string, string];
      return { release, library, package: pkg, version, arch };
    });
}

/**
 * A plain sentence for `inspect` and `run` when a kernel was built by another
 * Debian release than this machine's: kzbench's backend links this
 * machine's library, so the kernel profile's bytes may differ from the
 * shipped payload for that reason alone. Undefined when the release is
 * this machine's or the kernel does not say.
 */
export function libraryNote(kernelRelease: string | null, algorithm: string | undefined, systemVersions: Record<string, string>): string | undefined {
  const built = builtByRelease(kernelRelease);
  const pk = algorithm ? TOOL_PACKAGES[algorithm] : undefined;
  if (!built || !pk) return undefined;
  let host: string | undefined;
  try {
    host = hostRelease().release;
  } catch {
    host = undefined;
  }
  if (built === host) return undefined;
  const theirs = recordedLibraries().find((r) => r.release === built && r.package === pk.libPackage);
  const ours = systemVersions[pk.library] ?? systemVersions[algorithm === 'gzip' ? 'gzip-cli' : pk.library];
  return (
    `built by ${built}${theirs ? `, whose ${pk.libPackage} is ${theirs.version}` : ''}; kzbench's ${pk.library} backend is ${ours ?? 'unknown'} (this machine${host ? `, ${host}` : ''}): ` +
    `a kernel profile's ${algorithm} bytes may differ from the shipped payload for the library version alone; ` +
    `\`kzbench corpus reproduce NAME --libs release\` runs ${built}'s own ${pk.tool} and ${pk.libPackage}`
  );
}
