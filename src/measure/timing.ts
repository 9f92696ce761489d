// The timing loop: run a function repeatedly until both a minimum count and
// a minimum time are reached (lzbench's rule), bounded by a time cap and a
// run cap. The clock is injectable so the stopping rule is testable.

import { KzError } from '../errors.js';
import { isDisturbed, calibrateEpsilon, type Sample } from './disturbance.js';

export interface TimingOptions {
  /** Keep going until at least this many timed runs (default 5). */
  minRuns: number;
  /** ...and until at least this much wall time, in ms, has passed (default 1000). */
  minTimeMs: number;
  /**
   * Stop once this much wall time (ms) has passed even if minRuns is not
   * reached (default 20000). At least one run is always timed, so the real
   * bound is max(maxTimeMs, one run). `runs` in the result says how many.
   */
  maxTimeMs: number;
  /** Never more than this many runs, whatever the time (default 100000). */
  maxRuns: number;
}

export const DEFAULT_TIMING: Readonly<TimingOptions> = Object.freeze({
  minRuns: 5,
  minTimeMs: 1000,
  maxTimeMs: 20_000,
  maxRuns: 100_000,
});

/** A monotonic clock in nanoseconds. */
export type Clock = () => bigint;

export const hrClock: Clock = () => process.hrtime.bigint();

/** Fill in defaults and refuse nonsense with a readable message. */
export function resolveTiming(partial: Partial<TimingOptions> = {}): TimingOptions {
  const t: TimingOptions = { ...DEFAULT_TIMING, ...stripUndefined(partial) };
  const bad = (what: string) => {
    throw new KzError(`timing: ${what} (got minRuns=${t.minRuns}, minTimeMs=${t.minTimeMs}, maxTimeMs=${t.maxTimeMs}, maxRuns=${t.maxRuns})`);
  };
  if (!Number.isInteger(t.minRuns) || t.minRuns < 1) bad('minRuns must be an integer >= 1');
  if (!Number.isInteger(t.maxRuns) || t.maxRuns < t.minRuns) bad('maxRuns must be an integer >= minRuns');
  if (!(t.minTimeMs >= 0)) bad('minTimeMs must be >= 0');
  if (!(t.maxTimeMs >= t.minTimeMs)) bad('maxTimeMs must be >= minTimeMs');
  return t;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The stopping rule, after `runs` timed runs and `elapsedMs` of wall time:
 * stop when (runs >= minRuns and elapsed >= minTimeMs), or the time cap or
 * the run cap is hit; never before the first run.
 */
export function shouldStop(runs: number, elapsedMs: number, t: TimingOptions): boolean {
  if (runs < 1) return false;
  if (runs >= t.maxRuns) return true;
  if (elapsedMs >= t.maxTimeMs) return true;
  return runs >= t.minRuns && elapsedMs >= t.minTimeMs;
}

export interface TimedRuns {
  /** Duration of each run in ms, in run order. */
  samplesMs: number[];
  /** Wall time of the whole loop in ms. */
  elapsedMs: number;
}

/**
 * Time `fn` repeatedly under the stopping rule. Each sample is the clock
 * difference around one call; nothing else happens between the two reads.
 */
export function timeRepeated(fn: () => void, timing: TimingOptions, clock: Clock = hrClock): TimedRuns {
  const samplesMs: number[] = [];
  const start = clock();
  let elapsedMs = 0;
  while (!shouldStop(samplesMs.length, elapsedMs, timing)) {
    const t0 = clock();
    fn();
    const t1 = clock();
    samplesMs.push(Number(t1 - t0) / 1e6);
    elapsedMs = Number(t1 - start) / 1e6;
  }
  return { samplesMs, elapsedMs };
}

/**
 * One reading of the thread's clocks: [monotonic ns, thread CPU ns (or -1),
 * involuntary context switches (or -1)], written into `out`. The worker's
 * comes from the native addon (threadClock); tests inject their own.
 */
export type ThreadClock = (out: BigInt64Array) => void;

/** A stand-in without a thread clock: wall time only (CPU and switches unknown). */
export const wallOnlyClock: ThreadClock = (out) => {
  out[0] = process.hrtime.bigint();
  out[1] = -1n;
  out[2] = -1n;
};

/** The sample between two readings. */
export function sampleBetween(a: BigInt64Array, b: BigInt64Array): Sample {
  const cpuKnown = a[1]! >= 0n && b[1]! >= 0n;
  const switchesKnown = a[2]! >= 0n && b[2]! >= 0n;
  return {
    wallMs: Number(b[0]! - a[0]!) / 1e6,
    cpuMs: cpuKnown ? Number(b[1]! - a[1]!) / 1e6 : NaN,
    nivcsw: switchesKnown ? Number(b[2]! - a[2]!) : -1,
  };
}

/**
 * The stopping rule with retiming. Stop at the caps (maxRuns, maxTimeMs);
 * else stop once the plain rule is met (minRuns runs, minTimeMs) with at
 * least minRuns clean samples among them. Disturbed samples are retimed
 * within a budget: at most twice the plain rule's time and count
 * (2 x minTimeMs and 2 x minRuns), so a busy machine at worst doubles a
 * cell's timing phase, and a cell that still lacks clean samples then is
 * reported as disturbed rather than timed forever.
 */
export function shouldStopRetiming(runs: number, clean: number, elapsedMs: number, t: TimingOptions): boolean {
  if (runs < 1) return false;
  if (runs >= t.maxRuns || elapsedMs >= t.maxTimeMs) return true;
  if (!(runs >= t.minRuns && elapsedMs >= t.minTimeMs)) return false;
  if (clean >= t.minRuns) return true;
  return runs >= 2 * t.minRuns && elapsedMs >= 2 * t.minTimeMs;
}

export interface TimedSamples {
  samples: Sample[];
  elapsedMs: number;
  /** The clock-skew epsilon the samples were judged with (ms). */
  epsilonMs: number;
}

/** Empty intervals read to calibrate the epsilon: enough for a stable median at ~4 µs a read. */
const CALIBRATION_READS = 21;

/**
 * Time `fn` under shouldStopRetiming, reading `clock` around each call.
 * Nothing but the call happens between the two readings.
 */
export function timeSamples(fn: () => void, timing: TimingOptions, clock: ThreadClock): TimedSamples {
  const a = new BigInt64Array(3);
  const b = new BigInt64Array(3);
  const empty: Sample[] = [];
  for (let i = 0; i < CALIBRATION_READS; i++) {
    clock(a);
    clock(b);
    empty.push(sampleBetween(a, b));
  }
  const epsilonMs = calibrateEpsilon(empty);
  const samples: Sample[] = [];
  const start = new BigInt64Array(3);
  clock(start);
  let clean = 0;
  let elapsedMs = 0;
  while (!shouldStopRetiming(samples.length, clean, elapsedMs, timing)) {
    clock(a);
    fn();
    clock(b);
    const s = sampleBetween(a, b);
    samples.push(s);
    if (!isDisturbed(s, epsilonMs)) clean++;
    elapsedMs = Number(b[0]! - start[0]!) / 1e6;
  }
  return { samples, elapsedMs, epsilonMs };
}
