// The machine's state around a run, for run.json's `machine` and for the
// timing gate: CPU model, online cores, frequency governor and boost, load
// average, and how much CPU other processes (and the hypervisor: steal) took
// while kzbench ran. Everything is read from /proc and /sys under a root
// that tests replace with a fake tree; a field that cannot be read is null,
// never an error.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function read(root: string, path: string): string | null {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return null;
  }
}

function firstLine(root: string, path: string): string | null {
  const t = read(root, path);
  return t === null ? null : (t.split('\n')[0]?.trim() ?? null);
}

/** Count the CPUs of a kernel cpu list ("0-3,6,8-9"); null when it does not parse. */
export function countCpuList(list: string): number | null {
  let n = 0;
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return null;
    n += hi - lo + 1;
  }
  return n;
}

export interface LoadAverage {
  one: number;
  five: number;
  fifteen: number;
  /** Runnable scheduling entities at the moment of reading (the reader included). */
  runnable: number;
}

export function readLoadAverage(root = '/'): LoadAverage | null {
  const t = firstLine(root, 'proc/loadavg');
  const m = t && /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)\/\d+/.exec(t);
  if (!m) return null;
  return { one: Number(m[1]), five: Number(m[2]), fifteen: Number(m[3]), runnable: Number(m[4]) };
}

/** The aggregate `cpu` line of /proc/stat, in clock ticks. */
export interface CpuTicks {
  total: number;
  /** idle + iowait */
  idle: number;
  /** Stolen by the hypervisor; null when the kernel does not report the field. */
  steal: number | null;
}

export function readCpuTicks(root = '/'): CpuTicks | null {
  const t = firstLine(root, 'proc/stat');
  if (!t || !t.startsWith('cpu ')) return null;
  const f = t.split(/\s+/).slice(1).map(Number);
  if (f.length < 4 || f.some((v) => !Number.isFinite(v))) return null;
  // user nice system idle iowait irq softirq steal guest guest_nice (proc(5)); guest time is already in user.
  const counted = f.slice(0, 8);
  return { total: counted.reduce((a, b) => a + b, 0), idle: f[3]! + (f[4] ?? 0), steal: f.length >= 8 ? f[7]! : null };
}

export interface MachineInfo {
  cpu_model: string | null;
  online_cores: number | null;
  frequency_driver: string | null;
  frequency_governor: string | null;
  /** Turbo/boost enabled (intel_pstate/no_turbo = 0, or cpufreq/boost = 1); null when neither is readable. */
  boost: boolean | null;
  load_average: LoadAverage | null;
}

export function readMachine(root = '/'): MachineInfo {
  const cpuinfo = read(root, 'proc/cpuinfo');
  const model = cpuinfo ? (/^(?:model name|Processor|Model|cpu model)\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? null) : null;
  const online = firstLine(root, 'sys/devices/system/cpu/online');
  const noTurbo = firstLine(root, 'sys/devices/system/cpu/intel_pstate/no_turbo');
  const boostFile = firstLine(root, 'sys/devices/system/cpu/cpufreq/boost');
  const boost = noTurbo === '0' ? true : noTurbo === '1' ? false : boostFile === '1' ? true : boostFile === '0' ? false : null;
  return {
    cpu_model: model,
    online_cores: online ? countCpuList(online) : null,
    frequency_driver: firstLine(root, 'sys/devices/system/cpu/cpu0/cpufreq/scaling_driver') || null,
    frequency_governor: firstLine(root, 'sys/devices/system/cpu/cpu0/cpufreq/scaling_governor') || null,
    boost,
    load_average: readLoadAverage(root),
  };
}

/** What others took over an interval, in cores (1.0 = one core fully busy). */
export interface LoadShare {
  /** CPU used by everything but this process. */
  othersCores: number;
  /** CPU stolen by the hypervisor; null when not reported. */
  stealCores: number | null;
  seconds: number;
}

/**
 * Others' share between two readings: the machine's busy ticks over the
 * interval, as cores, minus this process's own CPU time (process.cpuUsage,
 * every thread of ours) and steal (reported apart) over the same wall interval.
 */
export function loadShare(
  a: { ticks: CpuTicks; ownUs: number; wallNs: bigint },
  b: { ticks: CpuTicks; ownUs: number; wallNs: bigint },
  cores: number,
): LoadShare | null {
  const dTotal = b.ticks.total - a.ticks.total;
  const seconds = Number(b.wallNs - a.wallNs) / 1e9;
  if (!(dTotal > 0) || !(seconds > 0)) return null;
  const busyCores = ((dTotal - (b.ticks.idle - a.ticks.idle)) / dTotal) * cores;
  const ownCores = (b.ownUs - a.ownUs) / 1e6 / seconds;
  const steal = a.ticks.steal !== null && b.ticks.steal !== null ? ((b.ticks.steal - a.ticks.steal) / dTotal) * cores : null;
  return { othersCores: Math.max(0, busyCores - (steal ?? 0) - ownCores), stealCores: steal, seconds };
}

/**
 * Others take a core when they use at least half of it on average: the core
 * is then more often taken than free. The timing gate's slots round the same
 * way (src/pool/timing-gate.ts).
 */
export const BUSY_CORES = 0.5;

/**
 * Busy for a run of `workers` workers on `cores` cores: others (and steal)
 * took at least half a core of the ones our workers needed, i.e. more than
 * the spare cores (cores - workers) plus BUSY_CORES. On two cores with two
 * workers that is half a core; on eight cores with two workers, a build
 * using four of them leaves our two alone and is not counted. Without the
 * core and worker counts, no core is taken as spare.
 */
export function isBusy(share: Pick<LoadShare, 'othersCores' | 'stealCores'> | null, cores?: number, workers?: number): boolean {
  if (!share) return false;
  const spare = cores !== undefined && workers !== undefined ? Math.max(0, cores - workers) : 0;
  return share.othersCores + (share.stealCores ?? 0) >= spare + BUSY_CORES;
}

/**
 * Clock ticks per second of /proc/<pid>/stat times: USER_HZ, which the
 * kernel fixes at 100 for userspace on every architecture (proc(5): "in
 * clock ticks, divide by sysconf(_SC_CLK_TCK)"; include/asm-generic/param.h
 * USER_HZ 100).
 */
const USER_HZ = 100;

/** utime + stime and cutime + cstime (fields 14-17 of proc(5)) of one /proc/<pid>/stat text, in ticks. */
export function statTicks(text: string): { ppid: number; own: number; children: number } | null {
  // The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/)
    .map(Number);
  // f[0] is field 3 (state, NaN), f[1] field 4 (ppid), f[11..14] fields 14-17.
  if (f.length < 15 || !Number.isFinite(f[1]!) || f.slice(11, 15).some((v) => !Number.isFinite(v))) return null;
  return { ppid: f[1]!, own: f[11]! + f[12]!, children: f[13]! + f[14]! };
}

/**
 * CPU time, in microseconds, of the tools this process runs (gzip-cli's
 * gzip, ...): children it has waited for (its own cutime + cstime) and
 * children still running (their utime + stime, and their own waited-for
 * children). Without it a tool of ours would count as another process's load.
 */
export function childrenCpuUs(root = '/', pid = process.pid): number {
  let ticks = 0;
  const self = read(root, `proc/${pid}/stat`);
  const mine = self ? statTicks(self) : null;
  if (mine) ticks += mine.children;
  let entries: string[] = [];
  try {
    entries = readdirSync(join(root, 'proc')).filter((e) => /^\d+$/.test(e));
  } catch {
    entries = [];
  }
  for (const e of entries) {
    const t = read(root, `proc/${e}/stat`);
    const st = t ? statTicks(t) : null;
    if (st && st.ppid === pid) ticks += st.own + st.children;
  }
  return (ticks / USER_HZ) * 1e6;
}

/** One reading for loadShare: our own CPU time counts every thread of ours and the tools we run. */
export function loadReading(root = '/'): { ticks: CpuTicks; ownUs: number; wallNs: bigint } | null {
  const ticks = readCpuTicks(root);
  if (!ticks) return null;
  const u = process.cpuUsage();
  return { ticks, ownUs: u.user + u.system + childrenCpuUs(root), wallNs: process.hrtime.bigint() };
}

/** What the timing gate's monitor saw over a run (src/pool/timing-gate.ts GateLoad). */
export interface ObservedLoad {
  /** Others' mean CPU use over the whole run, in cores; null when /proc/stat is unreadable. */
  others_cores_mean: number | null;
  /** Highest over one monitor interval. */
  others_cores_max: number | null;
  /** Hypervisor steal over the run, in cores; null when the kernel does not report it. */
  steal_cores_mean: number | null;
  /** Fewest timing slots the gate had during the run. */
  timing_slots_min: number;
  timing_slots_start: number;
  seconds: number;
  /** Cores our workers could use (availableParallelism) and the pool's workers, for the busy verdict. */
  cores?: number;
  workers?: number;
}

/** run.json's `machine`: the state before, the load average after, what others took during, and the verdict. */
export interface RunMachine extends MachineInfo {
  load_average_after?: LoadAverage | null;
  observed?: ObservedLoad | null;
  /** Timed decompression samples over the run's rows, and how many of them were disturbed. */
  samples?: number;
  samples_disturbed?: number;
  /**
   * The run's figures were taken on a busy machine: others (and steal) took
   * at least half a core our workers needed on average during the run
   * (isBusy), or at least half of the
   * timed samples were disturbed (the same "more often than not" rule, seen
   * from our own thread: it catches a competitor on our core that the
   * machine-wide average splits across cores). null until the run ends.
   */
  busy: boolean | null;
}

/** The share of disturbed samples at which a run counts as busy (see RunMachine.busy). */
export const BUSY_SAMPLE_SHARE = 0.5;

export function machineAtStart(root = '/'): RunMachine {
  return { ...readMachine(root), busy: null };
}

/** The counts machineAtEnd reads from results rows (a ResultRow fits). */
export interface RowTiming {
  decompress_samples?: number | null;
  decompress_disturbed?: number | null;
}

export function machineAtEnd(start: RunMachine, observed: ObservedLoad | undefined, rows: readonly RowTiming[], root = '/'): RunMachine {
  const o = observed ?? null;
  let samples = 0;
  let disturbed = 0;
  for (const r of rows) {
    samples += r.decompress_samples ?? 0;
    disturbed += r.decompress_disturbed ?? 0;
  }
  const loaded = o && o.others_cores_mean !== null ? isBusy({ othersCores: o.others_cores_mean, stealCores: o.steal_cores_mean }, o.cores, o.workers) : null;
  const spoiled = samples > 0 ? disturbed >= BUSY_SAMPLE_SHARE * samples : null;
  const busy = loaded === null && spoiled === null ? null : loaded === true || spoiled === true;
  return { ...start, load_average_after: readLoadAverage(root), observed: o, samples, samples_disturbed: disturbed, busy };
}
