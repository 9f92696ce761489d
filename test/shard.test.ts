// --shard I/N and --shard auto: every cell in exactly one shard, balanced by estimated cost,
// the same partition whatever order the cells come in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cellId } from '../src/results/schema.js';
import { balanceShards, cellsOfShard, parseShard, ShardError, suiteCellCost } from '../src/suite/shard.js';

const refused = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof ShardError && re.test((e as Error).message));

describe('shards', () => {
  it('parses I/N (1..N) and refuses the rest with what is allowed', () => {
    assert.deepEqual(parseShard('1/4', {}), { index: 1, count: 4, source: 'flag' });
    assert.deepEqual(parseShard(' 4 / 4 ', {}), { index: 4, count: 4, source: 'flag' });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1', '1/2/3', '-1/2', '1/99999999999999999999', '1/20000']) {
      refused(() => parseShard(bad, {}), /--shard .*(I\/N|1 to N)/);
    }
  });

  it('--shard auto: a Slurm array task, a Kubernetes Indexed Job, or a clear refusal', () => {
    assert.deepEqual(parseShard('auto', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '4', SLURM_ARRAY_TASK_COUNT: '4' }), {
      index: 3,
      count: 4,
      source: 'slurm',
    });
    assert.deepEqual(parseShard('auto', { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '7' }), {
      index: 1,
      count: 8,
      source: 'slurm',
    });
    refused(() => parseShard('auto', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_MAX: '8' }), /step 2/);
    refused(
      () => parseShard('auto', { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '9', SLURM_ARRAY_TASK_COUNT: '3' }),
      /has gaps/,
    );
    assert.deepEqual(parseShard('auto/5', { JOB_COMPLETION_INDEX: '0' }), { index: 1, count: 5, source: 'kubernetes' });
    assert.deepEqual(parseShard('auto', { JOB_COMPLETION_INDEX: '4', KZBENCH_SHARD_COUNT: '5' }), { index: 5, count: 5, source: 'kubernetes' });
    refused(() => parseShard('auto', { JOB_COMPLETION_INDEX: '4' }), /not the number of shards/);
    refused(() => parseShard('auto/3', { JOB_COMPLETION_INDEX: '3' }), /I must be 1 to N/);
    refused(() => parseShard('auto', {}), /no array task index in the environment/);
  });

  const costed = fc
    .array(fc.record({ u: fc.string(), s: fc.string(), cost: fc.integer({ min: 1, max: 1_000_000 }) }), { minLength: 1, maxLength: 60 })
    .map((list) => {
      const seen = new Set<string>();
      return list.map((c) => ({ id: cellId('ab'.repeat(32), c.u, c.s), cost: c.cost })).filter((c) => !seen.has(c.id) && seen.add(c.id));
    });

  it('puts every cell in exactly one shard, the same whatever the order', () => {
    fc.assert(
      fc.property(costed, fc.integer({ min: 1, max: 9 }), fc.integer(), (cells, n, seed) => {
        const owner = balanceShards(cells, n);
        const shuffled = [...cells].sort((a, b) => ((a.id.charCodeAt(3) * seed) % 7) - ((b.id.charCodeAt(3) * seed) % 7));
        assert.deepEqual([...balanceShards(shuffled, n)].sort(), [...owner].sort(), 'a pure function of the cells');
        const members = Array.from({ length: n }, (_, k) => cellsOfShard(cells, { index: k + 1, count: n }, (c) => c.cost));
        assert.equal(
          members.reduce((t, m) => t + m.length, 0),
          cells.length,
        );
        for (const c of cells) assert.equal(members.filter((m) => m.includes(c)).length, 1);
        // LPT's bound: no shard exceeds the mean by more than the largest cell.
        const loads = members.map((m) => m.reduce((t, c) => t + c.cost, 0));
        const mean = loads.reduce((a, b) => a + b, 0) / n;
        const largest = Math.max(...cells.map((c) => c.cost));
        for (const l of loads) assert.ok(l <= mean + largest, `${loads} mean ${mean} largest ${largest}`);
      }),
    );
  });

  it('balances a kernel-like sweep by cost, where splitting by count would not', () => {
    // one xz -9 cell on a 60 MB kernel and 400 lz4 cells on 100 KB sections
    const big = new Uint8Array(60_000_000);
    const small = new Uint8Array(100_000);
    const cells = [
      { id: cellId('cd'.repeat(32), 'whole', 'xz:preset=9'), unit: { bytes: big }, setting: 'xz:preset=9' },
      ...Array.from({ length: 400 }, (_, i) => ({ id: cellId('cd'.repeat(32), `.s${i}`, 'lz4:level=1'), unit: { bytes: small }, setting: 'lz4:level=1' })),
    ];
    const cost = (c: (typeof cells)[number]) => suiteCellCost(c, 1000);
    assert.ok(cost(cells[0]!) > 20 * cost(cells[1]!), 'xz -9 on 60 MB costs far more than lz4 on 100 KB');
    const shards = Array.from({ length: 4 }, (_, k) => cellsOfShard(cells, { index: k + 1, count: 4 }, cost));
    const xzShard = shards.findIndex((s) => s.includes(cells[0]!));
    assert.ok(shards[xzShard]!.length < 100, `the xz cell's shard gets fewer cells (${shards.map((s) => s.length)})`);
    const loads = shards.map((s) => s.reduce((t, c) => t + cost(c), 0));
    const mean = loads.reduce((a, b) => a + b, 0) / 4;
    assert.ok(Math.max(...loads) <= Math.max(mean * 1.3, cost(cells[0]!)), `loads ${loads}`);
  });

  it('no shard means every cell', () => {
    assert.equal(cellsOfShard([{ id: '0123456789abcdef' }], undefined, () => 1).length, 1);
  });
});
