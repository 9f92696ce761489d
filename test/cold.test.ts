// Cold-code cells through the real pool and `kzbench cold` end to end, on
// the vmlinux built in test/fixtures/cold-kernel.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readKernelImage } from '../src/image/index.js';
import { planCold } from '../src/partition/cold.js';
import { DEFAULT_CODEC_MODULE } from '../src/pool/codec-api.js';
import { readResults } from '../src/results/reader.js';
import { runCells } from '../src/run/index.js';
import { coldKernel, hotSet } from './fixtures/cold-kernel.js';
import { kz, oneLineError } from './cli-helpers.js';

const codecsBuilt = existsSync(fileURLToPath(DEFAULT_CODEC_MODULE));
const skip = codecsBuilt ? false : 'src/codecs/index.ts not built yet';
const dir = mkdtempSync(join(tmpdir(), 'kzbench-cold-'));
const fixture = coldKernel(false);
const img = readKernelImage(fixture.elf, 'fixture.elf', { findBeside: false });
const timing = { minRuns: 2, minTimeMs: 0, maxTimeMs: 2000 };
const RAN = ['start_kernel', 'schedule', 'vfs_read', 'init_b'];
const HOLDOUT = ['schedule', 'do_one_initcall', 'vfs_write', 'cold_c', 'start_kernel'];

describe('cold cells in the pool', () => {
  it('every block round-trips, compressed bytes include the index, rows read back', { skip }, async () => {
    const plan = planCold(img, {
      trace: hotSet(img, 'boot.txt', RAN),
      holdout: hotSet(img, 'workload.txt', HOLDOUT),
      layouts: ['address', 'neighbour'],
      blockSizes: [1024, 4096],
      settings: ['gzip:9', 'lz4:level=9,frame=legacy,size_append', 'xz:preset=6,bcj=x86', 'zstd:3'],
    });
    assert.equal(plan.cells.length, 2 * 2 * 4);
    // one copy of the cold bytes per layout
    assert.equal(new Set(plan.cells.map((c) => c.unit.bytes)).size, 2);
    const out = join(dir, 'pool');
    const r = await runCells(plan.cells, { workers: 2, timing, outDir: out, image: { path: 'fixture.elf', sha256: '00'.repeat(32) } });
    assert.deepEqual(
      r.rows.filter((x) => !x.verified).map((x) => x.error),
      [],
    );
    for (const row of r.rows) {
      const v = plan.variants.find((x) => x.unit === row.unit)!;
      assert.equal(row.unit_kind, 'cold');
      assert.equal(row.unit_bytes, plan.partition.totals.coldBytes);
      assert.equal(row.blocks, v.plan.ends.length);
      assert.equal(row.index_bytes, v.plan.indexBytes);
      assert.ok(row.compressed_bytes! > row.index_bytes!, 'blocks + index');
      assert.equal(row.flash_xip_bytes, row.hot_bytes! + row.compressed_bytes!);
      assert.equal(row.flash_ram_bytes, row.hot_compressed_bytes! + row.compressed_bytes!);
      assert.equal(row.ram_xip_bytes, v.plan.maxSpanBytes);
      assert.equal(row.ram_ram_bytes, row.hot_bytes! + row.index_bytes! + v.plan.maxSpanBytes);
      assert.equal(row.hot_bytes, plan.partition.totals.hotBytes);
      assert.equal(row.holdout_functions, 3);
      assert.equal(row.holdout_misses, v.replay!.blocks.length);
      assert.ok(row.holdout_bytes! > 0 && row.holdout_bytes! < row.compressed_bytes!);
      assert.ok(row.holdout_ms! >= 0 && row.block_decompress_ms_median! >= 0);
      assert.ok(row.decompress_runs! >= 2);
    }
    const back = readResults(r.resultsPath!);
    assert.deepEqual(back.unknownColumns, []);
    assert.equal(back.rows.length, r.rows.length);
    const a = back.rows.find((x) => x.unit === r.rows[0]!.unit && x.setting === r.rows[0]!.setting)!;
    for (const k of [
      'trace',
      'layout',
      'block_bytes',
      'blocks',
      'index_bytes',
      'compressed_bytes',
      'holdout_misses',
      'holdout_bytes',
      'flash_ram_bytes',
    ] as const)
      assert.equal(a[k], r.rows[0]![k], k);
  });

  it('block sums: the compressed blocks are what the worker measured, one block per function at most a block', { skip }, async () => {
    const plan = planCold(img, { trace: hotSet(img, 'boot.txt', RAN), layouts: ['address'], blockSizes: [256], settings: ['lz4'] });
    const r = await runCells(plan.cells, { workers: 1, timing });
    const row = r.rows[0]!;
    assert.ok(row.verified, row.error);
    assert.equal(row.holdout_trace, '');
    assert.equal(row.holdout_misses, null);
    assert.ok(row.blocks! > 10);
  });
});

describe('kzbench cold', () => {
  const elf = join(dir, 'vmlinux');
  writeFileSync(elf, coldKernel(true).elf);
  const trace = join(dir, 'boot.list');
  writeFileSync(trace, '# method: test\n' + RAN.join('\n') + '\nno_such_function\n');
  const holdout = join(dir, 'workload.list');
  writeFileSync(holdout, HOLDOUT.join('\n') + '\n');
  const layoutTrace = join(dir, 'other.list');
  writeFileSync(layoutTrace, 'cold_f\ncold_b\n');

  it('runs end to end: JSON summary and results.csv the reader reads', { skip, timeout: 120_000 }, () => {
    const out = join(dir, 'cli');
    const r = kz(
      'cold',
      '--image',
      elf,
      '--trace',
      trace,
      '--holdout',
      holdout,
      '--layout-trace',
      layoutTrace,
      '--codec',
      'gzip:9',
      '--codec',
      'lz4',
      '--block-size',
      '1KiB',
      '--block-size',
      '4096',
      '--min-runs',
      '1',
      '--min-time',
      '0',
      '--workers',
      '2',
      '--out',
      out,
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.arch, 'x86_64');
    assert.equal(j.trace.functions, RAN.length);
    assert.equal(j.trace.unmatched, 1);
    assert.equal(j.trace.unmatched_first[0].name, 'no_such_function');
    assert.equal(j.function_bytes + j.hole_bytes + j.unstored_bytes, fixture.text.bytes.length + fixture.init.bytes.length);
    assert.ok(j.hot_share > 0 && j.hot_share < 1);
    assert.equal(j.results.length, 2 * 2 * 2, 'address, trace x 2 block sizes x 2 settings');
    for (const x of j.results) {
      assert.ok(x.verified, x.error);
      assert.equal(x.holdout.functions, 3);
      assert.ok(x.cold_compressed_bytes > x.index_bytes);
    }
    const rows = readResults(join(out, 'results.csv')).rows;
    assert.equal(rows.length, 8);
    assert.ok(rows.every((x) => x.verified && x.unit.startsWith('cold:boot.list:')));
    // resume: nothing left to run
    const again = kz(
      'cold',
      '--image',
      elf,
      '--trace',
      trace,
      '--holdout',
      holdout,
      '--layout-trace',
      layoutTrace,
      '--codec',
      'gzip:9',
      '--codec',
      'lz4',
      '--block-size',
      '1KiB',
      '--block-size',
      '4096',
      '--min-runs',
      '1',
      '--min-time',
      '0',
      '--out',
      out,
      '--resume',
    );
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /cold compressed/);
    assert.equal(readResults(join(out, 'results.csv')).rows.length, 8);
  });

  it('several --trace files are one workload: the union of what they saw is hot', { skip, timeout: 120_000 }, () => {
    const half = Math.ceil(RAN.length / 2);
    const a = join(dir, 'ftrace.list');
    const b = join(dir, 'tb.list');
    writeFileSync(a, RAN.slice(0, half).join('\n') + '\n');
    writeFileSync(b, RAN.slice(half - 1).join('\n') + '\n');
    const r = kz(
      'cold',
      '--image',
      elf,
      '--trace',
      a,
      '--trace',
      b,
      '--codec',
      'lz4',
      '--block-size',
      '4096',
      '--layout',
      'address',
      '--min-runs',
      '1',
      '--min-time',
      '0',
      '--workers',
      '1',
      '--out',
      join(dir, 'union'),
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.trace.functions, RAN.length, 'one function in both lists counts once');
    assert.equal(j.trace.file, `${a}+tb.list`);
    assert.ok(readResults(join(dir, 'union', 'results.csv')).rows.every((x) => x.unit.startsWith('cold:ftrace.list+tb.list:address:')));
    oneLineError(kz('cold', '--image', elf, '--trace', a, '--trace', b, '--holdout', b), /--holdout .*tb\.list is also a --trace/);
  });

  it('bad inputs: one line, exit 2', () => {
    oneLineError(kz('cold', '--image', elf, '--trace', join(dir, 'missing.list')), /missing\.list/);
    const nothing = join(dir, 'nothing.list');
    writeFileSync(nothing, 'not_a_kernel_function\nneither_is_this\n');
    oneLineError(kz('cold', '--image', elf, '--trace', nothing, '--codec', 'gzip'), /nothing\.list: the trace matches no function/);
    oneLineError(kz('cold', '--image', elf, '--trace', trace, '--block-size', '4 bananas'), /--block-size 4 bananas/);
    oneLineError(kz('cold', '--image', elf, '--trace', trace, '--block-size', '0'), /--block-size 0/);
    oneLineError(kz('cold', '--image', elf, '--trace', trace, '--layout', 'trace'), /--layout trace needs --layout-trace/);
    oneLineError(kz('cold', '--image', elf, '--trace', trace, '--codec', 'xz:preset=99'), /--codec xz:preset=99/);
    oneLineError(kz('cold', '--image', join(dir, 'no-image'), '--trace', trace), /no-image/);
    oneLineError(kz('cold', '--image', elf, '--trace', trace, '--holdout', holdout, '--layout-trace', holdout), /is the holdout/);
  });
});

describe('suites with units: [..., cold]', () => {
  const sdir = mkdtempSync(join(tmpdir(), 'kzbench-cold-suite-'));
  writeFileSync(join(sdir, 'vmlinux'), coldKernel(true).elf);
  writeFileSync(join(sdir, 'boot.list'), RAN.join('\n') + '\n');
  writeFileSync(join(sdir, 'workload.list'), HOLDOUT.join('\n') + '\n');

  it('expand to cold cells next to the whole unit', async () => {
    const { parseSuite } = await import('../src/suite/index.js');
    const { expandSuite, resolveImages } = await import('../src/plan/index.js');
    const text =
      'images: [./vmlinux]\nunits: [whole, cold]\ncold:\n  trace: boot.list\n  holdout: workload.list\n  block_sizes: [1KiB, 4096]\n  layouts: [address]\nsettings:\n  - setting: [gzip:9, lz4]\n';
    const s = parseSuite(text, join(sdir, 'cold.yaml'), { corpus: [], baseDir: sdir });
    const { cells } = expandSuite(s, resolveImages(s));
    assert.equal(cells.filter((c) => c.unit.name === 'whole').length, 2);
    const cold = cells.filter((c) => c.unit.kind === 'cold');
    assert.deepEqual([...new Set(cold.map((c) => c.unit.name))], ['cold:boot.list:address:1KiB', 'cold:boot.list:address:4KiB']);
    assert.equal(cold.length, 4);
    assert.ok(cold.every((c) => c.unit.blocks && c.unit.alongside && c.unit.image?.path.endsWith('vmlinux')));
  });

  it('refuse a cold block that is missing, stray or wrong, with line:col', async () => {
    const { parseSuite, SuiteError } = await import('../src/suite/index.js');
    const problems = (text: string) => {
      try {
        parseSuite(text, 'bad.yaml', { corpus: [], baseDir: sdir });
      } catch (e) {
        assert.ok(e instanceof SuiteError, String(e));
        return e.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
      }
      return [];
    };
    const head = 'images: [./vmlinux]\nsettings: [{setting: lz4}]\n';
    assert.match(problems(head + 'units: [cold]\n').join('\n'), /units: units: cold needs a cold: block/);
    assert.match(problems(head + 'cold: {trace: boot.list}\n').join('\n'), /cold: a cold: block goes with units/);
    assert.match(
      problems(head + 'units: [cold]\ncold:\n  trace: nosuch.list\n  layouts: [trace]\n').join('\n'),
      /^5:10 cold\.trace: no such file: nosuch\.list\n.*cold\.layouts: the trace layout needs layout_trace/m,
    );
    const bad = problems(head + 'units: [cold]\ncold:\n  trace: boot.list\n  layouts: [trace, zigzag]\n  block_sizes: [4 bananas]\n').join('\n');
    assert.match(bad, /cold\.layouts\[1\]: expected one of address, neighbour, trace/);
    assert.match(bad, /cold\.block_sizes\[0\]/);
  });
});
