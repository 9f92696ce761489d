// Hostile input files at the command line: each ends in one line naming the
// file and the problem, exit 2, promptly: no crash (exit 70, a V8 fatal
// error), no hang (FIFOs), no file contents on the terminal, nothing read
// before it is refused. Every run is bounded by a timeout, so a hang fails
// the test instead of hanging it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, rmSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { bin } from './cli-helpers.js';
import { fixtureDir } from './suite-fixture.js';
import { expandSuite, resolveImages } from '../src/plan/index.js';
import { parseSuite } from '../src/suite/index.js';
import { DEFAULT_MAX_CELLS } from '../src/suite/schema.js';

const HANG = 60_000;

function kz(args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: HANG, ...options });
  return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Exit 2, one stderr line matching PATTERN, printable ASCII, no stack, not killed by the timeout. */
function oneLine(r: ReturnType<typeof kz>, pattern: RegExp): string {
  assert.equal(r.signal, null, `killed by ${r.signal} (a hang): ${r.stderr.slice(0, 300)}`);
  assert.equal(r.status, 2, `exit status ${r.status}: ${r.stderr.slice(0, 500)}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr.slice(0, 2000));
  assert.match(lines[0]!, pattern);
  assert.match(lines[0]!, /^[\x20-\x7e]*$/, 'printable text only');
  assert.ok(lines[0]!.length < 400, lines[0]);
  return lines[0]!;
}

const { dir, image } = fixtureDir('inputs');
after(() => rmSync(dir, { recursive: true, force: true }));
const suite = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const sweep = (levels: string) => `images: [bzImage]\nsettings:\n  - algorithm: zstd\n    levels: ${levels}\n`;
const fifo = (name: string) => {
  const p = join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
};
/** A sparse file of SIZE bytes: no disk, no time to make, but stat says SIZE. */
const sparse = (name: string, size: number) => {
  const p = join(dir, name);
  const fd = openSync(p, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
  return p;
};
const BOMB =
  'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n';

describe('suite levels and the cell limit', () => {
  it('a step of 0, a billion levels and a 20-digit bound are refused before expanding', () => {
    oneLine(
      kz(['run', suite('step0.yaml', sweep('"1..22/0"'))]),
      /step0\.yaml:4:13: settings\[0\]\.levels: the step of "1\.\.22\/0" is 0: a step is at least 1$/,
    );
    oneLine(kz(['run', suite('billion.yaml', sweep('"1..1000000000"'))]), /billion\.yaml:4:13: settings\[0\]\.levels: expected a range .*at most 3 digits/);
    oneLine(kz(['run', suite('digits.yaml', sweep('"1..12345678901234567890"'))]), /digits\.yaml:4:13: .*expected a range/);
    oneLine(kz(['run', suite('outside.yaml', sweep('"20..999"'))]), /zstd levels are 1\.\.22, not 23, 24, 25, 26, 27 \(and 972 more\)/);
  });

  it('a sweep past the limit is refused by its count, naming the limit and --max-cells', () => {
    oneLine(
      kz(['run', suite('small-limit.yaml', sweep('"1..22"')), '--max-cells', '10']),
      /small-limit\.yaml:\d+:\d+: settings\[0\]: this sweep alone makes 22 cells, more than the limit of 10 \(kzbench run --max-cells N raises it\)/,
    );
    // the default limit: 10 levels x 2 x 6,000 dictionaries = 120,000 settings, refused from the counts alone
    const dicts = Array.from({ length: 6000 }, (_, i) => 4096 + i).join(', ');
    const big = suite('big.yaml', `images: [bzImage]\nsettings:\n  - algorithm: xz\n    levels: "0..9"\n    extreme: [true, false]\n    dict: [${dicts}]\n`);
    oneLine(kz(['run', big]), /this sweep alone makes 120,000 cells, more than the limit of 100,000 \(kzbench run --max-cells N raises it\)/);
    assert.equal(DEFAULT_MAX_CELLS, 100_000);
  });

  it('units x settings past the limit are refused at expansion with the count', () => {
    // 3 settings (under the limit) x (1 whole + 3 sections) = 12 cells
    const p = suite('units.yaml', 'images: [bzImage]\nunits: [whole, sections]\nsettings:\n  - setting: [gzip:1, gzip:2, gzip:3]\n');
    oneLine(
      kz(['run', p, '--max-cells', '10', '--out', join(dir, 'units-out')]),
      /units\.yaml: the suite expands to 12 cells, more than the limit of 10 \(kzbench run --max-cells N raises it\)/,
    );
    oneLine(kz(['run', p, '--max-cells', '0']), /--max-cells 0: expected a whole number of at least 1/);
  });

  it('expansion is linear: 50,000 distinct settings expand to 50,000 cells', () => {
    const specs = Array.from({ length: 50_000 }, (_, i) => `"xz:dict=${4096 + i}"`).join(', ');
    const s = parseSuite(`images: [bzImage]\nsettings:\n  - setting: [${specs}]\n`, join(dir, 'many.yaml'), { corpus: [], baseDir: dir });
    const { cells, perImage } = expandSuite(s, resolveImages(s));
    assert.equal(cells.length, 50_000);
    assert.equal(perImage[0]!.settings.length, 50_000);
    assert.equal(new Set(cells.map((c) => c.id)).size, 50_000);
    assert.throws(() => expandSuite(s, resolveImages(s), { maxCells: 49_999 }), /50,000 cells, more than the limit of 49,999/);
  });

  it("timing beyond the timing loop's caps is refused by the schema", () => {
    oneLine(kz(['run', suite('runs.yaml', `${sweep('9')}timing:\n  min_runs: 1e12\n`)]), /runs\.yaml:6:13: timing\.min_runs: at most 100000/);
    oneLine(kz(['run', suite('time.yaml', `${sweep('9')}timing:\n  min_time_ms: 1e15\n`)]), /time\.yaml:6:16: timing\.min_time_ms: at most 20000 ms/);
    oneLine(kz(['run', suite('workers.yaml', `${sweep('9')}workers: 1e9\n`)]), /workers\.yaml:5:10: workers: at most 1024/);
  });
});

describe('files that are not what they claim', () => {
  it('YAML alias bombs: suite, board and manifest', () => {
    const bomb = suite('bomb.yaml', BOMB);
    oneLine(kz(['run', bomb]), /bomb\.yaml: too many aliases: .*alias bomb/);
    oneLine(kz(['pick', '--board', bomb, '--image', image]), /bomb\.yaml: too many aliases/);
    oneLine(kz(['corpus', 'list', '--manifest', bomb]), /bomb\.yaml: too many aliases/);
  });

  it('YAML nested deep enough to exhaust the parser: refused by a scan before parsing', () => {
    oneLine(kz(['run', suite('flow.yaml', '['.repeat(100_000))]), /flow\.yaml:1:65: cannot parse the YAML: collections nested more than 64 deep$/);
    oneLine(
      kz(['pick', '--board', suite('block.yaml', '- '.repeat(100_000)), '--image', image]),
      /block\.yaml:1:1: cannot parse the YAML: a line indented or nested more than 256 columns deep$/,
    );
    oneLine(
      kz(['corpus', 'list', '--manifest', suite('mixed.yaml', 'kernels: ' + '{a: ['.repeat(40))]),
      /mixed\.yaml:1:\d+: cannot parse the YAML: collections nested more than 64 deep$/,
    );
  });

  it('FIFOs as suite, board, manifest, --config and --system-map are refused without opening them', () => {
    oneLine(kz(['run', fifo('suite.fifo')]), /suite\.fifo: suite file is a FIFO \(named pipe\), not a file/);
    oneLine(kz(['pick', '--board', fifo('board.fifo'), '--image', image]), /board\.fifo: board file is a FIFO/);
    oneLine(kz(['corpus', 'list', '--manifest', fifo('manifest.fifo')]), /manifest\.fifo: corpus manifest is a FIFO/);
    oneLine(kz(['inspect', image, '--config', fifo('config.fifo')]), /config\.fifo: \.config is a FIFO/);
    oneLine(kz(['inspect', image, '--system-map', fifo('map.fifo')]), /map\.fifo: System\.map is a FIFO/);
    oneLine(kz(['inspect', fifo('image.fifo')]), /image\.fifo: kernel image is a FIFO/);
  });

  it('directories (EISDIR) as image, suite, board and manifest', () => {
    const d = join(dir, 'a-directory');
    mkdirSync(d);
    oneLine(kz(['inspect', d]), /a-directory: kernel image is a directory, not a file/);
    oneLine(kz(['run', '--image', d]), /a-directory: kernel image is a directory/);
    oneLine(kz(['run', d]), /a-directory: suite file is a directory/);
    oneLine(kz(['pick', '--board', d + '/', '--image', image]), /a-directory\/?: board file is a directory/);
    oneLine(kz(['corpus', 'list', '--manifest', d]), /a-directory: corpus manifest is a directory/);
  });

  it('an unreadable image (EACCES) as a non-root user', (t) => {
    const p = join(dir, 'unreadable');
    writeFileSync(p, 'x');
    chmodSync(p, 0o000);
    chmodSync(dir, 0o755);
    // root reads anything: run the CLI as nobody then, where nobody can run it at all
    const as: SpawnSyncOptions = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    if (kz(['--version'], as).status !== 0) return t.skip('the CLI cannot run as nobody from this checkout');
    oneLine(kz(['inspect', p], as), /unreadable: permission denied \(EACCES in open\)$/);
    oneLine(kz(['run', '--image', p, '--out', '/tmp/kzbench-never'], as), /unreadable: permission denied \(EACCES in open\)$/);
  });

  it('a 1,900 MiB file is refused by its size before a byte is read', () => {
    const huge = sparse('huge-image', 1900 * 1024 * 1024);
    oneLine(kz(['inspect', huge]), /huge-image: kernel image is 1\.9 GiB, more than the 1\.0 GiB kzbench reads$/);
    oneLine(kz(['run', '--image', huge]), /kernel image is 1\.9 GiB, more than the 1\.0 GiB/);
    oneLine(kz(['run', sparse('huge.yaml', 1900 * 1024 * 1024)]), /huge\.yaml: suite file is 1\.9 GiB, more than the 1\.0 MiB kzbench reads$/);
    oneLine(kz(['pick', '--board', sparse('huge-board.yaml', 2 * 1024 * 1024), '--image', image]), /board file is 2\.0 MiB, more than the 1\.0 MiB/);
    oneLine(kz(['inspect', image, '--system-map', sparse('System.map-huge', 1900 * 1024 * 1024)]), /System\.map is 1\.9 GiB, more than the 128\.0 MiB/);
  });
});

describe('errors never print the file', () => {
  it('a password file as a board: one line, none of its contents', () => {
    const lines = Array.from({ length: 29 }, (_, i) => `user${i}:$6$s4lt${i}$${'Q'.repeat(40)}${i}:19000:0:99999:7:::`);
    const shadow = suite('shadow', lines.join('\n') + '\n');
    const line = oneLine(kz(['pick', '--board', shadow, '--image', image]), /shadow:1:1: not a board file: none of its 29 top-level keys is one it has/);
    assert.doesNotMatch(line, /user\d|\$6\$|QQQQ/);
    // the same file as a suite and a manifest
    assert.doesNotMatch(oneLine(kz(['run', shadow]), /not a suite/), /user\d|QQQQ/);
    assert.doesNotMatch(oneLine(kz(['corpus', 'list', '--manifest', shadow]), /not a corpus manifest/), /user\d|QQQQ/);
  });

  it('a kernel image as a suite, board or manifest: one line, no binary', () => {
    oneLine(kz(['run', image]), /bzImage: suite file is binary, not text \(a NUL byte at offset \d+\)$/);
    const asYaml = join(dir, 'kernel.yaml');
    copyFileSync(image, asYaml);
    oneLine(kz(['pick', '--board', asYaml, '--image', image]), /kernel\.yaml: board file is binary/);
    oneLine(kz(['corpus', 'list', '--manifest', image]), /corpus manifest is binary/);
  });

  it('long values from the file appear as excerpts', () => {
    const long = 'z'.repeat(5000);
    const line = oneLine(
      kz(['run', suite('long.yaml', `images: [${long}]\nsettings:\n  - setting: gzip:9\n`)]),
      /long\.yaml:1:10: images\[0\]: "z{60}"\.\.\. \(5000 characters\) is neither a corpus kernel/,
    );
    assert.ok(line.length < 300);
  });
});
