// One cold planner: `kzbench cold` given by flags and the same request as a
// suite file (units: [cold] and a cold: block) give the same cells, the
// same cell ids and the same compressed sizes; and both forms keep the same
// rules, each naming the field its own way.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readKernelImage } from '../src/image/index.js';
import { DEFAULT_CODEC_MODULE } from '../src/pool/codec-api.js';
import { readResults } from '../src/results/reader.js';
import { parseSuite, SuiteError } from '../src/suite/index.js';
import { checkColdRequest, type ColdNaming } from '../src/units/cold.js';
import { coldKernel } from './fixtures/cold-kernel.js';
import { kz, oneLineError } from './cli-helpers.js';

const codecsBuilt = existsSync(fileURLToPath(DEFAULT_CODEC_MODULE));
const skip = codecsBuilt ? false : 'src/codecs/index.ts not built yet';
const dir = mkdtempSync(join(tmpdir(), 'kzbench-plan-cold-'));
const elf = join(dir, 'vmlinux');
const fixture = coldKernel(true);
writeFileSync(elf, fixture.elf);
const img = readKernelImage(fixture.elf, 'vmlinux', { findBeside: false });
const RAN = ['start_kernel', 'schedule', 'vfs_read', 'init_b'];
const HOLDOUT = ['schedule', 'do_one_initcall', 'vfs_write', 'cold_c', 'start_kernel'];
// The boot trace gives runtime addresses: the image's, slid by a KASLR offset both forms are told.
const SLIDE = 0x1e000000n;
const address = (name: string) => img.functions.find((f) => f.name === name)!.address;
const trace = join(dir, 'boot.list');
const holdout = join(dir, 'workload.list');
writeFileSync(trace, RAN.map((n) => `0x${(address(n) + SLIDE).toString(16)}`).join('\n') + '\n');
writeFileSync(holdout, HOLDOUT.join('\n') + '\n');

/** cell id -> compressed bytes of a run directory's results.csv, every row verified. */
function cells(out: string): Map<string, number | null> {
  const rows = readResults(join(out, 'results.csv')).rows;
  assert.ok(rows.length > 0);
  assert.deepEqual(
    rows.filter((r) => !r.verified).map((r) => r.error),
    [],
  );
  return new Map(rows.map((r) => [r.cell_id, r.compressed_bytes]));
}

describe('kzbench cold by flags and by a suite file', () => {
  it('give identical results.csv cell ids and compressed sizes', { skip, timeout: 180_000 }, () => {
    const byFlags = join(dir, 'flags');
    const cold = kz(
      'cold',
      '--image',
      elf,
      '--trace',
      trace,
      '--holdout',
      holdout,
      '--kaslr-offset',
      `0x${SLIDE.toString(16)}`,
      '--codec',
      'lz4',
      '--block-size',
      '4KiB',
      '--block-size',
      '1KiB',
      '--layout',
      'address,neighbour',
      '--min-runs',
      '1',
      '--min-time',
      '0',
      '--workers',
      '1',
      '--out',
      byFlags,
      '--json',
    );
    assert.equal(cold.status, 0, cold.stderr);

    const suite = join(dir, 'cold.yaml');
    writeFileSync(
      suite,
      [
        'images: [{path: ./vmlinux}]',
        'units: [cold]',
        'cold:',
        `  trace: ${trace}`,
        '  holdout: workload.list',
        '  block_sizes: [4KiB, 1024]',
        '  layouts: [address, neighbour]',
        `  kaslr_offset: 0x${SLIDE.toString(16)}`,
        'settings:',
        '  - profile: kernel',
        '    algorithms: [lz4]',
        'timing: {min_runs: 1, min_time_ms: 0}',
        'workers: 1',
        '',
      ].join('\n'),
    );
    const bySuite = join(dir, 'suite');
    const run = kz('run', suite, '--out', bySuite);
    assert.equal(run.status, 0, run.stderr);

    const a = cells(byFlags);
    const b = cells(bySuite);
    assert.equal(a.size, 2 * 2, 'two layouts x two block sizes x one setting');
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), 'the same cell ids');
    for (const [id, bytes] of a) assert.equal(b.get(id), bytes, `compressed bytes of ${id}`);
    const units = readResults(join(bySuite, 'results.csv')).rows.map((r) => r.unit);
    assert.ok(units.includes('cold:boot.list:neighbour:1KiB'), units.join(', '));
  });

  it('without the KASLR offset the slid trace matches nothing, in either form', () => {
    oneLineError(kz('cold', '--image', elf, '--trace', trace, '--kaslr-offset', '0'), /boot\.list: the trace matches no function of .*vmlinux/);
    const s = parseSuite('images: [./vmlinux]\nunits: [cold]\ncold: {trace: boot.list, kaslr_offset: 0}\nsettings: [{setting: lz4}]\n', join(dir, 'k.yaml'), {
      corpus: [],
      baseDir: dir,
    });
    assert.equal(s.suite.cold?.kaslr_offset, 0);
  });
});

describe('one set of cold rules, named by each form', () => {
  const flags: ColdNaming = { given: (f, v) => `--${f} ${v}`, field: (f) => `--${f}` };
  it('checkColdRequest fills defaults and drops repeats', () => {
    const { choices, problems } = checkColdRequest({ trace: ['/t'], holdout: [], layoutTrace: ['/l'], blockSizes: ['4KiB', 4096, '1KiB'] }, flags);
    assert.deepEqual(problems, []);
    assert.deepEqual(choices, { layouts: ['address', 'trace'], blockSizes: [4096, 1024] });
    const bad = checkColdRequest({ trace: ['/t'], holdout: ['/t'], layoutTrace: ['/t'], layouts: ['zigzag'], kaslrOffset: '-1', traceFormat: 'csv' }, flags);
    assert.deepEqual(
      bad.problems.map((p) => p.field),
      ['layouts', 'trace_format', 'kaslr_offset', 'layout_trace', 'holdout'],
    );
  });

  it('the CLI names flags, a suite locates its keys', () => {
    oneLineError(
      kz('cold', '--image', elf, '--trace', trace, '--kaslr-offset', 'lots'),
      /^kzbench: --kaslr-offset lots: expected a number such as 0x1e000000$/,
    );
    oneLineError(kz('cold', '--image', elf, '--trace', trace, '--holdout', trace), /--holdout .*boot\.list is also a --trace/);
    const problems = (cold: string) => {
      try {
        parseSuite(`images: [./vmlinux]\nunits: [cold]\ncold: ${cold}\nsettings: [{setting: lz4}]\n`, join(dir, 'bad.yaml'), { corpus: [], baseDir: dir });
      } catch (e) {
        assert.ok(e instanceof SuiteError, String(e));
        return e.problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    assert.deepEqual(problems('{trace: boot.list, kaslr_offset: lots}'), ['cold.kaslr_offset: "lots": expected a number such as 0x1e000000']);
    assert.deepEqual(problems(`{trace: boot.list, holdout: ${trace}}`), [
      'cold.holdout: the holdout is also a trace: a held-out trace must be one the partition did not see',
    ]);
    assert.deepEqual(problems('{trace: boot.list, block_sizes: [0]}'), ['cold.block_sizes[0]: "0": expected 1 byte to 1GiB']);
  });
});
