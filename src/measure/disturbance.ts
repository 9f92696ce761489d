// Which timing samples a busy machine spoiled, and how a cell's samples are
// summarised. Pure functions over plain numbers: the clock lives in
// timing.ts, so every rule here is tested with made-up samples.
//
// A sample is one timed decode: its wall time (CLOCK_MONOTONIC), the
// decoding thread's CPU time (CLOCK_THREAD_CPUTIME_ID) and the thread's
// involuntary context switches (getrusage(RUSAGE_THREAD).ru_nivcsw), all
// read by the native addon around the call (native/addon.cc threadClock).
// Wall minus CPU is the time the thread spent off the CPU: preempted by
// another runnable thread, or its vCPU stolen by the hypervisor. A decode
// does no I/O and never sleeps, so on a machine with a core to spare that
// gap is the clock reads' own cost.

import { median, mad } from './stats.js';

export interface Sample {
  wallMs: number;
  /** Thread CPU time in ms; NaN when the platform has no thread clock. */
  cpuMs: number;
  /** Involuntary context switches during the sample; -1 when unknown. */
  nivcsw: number;
}

/**
 * The share of a sample's wall time it may have spent off the CPU and still
 * count as clean: 2%. The bar (kzbench issue 16) is a reported speed
 * within 5% of the quiet one; a sample that lost under 2% keeps the median
 * well inside that bar even if every clean sample lost as much, and the
 * rest of the 5% is left for what no clock can see (shared caches, memory
 * bandwidth and frequency taken by the other process).
 */
export const OFF_CPU_FRACTION = 0.02;

/**
 * A sample is disturbed when its off-CPU time exceeds OFF_CPU_FRACTION of its
 * wall time plus `epsilonMs` (the clock reads' own skew, measured by
 * calibrateEpsilon). A context switch alone does not disturb a sample: a
 * 10 µs kernel-thread preemption in a 100 ms decode is counted in
 * `nivcsw` but costs nothing worth retiming. Without a thread clock (cpuMs
 * NaN) nothing can be told, and the sample counts as clean.
 */
export function isDisturbed(s: Sample, epsilonMs: number): boolean {
  if (!Number.isFinite(s.cpuMs)) return false;
  return s.wallMs - s.cpuMs > OFF_CPU_FRACTION * s.wallMs + epsilonMs;
}

/**
 * How many times the median empty-interval gap (wall - cpu between two
 * back-to-back clock reads) the epsilon is: 3, so that read noise of a few
 * times its usual size is not taken for preemption, while a real
 * preemption (a scheduler slice, milliseconds) is still thousands of times
 * larger.
 */
export const EPSILON_FACTOR = 3;

/** The skew epsilon from empty intervals (samples around nothing). */
export function calibrateEpsilon(empty: readonly Sample[]): number {
  const gaps = empty.filter((s) => Number.isFinite(s.cpuMs)).map((s) => Math.max(0, s.wallMs - s.cpuMs));
  const m = median(gaps);
  return Number.isFinite(m) ? EPSILON_FACTOR * m : 0;
}

/**
 * hyperfine's outlier rule (sharkdp/hyperfine, src/outlier_detection.rs):
 * the modified Z-score of a sample is (x - median) / MAD, with the MAD
 * unscaled, and a sample is an outlier when its score's absolute value is
 * above OUTLIER_THRESHOLD = 1.4826 * 10, i.e. ten standard deviations of a
 * normal distribution estimated from the MAD. (Iglewicz and Hoaglin's 3.5
 * on 0.6745 (x - median) / MAD is the stricter textbook variant; kzbench
 * follows hyperfine so a flagged cell means what it means there.)
 */
export const OUTLIER_THRESHOLD = 1.4826 * 10;

/** Modified Z-scores; a MAD of 0 makes every sample off the median infinitely far (like hyperfine's division). */
export function modifiedZScores(values: readonly number[]): number[] {
  const m = median(values);
  const d = mad(values);
  return values.map((x) => (x === m ? 0 : (x - m) / d));
}

/** How many values are outliers by hyperfine's rule. */
export function countOutliers(values: readonly number[]): number {
  if (values.length < 3) return 0;
  return modifiedZScores(values).filter((z) => Math.abs(z) > OUTLIER_THRESHOLD).length;
}

/**
 * Spread above which a cell is 'wide': MAD / median above 5%, the issue's
 * own tolerance. A typical sample then differs from the median by more
 * than the error the issue accepts, so the median alone does not stand for
 * the cell.
 */
export const WIDE_SPREAD = 0.05;

/**
 * ok; disturbed: too few undisturbed samples; wide: spread over WIDE_SPREAD;
 * shared: no sample was descheduled, but other processes used at least
 * SHARED_CORES of the machine while the cell was timed. A decode beside a
 * busy neighbour runs slower without losing its CPU (shared caches, memory
 * bandwidth, an SMT sibling): bench/busy.ts measured up to 12% slower thread
 * CPU time beside one burner on this 2-vCPU machine, with nothing descheduled.
 */
export type TimingQuality = 'ok' | 'disturbed' | 'wide' | 'shared';

/** Others' CPU use (cores) from which an otherwise clean cell is 'shared': half a core, the gate's BUSY_CORES. */
export const SHARED_CORES = 0.5;

/** A cell's quality once the others' load around its timing is known. */
export function withNeighbours(quality: TimingQuality, othersCores: number): TimingQuality {
  return quality === 'ok' && othersCores >= SHARED_CORES ? 'shared' : quality;
}

export interface SampleSummary {
  /** Median wall ms of the samples it is taken over (clean ones when there are enough). */
  wallMsMedian: number;
  wallMsMad: number;
  /** How many samples the wall median is over. */
  runs: number;
  /** Median thread CPU ms over every sample (NaN without a thread clock). */
  cpuMsMedian: number;
  cpuMsMad: number;
  /** Samples found disturbed. */
  disturbed: number;
  /** Samples of the median's set that hyperfine would call outliers. */
  outliers: number;
  /** Involuntary context switches summed over every sample; -1 when unknown. */
  nivcsw: number;
  quality: TimingQuality;
}

/**
 * Summarise a cell's samples. With at least `minClean` clean samples the
 * wall median and MAD are over the clean ones; with fewer, over all of them,
 * and the cell is 'disturbed': its wall figure is not to be trusted, its CPU
 * figure still is (the thread's own time excludes the time it was off the
 * CPU). A cell with enough clean samples whose spread is above WIDE_SPREAD
 * is 'wide'.
 */
export function summarizeSamples(samples: readonly Sample[], epsilonMs: number, minClean: number): SampleSummary {
  const flags = samples.map((s) => isDisturbed(s, epsilonMs));
  const clean = samples.filter((_, i) => !flags[i]);
  const disturbed = samples.length - clean.length;
  const enough = clean.length >= Math.max(1, Math.min(minClean, samples.length));
  const used = enough ? clean : samples;
  const wall = used.map((s) => s.wallMs);
  const cpu = samples.map((s) => s.cpuMs).filter((v) => Number.isFinite(v));
  const wallMsMedian = median(wall);
  const wallMsMad = mad(wall);
  const known = samples.every((s) => s.nivcsw >= 0);
  const quality: TimingQuality = !enough ? 'disturbed' : wallMsMad > WIDE_SPREAD * wallMsMedian ? 'wide' : 'ok';
  return {
    wallMsMedian,
    wallMsMad,
    runs: used.length,
    cpuMsMedian: median(cpu),
    cpuMsMad: mad(cpu),
    disturbed,
    outliers: countOutliers(wall),
    nivcsw: known ? samples.reduce((n, s) => n + s.nivcsw, 0) : -1,
    quality,
  };
}
