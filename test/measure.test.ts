import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KzError } from '../src/errors.js';
import { mad, median, megabytesPerSecond, summarize } from '../src/measure/stats.js';
import { DEFAULT_TIMING, resolveTiming, shouldStop, timeRepeated, type TimingOptions } from '../src/measure/timing.js';

test('median of odd, even, unsorted and empty lists', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([10]), 10);
  assert.ok(Number.isNaN(median([])));
  const xs = [5, 3, 9];
  median(xs);
  assert.deepEqual(xs, [5, 3, 9], 'input not reordered');
});

test('MAD is the unscaled median absolute deviation', () => {
  // median 2; deviations 1,1,0,0,2,4,7 -> sorted 0,0,1,1,2,4,7 -> 1
  assert.equal(mad([1, 1, 2, 2, 4, 6, 9]), 1);
  assert.equal(mad([7]), 0);
  assert.equal(mad([1, 2, 3, 4]), 1); // median 2.5; deviations 1.5,.5,.5,1.5 -> 1
  assert.ok(Number.isNaN(mad([])));
  // One wild outlier barely moves it.
  assert.equal(mad([10, 10, 11, 11, 1000]), 1);
});

test('summarize and MB/s (MB = 1e6 bytes)', () => {
  const s = summarize([2, 4, 6]);
  assert.deepEqual(s, { runs: 3, median: 4, mad: 2, min: 2, max: 6, mean: 4 });
  assert.equal(megabytesPerSecond(50_000_000, 100), 500);
  assert.ok(Number.isNaN(megabytesPerSecond(1, 0)));
});

const T = (o: Partial<TimingOptions>): TimingOptions => resolveTiming(o);

test('stopping rule: both minimum count and minimum time, capped', () => {
  const t = T({ minRuns: 5, minTimeMs: 1000, maxTimeMs: 20000, maxRuns: 100 });
  assert.equal(shouldStop(0, 5000, t), false, 'never before one run');
  assert.equal(shouldStop(4, 5000, t), false, 'time reached, count not');
  assert.equal(shouldStop(50, 999, t), false, 'count reached, time not');
  assert.equal(shouldStop(5, 1000, t), true);
  assert.equal(shouldStop(1, 20000, t), true, 'time cap wins over the count');
  assert.equal(shouldStop(100, 10, t), true, 'run cap');
});

/** A clock that only moves when the timed function runs. */
function fakeClock(stepMs: number) {
  let now = 0n;
  return {
    clock: () => now,
    fn: () => {
      now += BigInt(Math.round(stepMs * 1e6));
    },
  };
}

test('timing loop with an injected clock', () => {
  const cases: [step: number, opts: Partial<TimingOptions>, runs: number][] = [
    [100, { minRuns: 5, minTimeMs: 1000 }, 10], // time is the binding minimum
    [300, { minRuns: 5, minTimeMs: 1000 }, 5], // count is the binding minimum
    [5000, { minRuns: 5, minTimeMs: 1000, maxTimeMs: 20000 }, 4], // cap before the count
    [30000, { minRuns: 5, minTimeMs: 1000, maxTimeMs: 20000 }, 1], // one run over the cap
    [0, { minRuns: 5, minTimeMs: 1000, maxRuns: 50 }, 50], // run cap
  ];
  for (const [step, opts, runs] of cases) {
    const { clock, fn } = fakeClock(step);
    const r = timeRepeated(fn, T(opts), clock);
    assert.equal(r.samplesMs.length, runs, `step ${step} ms ${JSON.stringify(opts)}`);
    for (const s of r.samplesMs) assert.equal(s, step);
    assert.equal(r.elapsedMs, step * runs);
  }
});

test('timing loop on the real clock: the samples are the calls, and it stops by the rule', () => {
  // No wall-clock assertion: a fast machine reaches the run cap before the minimum time.
  let calls = 0;
  const t = T({ minRuns: 3, minTimeMs: 20, maxTimeMs: 1000, maxRuns: 1000 });
  const r = timeRepeated(() => void calls++, t);
  assert.equal(calls, r.samplesMs.length);
  assert.ok(r.samplesMs.every((ms) => Number.isFinite(ms) && ms >= 0));
  assert.ok(shouldStop(r.samplesMs.length, r.elapsedMs, t), 'stopped only when the stopping rule says so');
});

test('timing options: defaults and refusals', () => {
  assert.deepEqual(resolveTiming(), { ...DEFAULT_TIMING });
  assert.deepEqual(resolveTiming({ minRuns: undefined }), { ...DEFAULT_TIMING });
  assert.throws(() => resolveTiming({ minRuns: 0 }), /minRuns/);
  assert.throws(() => resolveTiming({ minTimeMs: 10, maxTimeMs: 5 }), /maxTimeMs/);
  assert.throws(() => resolveTiming({ minRuns: 10, maxRuns: 5 }), /maxRuns/);
  // a user's flag (--min-runs 1000000) past the run cap: a KzError, one line and exit 2, not an internal error
  assert.throws(
    () => resolveTiming({ minRuns: 1_000_000 }),
    (e: unknown) => e instanceof KzError && /maxRuns must be an integer >= minRuns/.test(e.message),
  );
});
