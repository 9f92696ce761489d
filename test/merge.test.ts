// kzbench run SUITE --shard I/N on each "machine", kzbench merge: the merged
// run equals the unsharded one (same cells, same sizes); shards of another
// suite or tool version are refused.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readResults } from '../src/results/reader.js';
import type { ResultRow } from '../src/results/schema.js';
import { fixtureDir, kz, writeSuite } from './suite-fixture.js';

const { dir } = fixtureDir('merge');
const suite = writeSuite(
  dir,
  'shard.yaml',
  [
    'name: shard-test',
    'images: [bzImage]',
    'units: [whole, sections]',
    'settings:',
    '  - profile: kernel',
    '    algorithms: [gzip, lz4, zstd]',
    '  - algorithm: xz',
    '    levels: "1..2"',
    '    bcj: [off, on]',
    'timing: {min_runs: 1, min_time_ms: 0}',
    'workers: 2',
  ].join('\n'),
);
const key = (r: ResultRow) => `${r.cell_id} ${r.image_sha256} ${r.unit} ${r.setting} ${r.unit_bytes} ${r.compressed_bytes} ${r.verified}`;
const rowsOf = (d: string) => readResults(join(d, 'results.csv')).rows;

describe('kzbench run --shard, kzbench merge', () => {
  const whole = join(dir, 'whole');
  const shard1 = join(dir, 'shard1');
  const shard2 = join(dir, 'shard2');

  it('two shards merged equal the unsharded run', () => {
    for (const [out, extra] of [
      [whole, []],
      [shard1, ['--shard', '1/2']],
      [shard2, ['--shard', '2/2']],
    ] as const) {
      const r = kz('run', suite, '--out', out, ...extra);
      assert.equal(r.status, 0, r.stderr);
    }
    const all = rowsOf(whole);
    assert.equal(all.length, 4 * 7); // (whole + 3 sections) x (3 profiles + 4 xz)
    const a = rowsOf(shard1);
    const b = rowsOf(shard2);
    assert.ok(a.length > 0 && b.length > 0, `${a.length} + ${b.length}`);
    assert.equal(a.length + b.length, all.length);
    assert.deepEqual(JSON.parse(readFileSync(join(shard1, 'run.json'), 'utf8')).shard, { index: 1, count: 2, source: 'flag' });

    const merged = join(dir, 'merged');
    const m = kz('merge', shard1, shard2, '--out', merged);
    assert.equal(m.status, 0, m.stderr);
    assert.match(m.stderr, /merged 2 run\(s\): 28 rows \(28 verified, 0 failed\)/);
    assert.deepEqual(rowsOf(merged).map(key).sort(), all.map(key).sort());
    const run = JSON.parse(readFileSync(join(merged, 'run.json'), 'utf8'));
    assert.equal(run.suite_hash, JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')).suite_hash);
    assert.equal(run.merged_from.length, 2);
    assert.equal(run.cells_done, 28);
    assert.equal(run.shard, null);

    // Refuses to overwrite without --overwrite.
    const again = kz('merge', shard1, shard2, '--out', merged);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists/);
    // One shard alone: merged, but says what is missing (exit 1).
    const half = kz('merge', shard1, '--out', join(dir, 'half'));
    assert.equal(half.status, 1, half.stderr);
    assert.match(half.stderr, /shard\(s\) 2 missing/);
    // The same shard twice is refused.
    const twice = kz('merge', shard1, shard1, '--out', join(dir, 'twice'));
    assert.equal(twice.status, 2);
    assert.match(twice.stderr, /both shard 1\/2/);
  });

  it('refuses shards of different suites or tool versions', () => {
    const otherSuite = writeSuite(dir, 'other.yaml', 'images: [bzImage]\nsettings: [{setting: "lz4:1"}]\ntiming: {min_runs: 1, min_time_ms: 0}\n');
    const other = join(dir, 'other');
    assert.equal(kz('run', otherSuite, '--out', other, '--shard', '2/2').status, 0);
    const r = kz('merge', shard1, other, '--out', join(dir, 'bad1'));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^kzbench: .* differ in suite .*different suites/);

    const runJson = join(shard2, 'run.json');
    const saved = readFileSync(runJson, 'utf8');
    try {
      writeFileSync(runJson, JSON.stringify({ ...JSON.parse(saved), kzbench_version: '0.0.1' }));
      const v = kz('merge', shard1, shard2, '--out', join(dir, 'bad2'));
      assert.equal(v.status, 2);
      assert.match(v.stderr, /differ in kzbench version/);
      writeFileSync(runJson, JSON.stringify({ ...JSON.parse(saved), backend_versions: { liblzma: '5.2.5' } }));
      const b = kz('merge', shard1, shard2, '--out', join(dir, 'bad3'));
      assert.equal(b.status, 2);
      assert.match(b.stderr, /differ in codec backend versions/);
      writeFileSync(runJson, JSON.stringify({ ...JSON.parse(saved), cpu_model: 'Some Other CPU @ 1.0GHz' }));
      const c = kz('merge', shard1, shard2, '--out', join(dir, 'bad5'));
      assert.equal(c.status, 2);
      assert.match(c.stderr, /ran on different CPUs \(.*Some Other CPU @ 1\.0GHz\): their decompression times cannot be compared/);
      const mixed = kz('merge', shard1, shard2, '--out', join(dir, 'mixed'), '--allow-mixed-cpus');
      assert.equal(mixed.status, 0, mixed.stderr);
      assert.equal(JSON.parse(readFileSync(join(dir, 'mixed', 'run.json'), 'utf8')).mixed_cpu_models.length, 2, 'run.json says the CPUs were mixed');
    } finally {
      writeFileSync(runJson, saved);
    }
    const flags = join(dir, 'flags');
    assert.equal(kz('run', '--image', join(dir, 'bzImage'), '--codec', 'lz4:1', '--min-runs', '1', '--min-time', '0', '--out', flags).status, 0);
    const f = kz('merge', shard1, flags, '--out', join(dir, 'bad4'));
    assert.equal(f.status, 2);
    assert.match(f.stderr, /not a suite run/);
  });
});
