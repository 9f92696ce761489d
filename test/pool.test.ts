// Pool pieces that need no worker: the memory scheduler and estimates,
// and how unit bytes are shared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryScheduler } from '../src/pool/scheduler.js';
import { codecStateBytes, defaultMemoryBudget, estimateCellMemory } from '../src/pool/memory.js';
import { shareUnits, type Unit } from '../src/run/index.js';

const MiB = 1024 * 1024;

test('scheduler never exceeds the budget or the concurrency; a too-big cell runs alone; all cells run', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.integer({ min: 0, max: 1500 }), { maxLength: 40 }),
      fc.array(fc.nat(), { maxLength: 200 }),
      (budget, maxConcurrent, estimates, choices) => {
        const s = new MemoryScheduler(budget, maxConcurrent);
        const pending = [...estimates];
        const running: number[] = [];
        let finished = 0;
        let c = 0;
        const check = () => {
          assert.ok(running.length <= maxConcurrent);
          const sum = running.reduce((a, b) => a + b, 0);
          if (running.length > 1) assert.ok(sum <= budget, `sum ${sum} > budget ${budget} with ${running.length} running`);
          assert.equal(s.running, running.length);
        };
        while (pending.length || running.length) {
          // Start everything the scheduler admits.
          for (;;) {
            const i = s.pick(pending);
            if (i < 0) break;
            const e = pending.splice(i, 1)[0]!;
            s.start(e);
            running.push(e);
            check();
          }
          // Progress is guaranteed: with nothing running, something must start.
          assert.ok(running.length > 0, 'deadlock: pending cells but nothing admitted');
          // Finish an arbitrary running cell.
          const j = (choices[c++ % Math.max(1, choices.length)] ?? 0) % running.length;
          s.finish(running.splice(j, 1)[0]!);
          finished++;
          check();
        }
        assert.equal(finished, estimates.length);
        assert.equal(s.used, 0);
      },
    ),
    { numRuns: 500 },
  );
});

test('scheduler backfills smaller cells past one that does not fit', () => {
  const s = new MemoryScheduler(100, 4);
  s.start(60);
  assert.equal(s.pick([50, 30]), 1);
  s.start(30);
  assert.equal(s.pick([50, 20]), -1, '60+30+20 > 100');
  s.finish(60);
  s.finish(30);
  s.start(500); // too big for the budget: runs, but alone
  assert.equal(s.pick([1]), -1);
  assert.throws(() => s.start(1), /does not fit/);
  assert.throws(() => new MemoryScheduler(0, 1), /budget/);
  assert.throws(() => new MemoryScheduler(1, 0), /concurrency/);
});

test('memory estimates: xz/lzma follow the dictionary (xz(1): -9 needs 674 MiB), others are small', () => {
  const xz = (params: Record<string, unknown>) => codecStateBytes({ algorithm: 'xz', params }, 60 * MiB);
  assert.ok(xz({ preset: 9 }) >= 674 * MiB + 65 * MiB, 'preset 9 encoder + decoder');
  assert.ok(xz({ preset: 6 }) >= 94 * MiB + 9 * MiB);
  assert.ok(xz({}) === xz({ preset: 6 }), 'default preset 6');
  assert.ok(xz({ dict_bytes: 128 * MiB }) >= 10 * 128 * MiB, 'kernel 6.12 xz: dict=128MiB');
  assert.ok(xz({ dict_bytes: 32 * MiB }) < xz({ dict_bytes: 64 * MiB }));
  assert.ok(codecStateBytes({ algorithm: 'lzma', params: { preset: 9 } }, 1) >= 674 * MiB);
  assert.ok(codecStateBytes({ algorithm: 'bzip2', params: { level: 9 } }, 1) >= 7.6e6 + 3.7e6);
  for (const algorithm of ['gzip', 'lzo', 'lz4']) {
    assert.ok(codecStateBytes({ algorithm, params: {} }, 60 * MiB) < 32 * MiB, algorithm);
  }
  // zstd: window shrinks to the input, so small units need little.
  const zstd22 = (n: number) => codecStateBytes({ algorithm: 'zstd', params: { level: 22 } }, n);
  assert.ok(zstd22(100 * MiB) >= 10 * 128 * MiB);
  assert.ok(zstd22(64 * 1024) < 16 * MiB);
  // src/codecs spells "the level's window" as window_log=0.
  const zstd = (params: Record<string, unknown>) => codecStateBytes({ algorithm: 'zstd', params }, 100 * MiB);
  assert.equal(zstd({ level: 19, window_log: 0 }), zstd({ level: 19 }));
  assert.ok(zstd({ level: 19, window_log: 27, long: true }) > zstd({ level: 19 }));
  // The cell estimate adds the I/O buffers on top of codec state.
  const cell = estimateCellMemory({ algorithm: 'gzip', params: {} }, 60 * MiB);
  assert.ok(cell >= 3 * 60 * MiB);
  assert.ok(defaultMemoryBudget(0.5) > 0);
});

test('shareUnits copies each source buffer once and keeps views', () => {
  const image = new Uint8Array(1000).map((_, i) => i & 0xff);
  const units: Unit[] = [
    { name: 'a', bytes: image.subarray(100, 200) },
    { name: 'b', bytes: image.subarray(150, 400) },
    { name: 'c', bytes: new Uint8Array([1, 2, 3]) },
  ];
  const sabSource = new Uint8Array(new SharedArrayBuffer(16), 4, 8);
  units.push({ name: 'd', bytes: sabSource });
  const m = shareUnits(units);
  const a = m.get(units[0]!)!;
  const b = m.get(units[1]!)!;
  assert.equal(a.buffer, b.buffer, 'same source buffer, one SharedArrayBuffer');
  assert.equal(a.buffer.byteLength, 300, 'only the span the units cover');
  for (const u of units) {
    const s = m.get(u)!;
    assert.ok(s.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(new Uint8Array(s.buffer, s.offset, s.length), u.bytes);
  }
  assert.equal(m.get(units[3]!)!.buffer, sabSource.buffer, 'shared bytes are used in place');
  assert.equal(m.get(units[3]!)!.offset, 4);
});

test('cost ordering weights: slow settings weigh more, and bigger units more', async () => {
  const { estimateCellCost } = await import('../src/pool/cost.js');
  const c = (algorithm: string, params: Record<string, unknown>, n = 64 * MiB) => estimateCellCost({ algorithm, params }, n);
  assert.ok(c('xz', { preset: 6 }) > c('gzip', { level: 9 }));
  assert.ok(c('zstd', { level: 22 }) > c('zstd', { level: 3 }));
  assert.ok(c('lzo', { level: 9 }) > c('lzo', { level: 1 }));
  assert.ok(c('lz4', { level: 9 }) > c('lz4', { level: 1 }));
  assert.ok(c('gzip', {}, 64 * MiB) > c('gzip', {}, 1 * MiB));
});
