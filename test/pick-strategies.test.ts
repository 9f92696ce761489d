// pick's strategy table: one module per strategy, asked in a fixed order, so
// the candidates come out in the order model.csv and the recommendation's
// tie-break have always had.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluate,
  loadBoard,
  loadStubTable,
  PICK_STRATEGIES,
  STRATEGIES,
  type KernelFacts,
  type MeasuredPayload,
  type StrategyContext,
} from '../src/model/index.js';
import { kernelProfile, type Algorithm } from '../src/codecs/index.js';

const stubs = loadStubTable();
const rpi = loadBoard('rpi3b-uboot');
const facts: KernelFacts = { arch: rpi.arch, own: null, kernelMemoryBytes: 30_000_000, kernelMemorySource: 'test', sections: [], thumb2: false };
const measured: MeasuredPayload[] = (['gzip', 'zstd'] as const).map((a, i) => ({
  algorithm: a,
  setting: kernelProfile(a as Algorithm, { arch: rpi.arch, kernelVersion: '6.12.117' }).key,
  payloadBytes: 9_000_000 - i,
  outputBytes: 25_000_000,
}));

test('the table holds every strategy once, in STRATEGIES order', () => {
  assert.deepEqual(
    PICK_STRATEGIES.map((s) => s.name),
    [...STRATEGIES],
  );
});

test('each strategy only makes candidates of its own name', () => {
  const ctx: StrategyContext = { board: rpi, facts, measured, stubs, notes: [] };
  for (const s of PICK_STRATEGIES) {
    const made = [...measured.flatMap((m) => s.forPayload(ctx, m)), ...s.forBoard(ctx)];
    assert.ok(made.length > 0, s.name);
    for (const c of made) assert.equal(c.strategy, s.name);
  }
});

test('candidates come per payload (self-decompressing, then boot loader), then the payload-free ones', () => {
  const { candidates } = evaluate({ board: rpi, facts, measured, stubs });
  assert.deepEqual(
    candidates.map((c) => `${c.strategy} ${c.algorithm}`),
    ['self-decompressing gzip', 'bootloader gzip', 'self-decompressing zstd', 'bootloader zstd', 'xip none', 'xip-deflated-data gzip'],
  );
});
