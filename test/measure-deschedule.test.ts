// Descheduling on purpose, with the real addon clock: a decode stopped with
// SIGSTOP mid-sample is recognised as disturbed, and a run whose worker shares
// its one core with a busy loop (both pinned with taskset) has its rows
// flagged, its CPU-time figures unaffected and run.json calling the machine busy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadClock } from '../src/codecs/native.js';
import { cachedKernel } from '../src/corpus/debian.js';
import { isDisturbed, summarizeSamples, type Sample } from '../src/measure/disturbance.js';
import { readResults } from '../src/results/reader.js';
import { timingWarning } from '../src/measure/warning.js';

const dist = (p: string) => JSON.stringify(new URL(`../src/${p}`, import.meta.url).href);
const dir = mkdtempSync(join(tmpdir(), 'kzbench-deschedule-'));
const haveClock = threadClock() !== undefined;
const haveTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Bytes that decode in tens of milliseconds with xz (a real decoder, not a sleep). */
const DATA = `
  const n = 1_000_000; const data = new Uint8Array(n); let x = 2463534242;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; data[i] = x & 0xf0 ? 97 + (x % 8) : (x >>> 8) & 255; }
`;

function lines(child: ChildProcess, onLine: (l: string) => void): Promise<number | null> {
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  return new Promise((res) => child.on('exit', (code) => res(code)));
}

test(
  'a decode stopped mid-sample (SIGSTOP) is recognised as disturbed, its CPU time is not inflated',
  { skip: !haveClock && 'no addon thread clock' },
  async () => {
    const script = join(dir, 'stopped.mjs');
    writeFileSync(
      script,
      `import { timeSamples, resolveTiming } from ${dist('measure/timing.js')};
     import { threadClock } from ${dist('codecs/native.js')};
     import { parseSetting, compress, decompressInto } from ${dist('codecs/index.js')};
     ${DATA}
     const s = parseSetting('xz:1'); const c = compress(s, data); const out = new Uint8Array(n + 1);
     decompressInto(s, c, out);
     process.stdout.write('ready\\n');
     const r = timeSamples(() => decompressInto(s, c, out), resolveTiming({ minRuns: 10, minTimeMs: 1500, maxTimeMs: 30000 }), threadClock());
     process.stdout.write(JSON.stringify(r) + '\\n');`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let result: { samples: Sample[]; epsilonMs: number } | undefined;
    const STOP_MS = 400;
    const code = await lines(child, (l) => {
      if (l === 'ready') {
        setTimeout(() => {
          child.kill('SIGSTOP');
          setTimeout(() => child.kill('SIGCONT'), STOP_MS);
        }, 300);
      } else result = JSON.parse(l);
    });
    assert.equal(code, 0);
    assert.ok(result);
    const stopped = result.samples.filter((s) => s.wallMs - s.cpuMs >= STOP_MS * 0.9);
    assert.ok(stopped.length >= 1, `a sample spans the ${STOP_MS} ms stop: ${JSON.stringify(result.samples.slice(0, 5))}`);
    for (const s of stopped) {
      assert.equal(isDisturbed(s, result.epsilonMs), true);
      assert.ok(s.cpuMs < s.wallMs / 2, 'the thread clock did not run while the process was stopped');
    }
    const sum = summarizeSamples(result.samples, result.epsilonMs, 10);
    assert.ok(sum.disturbed >= 1);
    assert.ok(sum.cpuMsMedian < STOP_MS / 2, 'the CPU median is the decode, not the stop');
    if (sum.quality !== 'disturbed') assert.ok(sum.wallMsMedian < STOP_MS / 2, 'the wall median is over clean samples');
  },
);

test(
  'a run beside a busy loop on the same core is flagged disturbed and busy; CPU figures hold',
  { skip: (!haveClock && 'no addon thread clock') || (!haveTaskset && 'no taskset') },
  async () => {
    const out = join(dir, 'burner-run');
    const script = join(dir, 'burner-run.mjs');
    writeFileSync(
      script,
      `import { runCells } from ${dist('run/index.js')};
     ${DATA}
     const unit = { name: 'whole', kind: 'whole', offset: 0, bytes: data };
     const r = await runCells([{ unit, setting: 'xz:1' }],
       { workers: 1, timing: { minRuns: 5, minTimeMs: 300 }, outDir: ${JSON.stringify(out)}, image: { path: 'synthetic', sha256: 'ab'.repeat(32) } });
     process.stdout.write(JSON.stringify({ failed: r.failed, machine: r.machine }) + '\\n');`,
    );
    // The burner first, pinned to CPU 0; then the run, pinned to the same CPU.
    const burner = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const child = spawn('taskset', ['-c', '0', process.execPath, script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let summary: { failed: number; machine: { busy: boolean; samples: number; samples_disturbed: number } } | undefined;
      const code = await lines(child, (l) => (summary = JSON.parse(l)));
      assert.equal(code, 0);
      assert.equal(summary!.failed, 0);
      const rows = readResults(join(out, 'results.csv')).rows;
      // One cell only: a second, fast cell (a 1 ms gzip decode fits in its time slices) adds hundreds of clean
      // samples, and with the run pinned to one core the burner's half core sits exactly on the busy threshold.
      assert.equal(rows.length, 1);
      const xz = rows.find((r) => r.algorithm === 'xz')!;
      assert.equal(xz.timing_quality, 'disturbed', 'a 30 ms decode sharing its core is preempted in every sample');
      assert.ok(xz.decompress_disturbed! >= 5);
      assert.ok(xz.decompress_cpu_ms_median! < 0.8 * xz.decompress_ms_median!, `CPU ${xz.decompress_cpu_ms_median} ms vs wall ${xz.decompress_ms_median} ms`);
      assert.ok(xz.decompress_cpu_mb_s! > xz.decompress_mb_s!);
      const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
      assert.equal(run.machine.busy, true);
      assert.equal(summary!.machine.busy, true);
      assert.ok(run.machine.samples_disturbed >= run.machine.samples / 2);
      assert.match(timingWarning(rows, run.machine) ?? '', /busy machine/);
    } finally {
      burner.kill('SIGKILL');
    }
  },
);

const SLOW = process.env.KZBENCH_SLOW === '1';
const amd64 = cachedKernel('linux-image-amd64', 'amd64');

test(
  "Debian's amd64 kernel, kzbench run pinned beside a busy loop: xz and lz4 rows flagged or unaffected, run.json busy (KZBENCH_SLOW=1)",
  {
    skip: !SLOW
      ? 'set KZBENCH_SLOW=1 (about a minute)'
      : !amd64
        ? 'no cached linux-image-amd64 (kzbench corpus fetch debian12-amd64)'
        : !haveClock || !haveTaskset
          ? 'no thread clock or taskset'
          : false,
  },
  async () => {
    const out = join(dir, 'amd64-burner');
    const burner = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for(;;){}'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const bin = fileURLToPath(new URL('../../bin/kzbench.js', import.meta.url));
      const child = spawn(
        'taskset',
        ['-c', '0', process.execPath, bin, 'run', '--image', amd64!.image, '--codec', 'xz', '--codec', 'lz4', '--min-time', '300', '--out', out],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise((res) => child.on('exit', res));
      assert.equal(code, 0, stderr);
      assert.match(stderr, /^warning: figures were taken on a busy machine/m, 'the terminal says it once');
      assert.equal(stderr.match(/^warning:/gm)?.length, 1);
      const rows = readResults(join(out, 'results.csv')).rows;
      for (const r of rows) {
        // Either the wall figure is the CPU figure within the 5%, or the row says it is not to be trusted.
        const close = Math.abs(r.decompress_mb_s! / r.decompress_cpu_mb_s! - 1) <= 0.05;
        assert.ok(
          close || r.timing_quality === 'disturbed',
          `${r.algorithm}: wall ${r.decompress_mb_s} vs CPU ${r.decompress_cpu_mb_s} MB/s, ${r.timing_quality}`,
        );
      }
      const xz = rows.find((r) => r.algorithm === 'xz')!;
      assert.equal(xz.timing_quality, 'disturbed', 'a decode of tens of ms sharing its core cannot be timed clean');
      assert.equal(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).machine.busy, true);
    } finally {
      burner.kill('SIGKILL');
    }
  },
);
