// --shard I/N: every cell in exactly one shard, chosen by cell_id alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cellId } from '../src/results/schema.js';
import { inShard, parseShard, shardOf, ShardError } from '../src/suite/shard.js';

describe('shards', () => {
  it('parses I/N (1..N) and refuses the rest with what is allowed', () => {
    assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 });
    assert.deepEqual(parseShard(' 4 / 4 '), { index: 4, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1', '1/2/3', '-1/2']) {
      assert.throws(() => parseShard(bad), (e: unknown) => e instanceof ShardError && /--shard .*(I\/N|1 to N)/.test((e as Error).message), bad);
    }
  });

  it('puts every cell in exactly one shard, whatever the order and N', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), fc.string()), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 9 }), (cells, n) => {
        const ids = cells.map(([u, s]) => cellId('ab'.repeat(32), u, s));
        for (const id of ids) {
          const owners = Array.from({ length: n }, (_, k) => k + 1).filter((i) => inShard(id, { index: i, count: n }));
          assert.equal(owners.length, 1);
          assert.equal(owners[0], shardOf(id, n));
        }
      }),
    );
  });

  it('spreads cells evenly enough', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(cellId('00'.repeat(32), `u${i}`, 'xz:preset=6'), 4) - 1]!++;
    for (const c of counts) assert.ok(c > 850 && c < 1150, String(counts));
  });

  it('no shard means every cell', () => {
    assert.equal(inShard('0123456789abcdef', undefined), true);
  });
});
