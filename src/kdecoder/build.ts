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
  source: KernelSource;
  /** ALGO -> program. */
  programs: Record<string, string>;
  /** Algorithms the source could not build, with the compiler's first error. */
  failed: Record<string, string>;
}

const flagsRow = z.object({ arch: cells.text, cflags: cells.text, memory: cells.text, source: cells.text });

/** The boot decompressor's compiler flags for ARCH (data/kernel-decoder.csv). */
export function bootFlags(arch: string): { cflags: string; memory: string; source: string } {
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

function cc(args: string[], cwd: string): string | null {
  try {
    execFileSync(process.env.CC ?? 'cc', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
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
  key.update(`${source.origin}\0${arch}\0${flags.cflags}\0${flags.memory}\0${config}\0`);
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
      let gccInclude = '';
      try {
        gccInclude = execFileSync(process.env.CC ?? 'cc', ['-print-file-name=include'], { encoding: 'utf8' }).trim();
      } catch {
        throw new KernelSourceError('no C compiler (cc): the kernel decoders are built with it at first use (apt-get install gcc)');
      }
      const memErr = cc([...cflags, '-c', join('harness', flags.memory), '-o', 'memory.o'], tmp);
      if (memErr) throw new KernelSourceError(`building the boot memory functions for ${arch}: ${memErr}`);
      const mainErr = cc(['-O2', '-c', join('harness', 'main.c'), '-o', 'main.o'], tmp);
      if (mainErr) throw new KernelSourceError(`building the kernel decoder harness: ${mainErr}`);
      const programs: Record<string, string> = {};
      const failed: Record<string, string> = {};
      log(`building the kernel's decompressors from ${source.origin} for ${arch}`);
      for (const alg of ['gzip', 'bzip2', 'lzma', 'xz', 'lzo', 'lz4', 'zstd']) {
        const file = codecRow(alg)?.kernel?.decompressor;
        if (!file || !existsSync(join(source.dir, file))) {
          failed[alg] = `${file ?? 'no decompressor'} is not in the source`;
          continue;
        }
        const err =
          cc(
            [
              ...cflags,
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
              `-DKZ_SOURCE="${file}"`,
              '-c',
              join('harness', 'decoder.c'),
              '-o',
              `${alg}.o`,
            ],
            tmp,
          ) ?? cc(['-o', `kd-${alg}`, 'main.o', `${alg}.o`, 'memory.o'], tmp);
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
