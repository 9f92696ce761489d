// A results directory: one writer (the lock, stale locks, concurrent CLI
// runs), nothing written through a symbolic link, --resume only of the same
// job, a full disk handled, the worker count bounded.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { KzError } from '../src/errors.js';
import { DirLockedError, LOCK_NAME, maxWorkers, parseWorkers, ResultsDirLock, writeFileAtomic } from '../src/results/dir.js';
import { readResults } from '../src/results/reader.js';
import { ResultsWriter } from '../src/results/writer.js';
import { runCells, type Cell } from '../src/run/index.js';
import { bin, kz, oneLineError } from './cli-helpers.js';
import { smallKernel } from './fixtures/images.js';

const root = mkdtempSync(join(tmpdir(), 'kzbench-resdir-'));
const bzPath = join(root, 'bzImage');
writeFileSync(bzPath, smallKernel([200_000, 80_000, 40_000]).bzImage);
const otherPath = join(root, 'other-bzImage');
writeFileSync(otherPath, smallKernel([150_000, 60_000, 30_000]).bzImage);
const dirModule = new URL('../src/results/dir.js', import.meta.url).href;

/** A quick flags run of the tiny image: whole unit, two settings, no real timing. */
const quickArgs = (out: string, ...more: string[]) => [
  'run',
  '--image',
  bzPath,
  '--codec',
  'lz4',
  '--codec',
  'gzip',
  '--min-runs',
  '1',
  '--min-time',
  '0',
  '--workers',
  '1',
  '--out',
  out,
  ...more,
];

const fresh = (name: string) => (mkdirSync(join(root, name), { recursive: true }), join(root, name));

/** A child process that takes DIR's lock, says "locked", then waits, exits or throws. */
function lockHolder(dir: string, then: 'wait' | 'exit' | 'throw'): ChildProcess {
  const code = `
    const { ResultsDirLock } = await import(${JSON.stringify(dirModule)});
    ResultsDirLock.acquire(${JSON.stringify(dir)}, 'test-holder');
    process.stdout.write('locked\\n');
    if (${JSON.stringify(then)} === 'exit') process.exit(2);
    if (${JSON.stringify(then)} === 'throw') throw new Error('holder failed');
    process.stdin.resume();`;
  return spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'pipe'] });
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((resolve) => (c.exitCode !== null ? resolve(c.exitCode) : c.on('exit', (code) => resolve(code))));
const said = (c: ChildProcess, what: string) =>
  new Promise<void>((resolve, reject) => {
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()).includes(what) && resolve());
    c.on('exit', () => reject(new Error(`child exited before saying ${what}`)));
  });

describe('one writer per results directory', () => {
  it('a second writer is refused naming the directory and the holder pid; a kill -9ed holder does not block', async () => {
    const dir = fresh('lock-held');
    const holder = lockHolder(dir, 'wait');
    await said(holder, 'locked');
    assert.throws(
      () => ResultsDirLock.acquire(dir, 'run'),
      (e: unknown) =>
        e instanceof DirLockedError &&
        e.holder.pid === holder.pid &&
        e.lines().length === 1 &&
        new RegExp(`^${dir}: in use by kzbench test-holder \\(pid ${holder.pid}, since `).test(e.lines()[0]!),
    );
    holder.kill('SIGKILL');
    await exited(holder);
    assert.ok(existsSync(join(dir, LOCK_NAME)), 'kill -9 leaves the lock file');
    const lock = ResultsDirLock.acquire(dir, 'run');
    assert.equal(JSON.parse(readFileSync(join(dir, LOCK_NAME), 'utf8')).pid, process.pid, 'the stale lock was replaced');
    lock.release();
    assert.equal(existsSync(join(dir, LOCK_NAME)), false);
  });

  it('the lock goes when its holder exits through process.exit or an uncaught error', async () => {
    for (const then of ['exit', 'throw'] as const) {
      const dir = fresh(`lock-${then}`);
      const holder = lockHolder(dir, then);
      await exited(holder);
      assert.notEqual(holder.exitCode, 0);
      assert.equal(existsSync(join(dir, LOCK_NAME)), false, then);
    }
  });

  it('nested acquisitions in one process share the lock, which goes with the last release', () => {
    const dir = fresh('lock-nested');
    const outer = ResultsDirLock.acquire(dir, 'run');
    const inner = ResultsDirLock.acquire(join(dir, '.'), 'run');
    assert.equal(inner, outer);
    inner.release();
    assert.ok(existsSync(join(dir, LOCK_NAME)));
    outer.release();
    assert.equal(existsSync(join(dir, LOCK_NAME)), false);
  });

  it('a live pid that started after the lock was taken (a reused pid) is stale; a foreign file is refused', async () => {
    const dir = fresh('lock-reused');
    const other = spawn(process.execPath, ['-e', 'process.stdin.resume()'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      writeFileSync(
        join(dir, LOCK_NAME),
        JSON.stringify({ pid: other.pid, pid_start: '1', host: hostname(), command: 'run', started: '2020-01-01T00:00:00Z', token: 'old' }),
      );
      const lock = ResultsDirLock.acquire(dir, 'run');
      lock.release();
    } finally {
      other.kill('SIGKILL');
    }
    const foreign = (e: unknown) => e instanceof KzError && /\.kzbench\.lock is not a kzbench lock/.test(e.lines()[0]!);
    writeFileSync(join(dir, LOCK_NAME), 'not json');
    assert.throws(() => ResultsDirLock.acquire(dir, 'run'), foreign);
    // pid 0 would make kill(0, 0) succeed (the process group) and block for ever
    writeFileSync(join(dir, LOCK_NAME), JSON.stringify({ pid: 0, pid_start: null, host: hostname(), command: 'run', started: '', token: 'x' }));
    assert.throws(() => ResultsDirLock.acquire(dir, 'run'), foreign);
  });
});

describe('two writers at once on one directory (CLI)', () => {
  // 4 cells left at 300 ms each on one worker: the runs overlap for seconds.
  const slow = (out: string, workers: string, ...more: string[]) => [
    'run',
    '--image',
    bzPath,
    '--unit',
    'sections',
    '--codec',
    'lz4',
    '--codec',
    'gzip',
    '--min-runs',
    '1',
    '--min-time',
    '300',
    '--workers',
    workers,
    '--out',
    out,
    ...more,
  ];
  const run = (args: string[]) => {
    const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return exited(c).then((status) => ({ status, stderr }));
  };
  const cells = (dir: string) =>
    readResults(join(dir, 'results.csv'))
      .rows.map((r) => `${r.cell_id} ${r.compressed_bytes} ${r.verified}`)
      .sort();

  it('two --resume runs: one runs, the other is refused at once; the rows equal a clean run', async () => {
    const clean = join(root, 'clean');
    const c = spawnSync(process.execPath, [bin, ...slow(clean, '2')], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    const dir = join(root, 'concurrent-resume');
    const first = spawnSync(process.execPath, [bin, ...slow(dir, '2')], { encoding: 'utf8' });
    assert.equal(first.status, 0, first.stderr);
    // As if interrupted after two cells.
    const csv = join(dir, 'results.csv');
    writeFileSync(csv, readFileSync(csv, 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    assert.equal(readResults(csv).rows.length, 2);

    const [a, b] = await Promise.all([run(slow(dir, '1', '--resume')), run(slow(dir, '1', '--resume'))]);
    const results = [a, b].sort((x, y) => (x.status ?? 9) - (y.status ?? 9));
    assert.equal(results[0]!.status, 0, results[0]!.stderr);
    assert.equal(results[1]!.status, 2, results[1]!.stderr);
    const lines = results[1]!.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, results[1]!.stderr);
    assert.match(lines[0]!, new RegExp(`^kzbench: ${dir}: in use by kzbench run \\(pid \\d+, since `));
    assert.deepEqual(cells(dir), cells(clean));
    assert.equal(readResults(csv).rows.length, 6, 'every cell once');
    assert.equal(existsSync(join(dir, LOCK_NAME)), false, 'the lock is gone');
  });

  it('two --overwrite runs: one runs, the other is refused; no torn or duplicated rows', async () => {
    const dir = join(root, 'concurrent-overwrite');
    const [a, b] = await Promise.all([run(slow(dir, '1', '--overwrite')), run(slow(dir, '1', '--overwrite'))]);
    assert.deepEqual([a.status, b.status].sort(), [0, 2], a.stderr + b.stderr);
    const parsed = readResults(join(dir, 'results.csv'));
    assert.equal(parsed.droppedPartialLine, false);
    assert.equal(parsed.rows.length, 6);
    assert.equal(new Set(parsed.rows.map((r) => r.cell_id)).size, 6);
  });
});

describe('results files are never written through a symbolic link', () => {
  it('writeFileAtomic and ResultsWriter replace or refuse a link, never write its target', () => {
    const dir = fresh('links-api');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious');
    const p = join(dir, 'run.json');
    symlinkSync(victim, p);
    writeFileAtomic(p, '{}\n');
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.ok(lstatSync(p).isFile());

    const csv = join(dir, 'results.csv');
    symlinkSync(victim, csv);
    const linkRefused = (e: unknown) => e instanceof KzError && /results\.csv: is a symbolic link/.test(e.lines()[0]!);
    assert.throws(() => ResultsWriter.open(csv, 'resume'), linkRefused);
    assert.throws(() => ResultsWriter.open(csv, 'error'), linkRefused);
    ResultsWriter.open(csv, 'overwrite').close();
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.ok(lstatSync(csv).isFile());
  });

  it('report.html, results.csv, run.json and model.csv: the link is replaced, its target untouched (CLI)', () => {
    const dir = join(root, 'links-cli');
    const r = kz(...quickArgs(dir));
    assert.equal(r.status, 0, r.stderr);
    const victim = join(root, 'links-victim');
    writeFileSync(victim, 'precious');

    symlinkSync(victim, join(dir, 'report.html'));
    const rep = kz('report', dir);
    assert.equal(rep.status, 0, rep.stderr);
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.ok(lstatSync(join(dir, 'report.html')).isFile());

    const pickDir = fresh('links-pick');
    const vmlinux = join(root, 'vmlinux');
    writeFileSync(vmlinux, smallKernel().vmlinux);
    symlinkSync(victim, join(pickDir, 'model.csv'));
    const pick = kz(
      'pick',
      '--board',
      'x86-pc',
      '--image',
      vmlinux,
      '--codec',
      'gzip',
      '--min-runs',
      '1',
      '--min-time',
      '0',
      '--workers',
      '1',
      '--out',
      pickDir,
    );
    assert.equal(pick.status, 0, pick.stderr);
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.ok(lstatSync(join(pickDir, 'model.csv')).isFile());

    for (const f of ['results.csv', 'run.json']) {
      unlinkSync(join(dir, f));
      symlinkSync(victim, join(dir, f));
    }
    const over = kz(...quickArgs(dir, '--overwrite'));
    assert.equal(over.status, 0, over.stderr);
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
    assert.ok(lstatSync(join(dir, 'results.csv')).isFile() && lstatSync(join(dir, 'run.json')).isFile());
    assert.equal(readResults(join(dir, 'results.csv')).rows.length, 2);

    // Appending (resume) needs the file itself: a link is refused.
    unlinkSync(join(dir, 'results.csv'));
    symlinkSync(victim, join(dir, 'results.csv'));
    oneLineError(kz(...quickArgs(dir, '--resume')), /results\.csv: is a symbolic link/);
    assert.equal(readFileSync(victim, 'utf8'), 'precious');
  });
});

describe('--resume continues only the same job', () => {
  const dir = join(root, 'same-job');
  const base = kz(...quickArgs(dir));
  const csv = join(dir, 'results.csv');

  it('another image, unit or timing is refused in one line, and nothing is written', () => {
    assert.equal(base.status, 0, base.stderr);
    const before = { csv: readFileSync(csv, 'utf8'), run: readFileSync(join(dir, 'run.json'), 'utf8') };
    const other = quickArgs(dir, '--resume').map((a) => (a === bzPath ? otherPath : a));
    oneLineError(kz(...other), new RegExp(`^kzbench: ${dir}: --resume: the run used image sha256 [0-9a-f]{12}…, this one [0-9a-f]{12}…`));
    oneLineError(kz(...quickArgs(dir, '--resume', '--unit', 'sections')), /--resume: .*units/);
    oneLineError(
      kz(...quickArgs(dir, '--resume').map((a, i, all) => (all[i - 1] === '--min-runs' ? '2' : a))),
      /--resume: the run timed decompression with .*minRuns=1.*, this one with .*minRuns=2/,
    );
    oneLineError(kz(...quickArgs(dir, '--resume', '--codec', 'zstd')), /--resume: this one adds settings "zstd/);
    assert.equal(readFileSync(csv, 'utf8'), before.csv);
    assert.equal(readFileSync(join(dir, 'run.json'), 'utf8'), before.run);
  });

  it('a bare --resume DIR continues the recorded job (image, codecs, timing), not the defaults', () => {
    const full = readResults(csv).rows;
    writeFileSync(csv, readFileSync(csv, 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
    const r = kz('run', '--resume', dir);
    assert.equal(r.status, 0, r.stderr);
    const rows = readResults(csv).rows;
    assert.deepEqual(rows.map((x) => x.cell_id).sort(), full.map((x) => x.cell_id).sort());
    assert.ok(rows.every((x) => x.image_sha256 === full[0]!.image_sha256 && x.verified));
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    assert.equal(run.image, bzPath);
    assert.equal(run.timing.minTimeMs, 0);
  });

  it('rows of another job in results.csv (no run.json to tell) are refused', () => {
    const mixed = join(root, 'foreign-rows');
    assert.equal(kz(...quickArgs(mixed).map((a) => (a === bzPath ? otherPath : a))).status, 0);
    unlinkSync(join(mixed, 'run.json'));
    oneLineError(
      kz(...quickArgs(mixed, '--resume')),
      new RegExp(`^kzbench: ${mixed}: --resume: results\\.csv has 2 row\\(s\\) of cells this run does not have`),
    );
    assert.equal(readResults(join(mixed, 'results.csv')).rows.length, 2);
  });
});

// A stand-in codec (XOR behind a length) so runCells runs without the addon.
const FAKE_CODEC = `
export function parseSetting(spec) { return { algorithm: spec.split(':')[0], key: spec, params: {}, backend: 'fake' }; }
export function compress(s, input) {
  const out = new Uint8Array(input.length + 4);
  new DataView(out.buffer).setUint32(0, input.length, true);
  for (let i = 0; i < input.length; i++) out[i + 4] = input[i] ^ 0x5a;
  return out;
}
export function decompressInto(s, c, out) {
  const n = new DataView(c.buffer, c.byteOffset).getUint32(0, true);
  for (let i = 0; i < n; i++) out[i] = c[i + 4] ^ 0x5a;
  return n;
}
export function backendVersions() { return { fake: '1.0' }; }
`;
const codecPath = join(root, 'fake-codec.mjs');
writeFileSync(codecPath, FAKE_CODEC);
const codecModule = pathToFileURL(codecPath).href;
const quick = { minRuns: 1, minTimeMs: 0, maxTimeMs: 1000 };
const image = { path: 'test-image', sha256: 'ab'.repeat(32) };

function fakeCells(): Cell[] {
  const bytes = new Uint8Array(32 * 1024).map((_, i) => (i * 7) & 0xff);
  const units = ['a', 'b', 'c'].map((name, k) => ({ name, kind: 'section', offset: k * 1000, bytes: bytes.subarray(k * 1000, k * 1000 + 8000) }));
  return units.flatMap((unit) => ['gzip', 'lz4'].map((setting) => ({ unit, setting })));
}

/** fs.writeSync until the Nth row, which gets half written and then ENOSPC. */
function diskFullAt(n: number) {
  let calls = 0;
  return (fd: number, buf: Uint8Array, off: number, len: number) => {
    if (++calls === n) {
      writeSync(fd, buf, off, Math.floor(len / 2));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
    return writeSync(fd, buf, off, len);
  };
}

describe('a full disk mid-run', () => {
  it('drops the torn row, marks run.json interrupted, rejects with one line; resume finishes exactly', async () => {
    const out = join(root, 'disk-full');
    await assert.rejects(
      runCells(fakeCells(), { workers: 2, timing: quick, codecModule, outDir: out, image, resultsWrite: diskFullAt(2) }),
      (e: unknown) => e instanceof KzError && e.lines().length === 1 && /results\.csv: no space left on the device \(ENOSPC in write\)$/.test(e.lines()[0]!),
    );
    const text = readFileSync(join(out, 'results.csv'), 'utf8');
    assert.ok(text.endsWith('\n'), 'no torn last row');
    const parsed = readResults(join(out, 'results.csv'));
    assert.equal(parsed.droppedPartialLine, false);
    assert.equal(parsed.rows.length, 1);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.equal(run.interrupted, true);
    assert.equal(run.end, undefined);
    assert.equal(existsSync(join(out, LOCK_NAME)), false);

    const again = await runCells(fakeCells(), { workers: 2, timing: quick, codecModule, outDir: out, image, existing: 'resume' });
    assert.equal(again.skipped, 1);
    const rows = readResults(join(out, 'results.csv')).rows;
    assert.equal(rows.length, 6);
    assert.equal(new Set(rows.map((r) => r.cell_id)).size, 6);
  });

  it('through the CLI error path: one line, exit 2, no stack trace', () => {
    const out = join(root, 'disk-full-cli');
    const script = join(root, 'disk-full.mjs');
    const mod = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
    writeFileSync(
      script,
      `import { writeSync } from 'node:fs';
      const { runCells } = await import(${mod('../src/run/index.js')});
      const { guarded } = await import(${mod('../src/cli/guarded.js')});
      let calls = 0;
      const write = (fd, buf, off, len) => {
        if (++calls === 2) { writeSync(fd, buf, off, 3); throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' }); }
        return writeSync(fd, buf, off, len);
      };
      const bytes = new Uint8Array(20000).map((_, i) => i & 0xff);
      const cells = ['a', 'b', 'c', 'd'].map((name) => ({ unit: { name, bytes }, setting: 'gzip' }));
      await guarded(undefined, () => runCells(cells, { workers: 2, timing: ${JSON.stringify(quick)}, codecModule: ${JSON.stringify(codecModule)}, outDir: ${JSON.stringify(out)}, image: ${JSON.stringify(image)}, resultsWrite: write }).then(() => {}));`,
    );
    const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    oneLineError(r, /^kzbench: .*results\.csv: no space left on the device \(ENOSPC in write\)$/);
    assert.equal(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).interrupted, true);
  });
});

// A codec whose worker threads die (an uncaught error) 300 ms after loading:
// the worker that ran the quick cell is idle by then, so piscina reports it
// as an error of the pool, with no task to fail. (piscina parks idle workers
// in Atomics.wait, where no timer fires: the test turns that off.)
const CRASH_CODEC =
  FAKE_CODEC.replace(
    'export function compress(s, input) {',
    "export function compress(s, input) {\n  if (s.key === 'slow') { const end = Date.now() + 1500; while (Date.now() < end); }",
  ) +
  `
import { isMainThread } from 'node:worker_threads';
if (!isMainThread) setTimeout(() => { throw new Error('worker died while idle'); }, 300);
`;

describe('a worker pool failure mid-run', () => {
  it('ends the run with one line and run.json marked interrupted, never an uncaught piscina error', async () => {
    const crashPath = join(root, 'crash-codec.mjs');
    writeFileSync(crashPath, CRASH_CODEC);
    const out = join(root, 'pool-crash');
    const bytes = new Uint8Array(4096).map((_, i) => i & 0xff);
    const cells: Cell[] = ['slow', 'fast'].map((setting) => ({ unit: { name: 'whole', bytes }, setting }));
    process.env['PISCINA_DISABLE_ATOMICS'] = '1';
    try {
      await assert.rejects(
        runCells(cells, { workers: 2, timing: quick, codecModule: pathToFileURL(crashPath).href, outDir: out, image, order: 'given' }),
        (e: unknown) =>
          e instanceof KzError && e.lines().length === 1 && /^.*pool-crash: the worker pool failed: "worker died while idle"$/.test(e.lines()[0]!),
      );
    } finally {
      delete process.env['PISCINA_DISABLE_ATOMICS'];
    }
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.equal(run.interrupted, true);
    assert.equal(readResults(join(out, 'results.csv')).droppedPartialLine, false);
  });
});

describe('--workers is bounded', () => {
  it('parseWorkers: 1 to 4 per core, else one line saying the bound', () => {
    const max = maxWorkers();
    assert.equal(parseWorkers(String(max)), max);
    assert.equal(parseWorkers('1'), 1);
    assert.equal(parseWorkers(undefined), undefined);
    assert.throws(() => parseWorkers('1e9'), new RegExp(`--workers 1e9: at most ${max} \\(4 per core`));
    assert.throws(() => parseWorkers(String(max + 1)), /at most/);
    for (const bad of ['0', '1.5', 'x', '-3']) assert.throws(() => parseWorkers(bad), /expected a whole number of at least 1/);
  });

  it('run, cold and pick refuse --workers 1e9 before any work; runCells refuses it too', async () => {
    const at = new RegExp(`--workers 1e9: at most ${maxWorkers()}`);
    const out = join(root, 'workers-run');
    oneLineError(kz(...quickArgs(out).map((a, i, all) => (all[i - 1] === '--workers' ? '1e9' : a))), at);
    assert.equal(existsSync(out), false, 'nothing written');
    oneLineError(kz('cold', '--image', bzPath, '--trace', bzPath, '--workers', '1e9'), at);
    oneLineError(kz('pick', '--board', 'x86-pc', '--image', bzPath, '--workers', '1e9'), at);
    await assert.rejects(
      runCells(fakeCells(), { workers: 1e9, timing: quick, codecModule }),
      (e: unknown) => e instanceof KzError && /at most/.test(e.message),
    );
  });
});
