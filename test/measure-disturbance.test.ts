// The disturbed-sample rule, hyperfine's outlier rule, the retiming stop rule
// and the summary of a cell's samples, as pure functions with made-up
// samples and an injected thread clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calibrateEpsilon,
  countOutliers,
  isDisturbed,
  modifiedZScores,
  summarizeSamples,
  OFF_CPU_FRACTION,
  OUTLIER_THRESHOLD,
  type Sample,
} from '../src/measure/disturbance.js';
import { resolveTiming, sampleBetween, shouldStopRetiming, timeSamples, wallOnlyClock, type ThreadClock } from '../src/measure/timing.js';
import { qualityCounts, timingWarning } from '../src/measure/warning.js';

const s = (wallMs: number, cpuMs: number, nivcsw = 0): Sample => ({ wallMs, cpuMs, nivcsw });

test('a sample is disturbed when it spent more than 2% of its wall time plus epsilon off the CPU', () => {
  assert.equal(isDisturbed(s(100, 100), 0.01), false);
  assert.equal(isDisturbed(s(100, 98.5), 0.01), false, '1.5% off the CPU is clean');
  assert.equal(isDisturbed(s(100, 97.9), 0.01), true, '2.1% off the CPU is disturbed');
  // The epsilon covers the clock reads' own skew on very short samples.
  assert.equal(isDisturbed(s(0.05, 0.04), 0.02), false);
  assert.equal(isDisturbed(s(0.05, 0.01), 0.02), true);
  // A context switch alone, with no time lost, is not a disturbance.
  assert.equal(isDisturbed(s(100, 99.99, 3), 0.01), false);
  // Without a thread clock nothing can be told.
  assert.equal(isDisturbed(s(500, NaN, -1), 0), false);
  assert.equal(OFF_CPU_FRACTION, 0.02);
});

test('the epsilon is three times the median gap of empty intervals', () => {
  assert.equal(calibrateEpsilon([s(0.004, 0.003), s(0.005, 0.003), s(0.006, 0.003), s(5, 0.003)]), 3 * ((0.002 + 0.003) / 2));
  assert.equal(calibrateEpsilon([s(0.004, NaN)]), 0);
});

test("hyperfine's outlier rule: |x - median| / MAD above 1.4826 * 10", () => {
  const base = [10, 10.1, 9.9, 10.05, 9.95, 10, 10.02];
  assert.equal(countOutliers(base), 0);
  // median 10, MAD 0.05: 10 + 0.05 * 14.826 = 10.74 is the edge.
  assert.equal(countOutliers([...base, 10.7]), 0);
  assert.equal(countOutliers([...base, 10.8]), 1);
  assert.equal(countOutliers([...base, 30, 9]), 2);
  assert.ok(Math.abs(OUTLIER_THRESHOLD - 14.826) < 1e-9);
  const z = modifiedZScores([1, 2, 3, 4, 100]);
  assert.equal(z[2], 0);
  assert.equal(z[4], 97);
  // A MAD of 0: every sample off the median is infinitely far.
  assert.equal(countOutliers([5, 5, 5, 5, 6]), 1);
  assert.equal(countOutliers([5, 9]), 0, 'fewer than 3 samples: no outliers');
});

test('a cell is summarised over its clean samples, or flagged disturbed when too few are clean', () => {
  const clean = [s(10, 10), s(10.2, 10.1), s(9.9, 9.9), s(10.1, 10.05), s(10, 10)];
  const spoiled = [s(25, 10), s(40, 10.1)];
  const ok = summarizeSamples([...clean, ...spoiled], 0.001, 5);
  assert.equal(ok.quality, 'ok');
  assert.equal(ok.disturbed, 2);
  assert.equal(ok.runs, 5);
  assert.equal(ok.wallMsMedian, 10);
  assert.equal(ok.cpuMsMedian, 10);
  assert.equal(ok.nivcsw, 0);

  const bad = summarizeSamples([s(20, 10), s(21, 10.1), s(19, 9.9), s(10, 10)], 0.001, 3);
  assert.equal(bad.quality, 'disturbed');
  assert.equal(bad.runs, 4, 'the wall median is then over every sample');
  assert.equal(bad.wallMsMedian, 19.5);
  assert.equal(bad.cpuMsMedian, 10, 'the CPU figure is unaffected by the waits');

  const wide = summarizeSamples([s(10, 10), s(12, 12), s(8, 8), s(13, 13), s(7, 7)], 0.001, 5);
  assert.equal(wide.quality, 'wide');
  assert.equal(summarizeSamples([s(10, NaN, -1), s(11, NaN, -1)], 0, 2).nivcsw, -1);
});

test('retiming: disturbed samples are replaced, within twice the plain rule', () => {
  const t = resolveTiming({ minRuns: 5, minTimeMs: 100, maxTimeMs: 10_000 });
  assert.equal(shouldStopRetiming(5, 5, 100, t), true);
  assert.equal(shouldStopRetiming(5, 4, 150, t), false, 'one clean sample short: retime');
  assert.equal(shouldStopRetiming(9, 4, 199, t), false);
  assert.equal(shouldStopRetiming(10, 4, 200, t), true, 'budget spent: 2 x minRuns and 2 x minTimeMs');
  assert.equal(shouldStopRetiming(3, 0, 10_000, t), true, 'the time cap still holds');
  assert.equal(shouldStopRetiming(0, 0, 1e9, t), false, 'never before the first run');
});

/** A fake thread clock: each call advances wall by `step` ms and CPU by the same, except inside fn where a schedule says how much CPU the decode got. */
function fakeClock(cpuShare: (i: number) => number, decodeMs: number): { clock: ThreadClock; fn: () => void } {
  let wall = 0n;
  let cpu = 0n;
  let i = 0;
  const clock: ThreadClock = (out) => {
    out[0] = wall;
    out[1] = cpu;
    out[2] = 0n;
  };
  const fn = () => {
    const share = cpuShare(i++);
    wall += BigInt(Math.round(decodeMs * 1e6));
    cpu += BigInt(Math.round(decodeMs * share * 1e6));
  };
  return { clock, fn };
}

test('timeSamples retimes a disturbed sample and stops once enough are clean', () => {
  const t = resolveTiming({ minRuns: 5, minTimeMs: 0, maxTimeMs: 10_000 });
  const { clock, fn } = fakeClock((i) => (i === 1 || i === 3 ? 0.5 : 1), 10);
  const r = timeSamples(fn, t, clock);
  assert.equal(r.samples.length, 7, 'two disturbed samples, retimed');
  const sum = summarizeSamples(r.samples, r.epsilonMs, t.minRuns);
  assert.equal(sum.disturbed, 2);
  assert.equal(sum.quality, 'ok');
  assert.equal(sum.wallMsMedian, 10);

  const always = fakeClock(() => 0.5, 10);
  const r2 = timeSamples(always.fn, t, always.clock);
  assert.equal(r2.samples.length, 10, 'every sample disturbed: stops after 2 x minRuns');
  assert.equal(summarizeSamples(r2.samples, r2.epsilonMs, t.minRuns).quality, 'disturbed');

  const wallOnly = timeSamples(() => {}, resolveTiming({ minRuns: 3, minTimeMs: 0 }), wallOnlyClock);
  assert.equal(wallOnly.samples.length, 3);
  assert.ok(wallOnly.samples.every((x) => Number.isNaN(x.cpuMs) && x.nivcsw === -1));
});

test('sampleBetween converts the three readings', () => {
  const a = BigInt64Array.from([1_000_000n, 500_000n, 3n]);
  const b = BigInt64Array.from([3_500_000n, 2_000_000n, 5n]);
  assert.deepEqual(sampleBetween(a, b), { wallMs: 2.5, cpuMs: 1.5, nivcsw: 2 });
  assert.deepEqual(sampleBetween(BigInt64Array.from([0n, -1n, -1n]), BigInt64Array.from([1_000_000n, -1n, -1n])), { wallMs: 1, cpuMs: NaN, nivcsw: -1 });
});

test('the warning names the busy machine and counts disturbed and wide cells, once', () => {
  const rows = [
    { verified: true, timing_quality: 'ok' },
    { verified: true, timing_quality: 'disturbed' },
    { verified: true, timing_quality: 'wide' },
    { verified: false, timing_quality: '' },
  ];
  assert.deepEqual(qualityCounts(rows), { measured: 3, disturbed: 1, wide: 1, shared: 0 });
  const w = timingWarning(rows, { busy: true, observed: { others_cores_mean: 1.2, steal_cores_mean: 0 }, samples: 40, samples_disturbed: 30 })!;
  assert.match(w, /^warning: figures were taken on a busy machine \(other processes used 1\.2 cores on average, 30 of 40 timed decodes were preempted\)/);
  assert.match(w, /1 cell of 3 had too few undisturbed decodes/);
  assert.match(w, /1 cell of 3 had a wide spread/);
  assert.equal(w.split('\n').length, 1);
  assert.equal(timingWarning([{ verified: true, timing_quality: 'ok' }], { busy: false }), undefined);
  assert.equal(timingWarning([{ verified: true }], null), undefined, 'rows from files without the column say nothing');
});

test('a clean cell timed beside a busy neighbour is shared; the warning counts it', async () => {
  const { withNeighbours, SHARED_CORES } = await import('../src/measure/disturbance.js');
  const { timingWarning } = await import('../src/measure/warning.js');
  assert.equal(withNeighbours('ok', 0.02), 'ok');
  assert.equal(withNeighbours('ok', SHARED_CORES), 'shared');
  assert.equal(withNeighbours('disturbed', 1.5), 'disturbed', 'the stronger verdict stands');
  assert.equal(withNeighbours('wide', 1.5), 'wide');
  const w = timingWarning([
    { verified: true, timing_quality: 'shared' },
    { verified: true, timing_quality: 'ok' },
  ]);
  assert.match(w!, /1 cell of 2 was timed while other processes used half a core or more/);
  assert.equal(timingWarning([{ verified: true, timing_quality: 'ok' }]), undefined);
});
