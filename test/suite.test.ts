// Suites: every mistake reported with its location; deterministic expansion;
// `kzbench run SUITE.yaml`; an interrupted run resumed equals an
// uninterrupted one (cells and sizes).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openKernelImage } from '../src/image/index.js';
import { readResults } from '../src/results/reader.js';
import { expandSuite, resolveImages } from '../src/plan/index.js';
import { expandLevels, loadSuite, parseSuite, SuiteError } from '../src/suite/index.js';
import { bin, fixtureDir, kz, writeSuite } from './suite-fixture.js';

const corpus = [
  { name: 'debian12-amd64', package: 'linux-image-amd64', arch: 'amd64' },
  { name: 'debian12-armmp', package: 'linux-image-armmp', arch: 'armhf' },
];
const { dir, image } = fixtureDir('suite');

function problemsOf(text: string) {
  try {
    parseSuite(text, 'bad.yaml', { corpus, baseDir: dir });
  } catch (e) {
    assert.ok(e instanceof SuiteError, String(e));
    return e.problems;
  }
  assert.fail('the suite was accepted');
}

describe('suite schema', () => {
  it('reports every mistake, each with its path and line:col', () => {
    const text = [
      'name: x', //                                   1
      'images:', //                                   2
      '  - debian12-amd64', //                        3
      '  - nosuch', //                                4
      '  - path: missing.bin', //                     5
      'units: [whole, symbols]', //                   6
      'settings:', //                                 7
      '  - profile: kernel', //                       8
      '    algorithms: [xz, brotli]', //              9
      '  - algorithm: zstd', //                       10
      '    levels: 1..25', //                         11
      '  - algorithm: gzip', //                       12
      '    dict: 32MiB', //                           13
      '  - algorithm: xz', //                         14
      '    bcj: [on, mips]', //                       15
      '  - setting: ["lz4:9,legacy", "lzo:12"]', //   16
      '  - algorithm: lz4', //                        17
      '    levles: 9', //                             18
      'timing:', //                                   19
      '  min_runs: 0', //                             20
      '  min_time: 100', //                           21
      'workers: two', //                              22
    ].join('\n');
    const got = problemsOf(text).map((p) => `${p.line}:${p.col} ${p.path}`);
    assert.deepEqual(got, [
      '4:5 images[1]',
      '5:11 images[2].path',
      '6:16 units[1]',
      '9:22 settings[0].algorithms[1]',
      '11:13 settings[1].levels',
      '13:11 settings[2].dict',
      '15:15 settings[3].bcj[1]',
      '16:31 settings[4].setting[1]',
      '18:5 settings[5].levles',
      '20:13 timing.min_runs',
      '21:3 timing.min_time',
      '22:10 workers',
    ]);
    const msg = problemsOf(text)
      .map((p) => p.message)
      .join('\n');
    assert.match(msg, /neither a corpus kernel \(known: debian12-amd64, debian12-armmp\) nor a file/);
    assert.match(msg, /zstd levels are 1\.\.22, not 23, 24, 25/);
    assert.match(msg, /dict does not apply to gzip/);
    assert.match(msg, /level=12: out of range, allowed 1\.\.9/);
    assert.match(msg, /unknown key "levles"; allowed: .*levels/);
  });

  it('reports YAML syntax errors and a missing section with their location', () => {
    const syntax = problemsOf('images:\n  - a\n settings: [\n');
    assert.ok(syntax.length >= 1);
    assert.ok(syntax.every((p) => p.line >= 1 && p.file === 'bad.yaml'));
    const missing = problemsOf('images: [debian12-amd64]\n');
    assert.deepEqual(
      missing.map((p) => `${p.line}:${p.col} ${p.path}`),
      ['1:1 settings'],
    );
    assert.equal(problemsOf('').length, 1);
  });

  it('refuses an entry that mixes kinds, and sweep keys on a profile', () => {
    const p = problemsOf('images: [debian12-amd64]\nsettings:\n  - profile: kernel\n    algorithm: xz\n  - profile: kernel\n    levels: 9\n');
    assert.deepEqual(
      p.map((x) => `${x.line}:${x.col} ${x.path}`),
      ['3:5 settings[0]', '6:13 settings[1].levels'],
    );
  });

  it('level ranges: 9, [1, 6], "1..4", "1..19/6"', () => {
    assert.deepEqual(expandLevels(9), [9]);
    assert.deepEqual(expandLevels([1, 6]), [1, 6]);
    assert.deepEqual(expandLevels('1..4'), [1, 2, 3, 4]);
    assert.deepEqual(expandLevels('1..19/6'), [1, 7, 13, 19]);
  });

  it('a suite hash ignores comments and layout', () => {
    const a = parseSuite('images: [debian12-amd64]\nsettings: [{profile: kernel}]\n', 'a.yaml', { corpus, baseDir: dir });
    const b = parseSuite('# comment\nimages:\n  - debian12-amd64\nsettings:\n  - profile: kernel\n', 'b.yaml', { corpus, baseDir: dir });
    const c = parseSuite('images: [debian12-armmp]\nsettings: [{profile: kernel}]\n', 'c.yaml', { corpus, baseDir: dir });
    assert.equal(a.hash, b.hash);
    assert.notEqual(a.hash, c.hash);
  });
});

describe('suite expansion', () => {
  it('is deterministic: images, units, settings in file order; bcj on is the arch filter; duplicates once', () => {
    const file = writeSuite(
      dir,
      'expand.yaml',
      [
        'images: [bzImage]',
        'units: [whole, sections]',
        'settings:',
        '  - profile: kernel',
        '    algorithms: [xz, lz4]',
        '  - algorithm: xz',
        '    levels: "5..6"',
        '    bcj: [off, on]',
        '  - setting: "lz4:9,legacy,size_append"', // = the lz4 kernel profile: once
      ].join('\n'),
    );
    const s = loadSuite(file);
    const e = expandSuite(s, resolveImages(s));
    const units = [...new Set(e.cells.map((c) => c.unit.name))];
    assert.deepEqual(units, ['whole', '.text', '.rodata', '.data']);
    const settings = e.cells.filter((c) => c.unit.name === 'whole').map((c) => c.setting);
    assert.deepEqual(settings, [
      'xz:preset=6,dict=32MiB,bcj=x86,check=crc32,size_append',
      'lz4:level=9,frame=legacy,size_append',
      'xz:preset=5,check=crc64',
      'xz:preset=5,bcj=x86,check=crc64',
      'xz:preset=6,check=crc64',
      'xz:preset=6,bcj=x86,check=crc64',
    ]);
    assert.equal(e.cells.length, 4 * 6);
    assert.deepEqual(
      expandSuite(s, resolveImages(s)).cells.map((c) => c.id),
      e.cells.map((c) => c.id),
    );
    assert.equal(openKernelImage(image).arch, 'x86_64');
  });

  it("an algorithm the image's arch cannot use is refused at its entry", () => {
    // armhf has no zstd kernel profile, x86 has; use the fixture (x86) with a made-up arch check instead:
    const file = writeSuite(dir, 'ok.yaml', 'images: [bzImage]\nsettings:\n  - profile: kernel\n    algorithms: [zstd]\n');
    const s = loadSuite(file);
    assert.equal(expandSuite(s, resolveImages(s)).cells.length, 1);
  });
});

describe('kzbench run SUITE.yaml', () => {
  it('a suite with mistakes: every one on its own line with file:line:col, exit 2, nothing written', () => {
    const file = writeSuite(dir, 'broken.yaml', 'images: [bzImage, nosuch.bin]\nsettings:\n  - algorithm: zstd\n    levels: 0..3\n  - setting: brotli\n');
    const out = join(dir, 'broken-out');
    const r = kz('run', file, '--out', out);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => /^kzbench: (\S+):(\d+):(\d+): (\S+): /.exec(l)?.slice(1).join(' ').replace(file, 'F')),
      ['F 1 19 images[1]', 'F 4 13 settings[0].levels', 'F 5 14 settings[1].setting'],
    );
    assert.equal(existsSync(out), false);
  });

  it('refuses --codec/--image with a suite, and --shard without one', () => {
    const file = writeSuite(dir, 'small.yaml', 'images: [bzImage]\nsettings: [{setting: "lz4:1"}]\n');
    const r = kz('run', file, '--codec', 'xz');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--codec cannot be combined with a suite file/);
    const s = kz('run', '--image', image, '--shard', '1/2');
    assert.equal(s.status, 2);
    assert.match(s.stderr, /--shard splits a suite/);
    const bad = kz('run', file, '--shard', '3/2');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--shard 3\/2: I must be 1 to N/);
  });

  it('an interrupted run resumed with --resume DIR gives exactly the rows of an uninterrupted one', async () => {
    const file = writeSuite(
      dir,
      'resume.yaml',
      [
        'name: resume-test',
        'images: [bzImage]',
        'units: [sections]',
        'settings:',
        '  - algorithm: xz',
        '    levels: [1, 3]',
        '  - algorithm: bzip2',
        '    levels: [1, 9]',
        '  - setting: "zstd:19"',
        'timing: {min_runs: 3, min_time_ms: 150}',
        'workers: 1',
      ].join('\n'),
    );
    const whole = join(dir, 'uninterrupted');
    const full = kz('run', file, '--out', whole, '--min-time', '0', '--min-runs', '1');
    assert.equal(full.status, 0, full.stderr);
    assert.match(full.stderr, /suite resume-test: bzImage: 3 unit\(s\) x 5 setting\(s\) = 15 cells/);

    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [bin, 'run', file, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!sent && /\[3\/15\]/.test(stderr)) sent = child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    assert.equal(code, 130, stderr);
    const partial = readResults(join(out, 'results.csv')).rows;
    assert.ok(partial.length >= 3 && partial.length < 15, `${partial.length} rows`);
    assert.equal(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).interrupted, true);
    assert.ok(existsSync(join(out, 'suite.yaml')), 'the suite is kept with the results');

    // The spelling: --resume DIR, nothing else (the suite comes from DIR/suite.yaml).
    const again = spawnSync(process.execPath, [bin, 'run', '--resume', out], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, new RegExp(`resumed: ${partial.length} cell\\(s\\) already had verified rows`));
    const key = (r: { cell_id: string; unit: string; setting: string; unit_bytes: number; compressed_bytes: number | null; verified: boolean }) =>
      `${r.cell_id} ${r.unit} ${r.setting} ${r.unit_bytes} ${r.compressed_bytes} ${r.verified}`;
    const resumed = readResults(join(out, 'results.csv')).rows.map(key).sort();
    const expected = readResults(join(whole, 'results.csv')).rows.map(key).sort();
    assert.equal(resumed.length, 15);
    assert.deepEqual(resumed, expected);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.ok(run.end);
    assert.equal(run.suite_hash, JSON.parse(readFileSync(join(whole, 'run.json'), 'utf8')).suite_hash);

    // Resuming with another suite is refused.
    const other = writeSuite(dir, 'other.yaml', 'images: [bzImage]\nsettings: [{setting: "lz4:1"}]\n');
    const wrong = kz('run', other, '--resume', out);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /is a run of a different suite/);
  });

  it('the shipped suites are valid', () => {
    const suites = new URL('../../suites/', import.meta.url).pathname;
    for (const f of ['default.yaml', 'xz-sweep.yaml', 'sections.yaml', 'corpus.yaml']) {
      const s = loadSuite(join(suites, f));
      assert.ok(s.suite.images.length >= 1, f);
    }
    const d = loadSuite(join(suites, 'default.yaml'));
    assert.deepEqual(d.suite.images, [{ ref: 'debian12-amd64' }]);
  });
});
