// Kernel decoders: each of the kernel's boot decompressors compiled from a
// kernel source (source.ts) the way the arch's boot decompressor compiles
// it (data/kernel-decoder.csv: its flags, from the arch's boot Makefile),
// with the image's own .config, into a small harness program
// (native/kernel-decoder/) that times and verifies one decode. Built with
// the system compiler at first use and cached per source, arch, config and
// harness.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { codecRow } from '../codecs/index.js';
import { cacheDir } from '../corpus/debian.js';
import { withLock } from '../corpus/lock.js';
import { projectPath } from '../project.js';
import { cells, parseCsvTable } from '../results/table.js';
import { KernelSourceError, type KernelSource } from './source.js';

export interface KernelDecoders {
  /** Directory of the kd-ALGO programs. */
  dir: string;
  arch: string;
  cflags: string;
  /** The compiler (cc, or the arch's cross compiler) and the qemu-user that runs another arch's programs. */
  cc: string;
  qemu: string;
  /** Programs of another arch than this machine's run under `qemu`. */
  native: boolean;
  source: KernelSource;
  /** ALGO -> program. */
  programs: Record<string, string>;
  /** Algorithms the source could not build, with the compiler's first error. */
  failed: Record<string, string>;
}

/** Bumped when the way the programs are built changes, so cached builds are redone. */
const RECIPE = 2;

const flagsRow = z.object({
  arch: cells.text,
  cc: cells.text,
  qemu: cells.text,
  cflags: cells.text,
  /** Extra link flags (armv7m: its objects are M profile, the C library A profile). */
  ldflags: z.string(),
  memory: cells.text,
  /** profile: the payload is as the kernel profile makes it; always: the boot code appends the size whatever the profile (EFI zboot). */
  size_append: z.enum(['profile', 'always']),
  source: cells.text,
});
export type BootFlags = z.infer<typeof flagsRow>;

/** This machine's arch, as data/kernel-decoder.csv names arches. */
export function hostArch(): string {
  return ({ x64: 'x86_64', ia32: 'i386', arm: 'arm', arm64: 'arm64', riscv64: 'riscv64' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** The boot decompressor's compiler flags for ARCH (data/kernel-decoder.csv). */
export function bootFlags(arch: string): BootFlags {
  const file = projectPath('data', 'kernel-decoder.csv');
  const row = parseCsvTable(readFileSync(file, 'utf8'), file, flagsRow).find((r) => r.arch === arch);
  if (!row) throw new KernelSourceError(`no boot decompressor flags for ${arch} in ${file} (kernel decoders are built for the arches listed there)`);
  return row;
}

/** The .config as the autoconf.h kernel code sees (CONFIG_X=y -> 1, =m -> CONFIG_X_MODULE 1, values as given). */
export function autoconf(config: string): string {
  const out: string[] = [];
  for (const line of config.split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, string, string];
    if (value === 'y') out.push(`#define ${key} 1`);
    else if (value === 'm') out.push(`#define ${key}_MODULE 1`);
    else if (/^(-?\d+|0x[0-9a-fA-F]+|"([^"\\]|\\.)*")$/.test(value)) out.push(`#define ${key} ${value}`);
  }
  return out.join('\n') + '\n';
}

function harnessFiles(): string[] {
  const root = projectPath('native', 'kernel-decoder');
  const walk = (d: string): string[] =>
    readdirSync(join(root, d), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  return walk('.').sort();
}

function compile(compiler: string, args: string[], cwd: string): string | null {
  try {
    execFileSync(compiler, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    return null;
  } catch (e) {
    const err = (e as { stderr?: string }).stderr ?? String(e);
    return (
      err
        .split('\n')
        .find((l) => /error/.test(l))
        ?.trim() ??
      err.split('\n')[0] ??
      'failed'
    );
  }
}

/** Build (or take from the cache) every kernel decoder of SOURCE for ARCH, with the image's .config. */
export function kernelDecoders(source: KernelSource, arch: string, config: string, log: (s: string) => void = () => {}): KernelDecoders {
  const flags = bootFlags(arch);
  const harness = projectPath('native', 'kernel-decoder');
  const key = createHash('sha256');
  const native = arch === hostArch();
  const compiler = native ? (process.env.CC ?? flags.cc) : flags.cc;
  key.update(`${RECIPE}\0${source.origin}\0${arch}\0${compiler}\0${flags.cflags}\0${flags.ldflags}\0${flags.memory}\0${config}\0`);
  for (const f of harnessFiles()) key.update(`${f}\0`).update(readFileSync(join(harness, f)));
  const id = key.digest('hex').slice(0, 16);
  const root = join(cacheDir(), 'kernel-decoder');
  const dir = join(root, `${source.version}-${arch}-${id}`);
  const done = (): KernelDecoders | undefined => {
    if (!existsSync(join(dir, 'build.json'))) return undefined;
    const b = JSON.parse(readFileSync(join(dir, 'build.json'), 'utf8')) as { programs: Record<string, string>; failed: Record<string, string> };
    return {
      dir,
      arch,
      cflags: flags.cflags,
      cc: compiler,
      qemu: flags.qemu,
      native,
      source,
      programs: Object.fromEntries(Object.entries(b.programs).map(([a, p]) => [a, join(dir, p)])),
      failed: b.failed,
    };
  };
  const have = done();
  if (have) return have;
  mkdirSync(root, { recursive: true });
  return withLock(join(cacheDir(), 'locks', `kernel-decoder-${id}.lock`), `kernel decoders ${source.version} ${arch}`, () => done() ?? build(), { log });

  function build(): KernelDecoders {
    const tmp = mkdtempSync(join(root, '.build-'));
    try {
      cpSync(harness, join(tmp, 'harness'), { recursive: true });
      mkdirSync(join(tmp, 'gen'));
      writeFileSync(join(tmp, 'gen', 'autoconf.h'), autoconf(config));
      const cflags = flags.cflags.split(/\s+/).filter(Boolean);
      const cc = (args: string[]) => compile(compiler, args, tmp);
      let gccInclude = '';
      try {
        gccInclude = execFileSync(compiler, ['-print-file-name=include'], { encoding: 'utf8' }).trim();
      } catch {
        throw new KernelSourceError(
          `no C compiler ${compiler} for ${arch}: the kernel decoders are built with it at first use (${native ? 'apt-get install gcc' : `apt-get install gcc-${flags.cc.replace(/-gcc$/, '')}`})`,
        );
      }
      const includes = [
        '-nostdinc',
        '-isystem',
        gccInclude,
        '-D__KERNEL__',
        '-I',
        'gen',
        '-include',
        join('harness', 'shim', 'linux', 'kconfig.h'),
        '-I',
        join('harness', 'shim'),
        '-I',
        join(source.dir, 'include'),
        '-I',
        source.dir,
      ];
      // The boot's memory functions: a harness file, or the kernel's own file (source:PATH[:FLAG...]).
      const [kind, file, ...extra] = flags.memory.split(':');
      const memErr =
        kind === 'source'
          ? cc([...cflags, ...extra, ...includes, '-c', join(source.dir, file!), '-o', 'memory.o'])
          : cc([...cflags, '-c', join('harness', file!), '-o', 'memory.o']);
      if (memErr) throw new KernelSourceError(`building the boot memory functions for ${arch}: ${memErr}`);
      const mainErr = cc(['-O2', '-c', join('harness', 'main.c'), '-o', 'main.o']);
      if (mainErr) throw new KernelSourceError(`building the kernel decoder harness for ${arch}: ${mainErr}`);
      const programs: Record<string, string> = {};
      const failed: Record<string, string> = {};
      log(`building the kernel's decompressors from ${source.origin} for ${arch}`);
      for (const alg of ['gzip', 'bzip2', 'lzma', 'xz', 'lzo', 'lz4', 'zstd']) {
        const file = codecRow(alg)?.kernel?.decompressor;
        if (!file || !existsSync(join(source.dir, file))) {
          failed[alg] = `${file ?? 'no decompressor'} is not in the source`;
          continue;
        }
        // Fixed addresses (the counter finds the markers by nm); another arch's programs are static, so qemu-user runs them without that arch's libraries.
        const err =
          cc([...cflags, ...includes, `-DKZ_SOURCE="${file}"`, '-c', join('harness', 'decoder.c'), '-o', `${alg}.o`]) ??
          cc([native ? '-no-pie' : '-static', ...flags.ldflags.split(/\s+/).filter(Boolean), '-o', `kd-${alg}`, 'main.o', `${alg}.o`, 'memory.o']);
        if (err) failed[alg] = err;
        else programs[alg] = `kd-${alg}`;
      }
      writeFileSync(
        join(tmp, 'build.json'),
        JSON.stringify({ source: source.origin, version: source.version, arch, cflags: flags.cflags, programs, failed }, null, 2) + '\n',
      );
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return done()!;
  }
}
