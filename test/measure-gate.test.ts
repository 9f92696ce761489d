// The pool's gate on real worker threads: with one slot, two workers never
// run a cell at once, and a worker that dies holding the slot does not
// deadlock the pool (the slot is given back when its task settles).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CellPool } from '../src/pool/pool.js';
import { resolveTiming } from '../src/measure/timing.js';
import type { CellMeasurement, CellTask } from '../src/pool/task.js';

// Stand-in codec: identity behind a 4-byte length; each decode busy-waits 5 ms.
const CODEC = `
export function parseSetting(spec) { return { algorithm: 'fake', key: spec, params: {}, backend: 'fake' }; }
export function compress(s, input) { const out = new Uint8Array(input.length + 4); new DataView(out.buffer).setUint32(0, input.length, true); out.set(input, 4); return out; }
export function decompressInto(s, c, out) { const n = new DataView(c.buffer, c.byteOffset).getUint32(0, true); out.set(c.subarray(4, 4 + n)); const end = Date.now() + 5; while (Date.now() < end); return n; }
export function backendVersions() { return { fake: '1' }; }
`;

const dir = mkdtempSync(join(tmpdir(), 'kzbench-gate-'));
writeFileSync(join(dir, 'codec.mjs'), CODEC);
const codecModule = pathToFileURL(join(dir, 'codec.mjs')).href;

function task(extra: Partial<CellTask> = {}): CellTask {
  const buffer = new SharedArrayBuffer(4096);
  new Uint8Array(buffer).fill(7);
  return { spec: 'fake', input: { buffer, offset: 0, length: 4096 }, timing: resolveTiming({ minRuns: 5, minTimeMs: 60 }), ...extra };
}

test('one slot: cells never overlap, and a worker that dies holding the slot gives it back', async () => {
  const pool = new CellPool({ workers: 2, codecModule, gateSlots: 1 });
  try {
    await assert.rejects(pool.run(task({ fault: 'exit' })), /exit|70/);
    const results: CellMeasurement[] = await Promise.race([
      Promise.all([pool.run(task()), pool.run(task()), pool.run(task())]),
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('deadlock: the dead worker kept its slot')), 20_000)),
    ]);
    const spans = results.map((m) => [Date.parse(m.startedAt), Date.parse(m.finishedAt)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `cells overlap: ${JSON.stringify(spans)}`);
    // When both workers ran cells, one of them waited for the slot. (On a loaded machine the dead
    // worker's replacement may start after all three cells ran on the other: then nobody had to wait.)
    if (new Set(results.map((m) => m.worker)).size > 1)
      assert.ok(
        results.some((m) => m.timing!.gateWaitMs > 30),
        'some cell waited for the slot',
      );
    assert.ok(results.every((m) => m.timing!.samples >= 5));
  } finally {
    await pool.destroy();
  }
});

test('two slots on two workers: cells run at once', async () => {
  const pool = new CellPool({ workers: 2, codecModule, gateSlots: 2 });
  try {
    const results = await Promise.all([pool.run(task()), pool.run(task())]);
    const [a, b] = results.map((m) => [Date.parse(m.startedAt), Date.parse(m.finishedAt)] as const);
    assert.ok(a![0] < b![1] && b![0] < a![1], 'the two cells overlapped');
  } finally {
    await pool.destroy();
  }
});
