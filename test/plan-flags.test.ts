// Flags are a one-entry suite: `run --image X --unit U --codec ...` plans the
// same cells as the suite file that says the same, and its mistakes name the
// flags, not a file the user never wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { codecEntries, flagRunPlan, flagSuite, FlagError, suiteRunPlan } from '../src/plan/index.js';
import { loadSuite } from '../src/suite/index.js';
import { fixtureDir, writeSuite } from './suite-fixture.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { buildElf, codeLike } from './fixtures/images.js';
import { asKzError } from '../src/errors.js';
import { SettingsError } from '../src/run/settings.js';

const quiet = () => {};
const shape = (cells: { unit: { name: string; bytes: Uint8Array; image?: { sha256: string } }; setting: string }[]) =>
  cells.map((c) => `${c.unit.image?.sha256.slice(0, 12)} ${c.unit.name} ${c.setting} ${c.unit.bytes.length}`);

test('--codec maps to one settings entry per flag, in order', () => {
  assert.deepEqual(codecEntries(undefined, 'kernel'), [{ profile: 'kernel' }]);
  assert.deepEqual(codecEntries(['xz', 'zstd:19', 'lz4'], 'kernel'), [
    { profile: 'kernel', algorithms: ['xz'] },
    { setting: 'zstd:19' },
    { profile: 'kernel', algorithms: ['lz4'] },
  ]);
  assert.deepEqual(codecEntries(['gzip'], 'none'), [{ profile: 'none', algorithms: ['gzip'] }]);
});

test('run by flags and the same request as a suite file plan the same cells', () => {
  const { dir, image } = fixtureDir('plan-flags');
  for (const [unit, codecs] of [
    ['whole', ['xz', 'zstd:19', 'lz4']],
    ['sections', ['gzip', 'xz:preset=6']],
    ['whole', undefined],
  ] as const) {
    const byFlags = flagRunPlan({ image, unit, ...(codecs ? { codec: [...codecs] } : {}), out: join(dir, 'a'), resume: false, argv: [] }, quiet);
    const settings = codecs
      ? codecs.map((c) => (c.includes(':') ? `  - setting: "${c}"` : `  - profile: kernel\n    algorithms: [${c}]`)).join('\n')
      : '  - profile: kernel';
    const file = writeSuite(dir, `s-${unit}-${codecs?.length ?? 0}.yaml`, `images: [{path: bzImage}]\nunits: [${unit}]\nsettings:\n${settings}\n`);
    const bySuite = suiteRunPlan(loadSuite(file), { out: join(dir, 'b'), resume: false, argv: [] }, undefined, quiet);
    assert.ok(byFlags.cells.length > 0);
    assert.deepEqual(shape(byFlags.cells), shape(bySuite.cells));
    // the flag run's run.json still says how to resume it by flags
    assert.equal(byFlags.runInfo['unit'], unit);
    assert.equal(byFlags.runInfo['suite_hash'], undefined);
  }
});

test('--profile none is every algorithm at its library default, as a suite entry `profile: none` is', () => {
  const { dir, image } = fixtureDir('plan-none');
  const byFlags = flagRunPlan({ image, profile: 'none', out: join(dir, 'a'), resume: false, argv: [] }, quiet);
  const file = writeSuite(dir, 'none.yaml', 'images: [{path: bzImage}]\nsettings:\n  - profile: none\n');
  const bySuite = suiteRunPlan(loadSuite(file), { out: join(dir, 'b'), resume: false, argv: [] }, undefined, quiet);
  assert.deepEqual(shape(byFlags.cells), shape(bySuite.cells));
  assert.ok(byFlags.cells.some((c) => c.setting.startsWith('xz')));
  assert.ok(!byFlags.cells.some((c) => /bcj=x86/.test(c.setting)), 'library defaults, not the kernel build commands');
});

test('mistakes in flags are said about the flags', () => {
  const { image } = fixtureDir('plan-bad');
  const lines = (fn: () => unknown): string[] => {
    try {
      fn();
    } catch (e) {
      const k = asKzError(e);
      assert.ok(k, `a KzError, not ${String(e)}`);
      return k.lines();
    }
    assert.fail('expected an error');
  };
  assert.match(lines(() => flagRunPlan({ image, unit: 'cold', resume: false, argv: [] }, quiet))[0]!, /^--unit cold: allowed: whole, sections/);
  assert.match(lines(() => flagRunPlan({ image, profile: 'fast', resume: false, argv: [] }, quiet))[0]!, /^--profile fast: allowed/);
  assert.throws(() => flagRunPlan({ image, codec: ['xz:level=99'], resume: false, argv: [] }, quiet), SettingsError);
  assert.match(lines(() => flagRunPlan({ image: '/nonexistent/bzImage', resume: false, argv: [] }, quiet))[0]!, /^--image: no such file: .*bzImage/);
  assert.match(lines(() => flagRunPlan({ image, shard: '1/2', resume: false, argv: [] }, quiet))[0]!, /^--shard splits a suite/);
  // the schema's own checks, said about the flag: a timing the loop cannot honour
  assert.throws(
    () => flagSuite({ images: [{ path: image }], timing: { min_runs: 1e9 } }),
    (e: unknown) => e instanceof FlagError && /^--min-runs: at most/.test(e.lines()[0]!),
  );
});

test('xip-data is a unit kind: one cell per image with the XIP_DEFLATED_DATA setting, whatever the settings', async () => {
  const { formatRules } = await import('../src/model/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-plan-xip-'));
  const data = codeLike(0x3000, 7);
  const sections = [
    { name: '.text', address: 0xc0008000n, data: codeLike(0x6000, 3), flags: 'ax' as const },
    { name: '.data', address: 0xc0010000n, data, flags: 'wa' as const },
  ];
  writeFileSync(join(dir, 'vmlinux'), buildElf({ bits: 32, littleEndian: true, machine: 40, sections, symbols: [] }));
  const file = writeSuite(dir, 'xip.yaml', 'images: [{path: vmlinux}]\nunits: [whole, xip-data]\nsettings:\n  - profile: kernel\n    algorithms: [xz, lz4]\n');
  const plan = suiteRunPlan(loadSuite(file), { out: join(dir, 'o'), resume: false, argv: [] }, undefined, quiet);
  const xip = plan.cells.filter((c) => c.unit.kind === 'xip-data');
  assert.equal(xip.length, 1);
  assert.equal(xip[0]!.setting, formatRules().xipDataSetting);
  assert.equal(xip[0]!.unit.bytes.length, data.length, 'the data load image is the initial .data');
  assert.equal(plan.cells.filter((c) => c.unit.kind === 'whole').length, 2);
});
