// Instructions a kernel decoder executes, counted exactly under QEMU: our
// TCG plugin (native/insn-count/kzcount.c) is built against the
// qemu-plugin.h of the installed qemu-user's own Debian source, and counts
// the guest instructions between the harness's markers around one decode.
// The same method for every arch, this machine's included.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../corpus/debian.js';
import { withLock } from '../corpus/lock.js';
import { projectPath } from '../project.js';
import type { KernelDecoders } from './build.js';
import { KernelDecodeError } from './run.js';
import { KernelSourceError } from './source.js';

export interface InsnCounter {
  plugin: string;
  /** "qemu-user 1:7.2+dfsg-7+deb12u18+b3 (plugin API from qemu_7.2+dfsg.orig.tar.xz)". */
  method: string;
}

function sh(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new KernelSourceError(`${cmd} ${args.join(' ')} failed: ${(err.stderr ?? err.message).trim().split('\n')[0]}`);
  }
}

/** The plugin, built once per qemu-user version and plugin source (each its own directory: another checkout's version never replaces it). */
export async function insnCounter(log: (s: string) => void = () => {}): Promise<InsnCounter> {
  let debVersion: string;
  try {
    debVersion = sh('dpkg-query', ['-W', '-f=${Version}', 'qemu-user']).trim();
  } catch {
    throw new KernelSourceError('counting instructions needs qemu-user (apt-get install qemu-user)');
  }
  const upstream = /^(?:\d+:)?([^-]+)/.exec(debVersion)![1]!;
  const method = `QEMU TCG plugin (native/insn-count/kzcount.c) in qemu-user ${debVersion}, plugin API from qemu_${upstream}.orig.tar.xz`;
  const source = readFileSync(projectPath('native', 'insn-count', 'kzcount.c'));
  const sourceId = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const dir = join(cacheDir(), 'insn-count', debVersion.replace(/[^A-Za-z0-9.+~-]/g, '_'), sourceId);
  const plugin = join(dir, 'kzcount.so');
  const built = () => existsSync(plugin) && existsSync(join(dir, 'kzcount.c')) && readFileSync(join(dir, 'kzcount.c')).equals(source);
  if (built()) return { plugin, method };
  mkdirSync(join(cacheDir(), 'insn-count'), { recursive: true });
  const tarball = `qemu_${upstream}.orig.tar.xz`;
  const url = `http://deb.debian.org/debian/pool/main/q/qemu/${tarball}`;
  const tmp = mkdtempSync(join(cacheDir(), 'insn-count', '.build-'));
  try {
    if (!built()) {
      log(`fetching ${url} (for qemu-plugin.h)`);
      const res = await fetch(url);
      if (!res.ok) throw new KernelSourceError(`${url}: HTTP ${res.status}`);
      writeFileSync(join(tmp, tarball), Buffer.from(await res.arrayBuffer()));
      const header = sh('tar', ['-tf', tarball], tmp)
        .split('\n')
        .find((l) => l.endsWith('/include/qemu/qemu-plugin.h'));
      if (!header) throw new KernelSourceError(`${tarball} has no include/qemu/qemu-plugin.h: its qemu has no plugin API`);
      sh('tar', ['-xf', tarball, header], tmp);
      writeFileSync(join(tmp, 'kzcount.c'), source);
      sh('cc', ['-O2', '-shared', '-fPIC', '-I', join(header, '..'), 'kzcount.c', '-o', 'kzcount.so'], tmp);
      withLock(join(cacheDir(), 'locks', 'insn-count.lock'), 'the instruction counter', () => {
        if (built()) return;
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        renameSync(join(tmp, 'kzcount.so'), plugin);
        renameSync(join(tmp, 'kzcount.c'), join(dir, 'kzcount.c'));
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { plugin, method };
}

/** Address of SYMBOL in PROGRAM (the toolchain's nm). */
function symbol(kd: KernelDecoders, program: string, name: string): string {
  const nm = kd.cc === 'cc' || kd.native ? 'nm' : kd.cc.replace(/gcc$/, 'nm');
  const line = sh(nm, [program])
    .split('\n')
    .find((l) => l.endsWith(` ${name}`));
  if (!line) throw new KernelDecodeError(`no ${name} symbol`, program);
  return `0x${line.split(' ')[0]}`;
}

/** What one decode executes: instructions, conditional branches, and how many of those the plugin's gshare predictor mispredicts. */
export interface DecodeCounts {
  instructions: number;
  conditionalBranches: number;
  mispredicted: number;
}

/** Instructions ALGO's kernel decoder executes decoding COMPRESSED (checked against ORIGINAL) once. */
export function countInstructions(counter: InsnCounter, kd: KernelDecoders, alg: string, compressed: Uint8Array, original: Uint8Array): number {
  return countDecode(counter, kd, alg, compressed, original).instructions;
}

/** Everything the counter sees of one decode by ALGO's kernel decoder (checked against ORIGINAL). */
export function countDecode(counter: InsnCounter, kd: KernelDecoders, alg: string, compressed: Uint8Array, original: Uint8Array): DecodeCounts {
  const program = kd.programs[alg];
  if (!program) throw new KernelDecodeError(`no ${alg} kernel decoder for ${kd.arch}: ${kd.failed[alg] ?? 'not built'}`);
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-count-'));
  try {
    writeFileSync(join(dir, 'in'), compressed);
    writeFileSync(join(dir, 'want'), original);
    const begin = symbol(kd, program, 'kz_mark_begin');
    const end = symbol(kd, program, 'kz_mark_end');
    const r = spawnSync(
      kd.qemu,
      ['-plugin', `${counter.plugin},begin=${begin},end=${end}`, '-d', 'plugin', program, join(dir, 'in'), join(dir, 'want'), '1', '0', '1e9'],
      {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      },
    );
    if (r.error) throw new KernelDecodeError(`cannot run ${kd.qemu}: ${r.error.message}`, program);
    if (r.status !== 0) throw new KernelDecodeError(r.stderr.trim().split('\n')[0] || `exit ${r.status ?? r.signal}`, program);
    const m = /kzcount (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(r.stderr + r.stdout);
    if (!m || m[3] !== '1') throw new KernelDecodeError(`the counter saw ${m ? `${m[3]} decodes` : 'nothing'}, not one`, program);
    return { instructions: Number(m[1]), conditionalBranches: Number(m[4]), mispredicted: Number(m[5]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
