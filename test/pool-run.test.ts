// runCells end to end on real worker threads, with a stand-in codec module
// (written to a temp dir) so retries, failures, aborts and the memory
// budget are tested without the native addon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCells, SettingsError, type Cell, type RunProgress, type Unit } from '../src/run/index.js';
import { readResults } from '../src/results/reader.js';
import { headerLine } from '../src/results/csv.js';
import { estimateCellMemory } from '../src/pool/memory.js';

// Stand-in codec: "compresses" by XOR with 0x5a behind a 4-byte length.
// Params: corrupt=1 makes decoding wrong; sleep_ms=N busy-waits in each decode.
const FAKE_CODEC = `
const ALGS = new Set(['gzip','bzip2','lzma','xz','lzo','lz4','zstd','fake']);
export function parseSetting(spec) {
  const [algorithm, rest] = spec.split(':');
  if (!ALGS.has(algorithm)) throw new Error('unknown algorithm "' + algorithm + '"; allowed: ' + [...ALGS].join(', '));
  const params = {};
  for (const kv of (rest ? rest.split(',') : [])) {
    const [k, v] = kv.split('=');
    params[k] = v === undefined ? true : (/^\\d+$/.test(v) ? Number(v) : v);
  }
  const keys = Object.keys(params).sort();
  const key = keys.length ? algorithm + ':' + keys.map(k => params[k] === true ? k : k + '=' + params[k]).join(',') : algorithm;
  return { algorithm, key, params, backend: 'fake' };
}
export function compress(s, input) {
  const out = new Uint8Array(input.length + 4);
  new DataView(out.buffer).setUint32(0, input.length, true);
  for (let i = 0; i < input.length; i++) out[i + 4] = input[i] ^ 0x5a;
  return out;
}
export function decompressInto(s, c, out) {
  const n = new DataView(c.buffer, c.byteOffset).getUint32(0, true);
  if (n > out.length) throw new Error('output buffer too small');
  for (let i = 0; i < n; i++) out[i] = c[i + 4] ^ 0x5a;
  if (s.params.corrupt && n > 0) out[n - 1] ^= 1;
  if (s.params.sleep_ms) { const end = Date.now() + s.params.sleep_ms; while (Date.now() < end); }
  return n;
}
export function backendVersions() { return { fake: '1.0' }; }
`;

const dir = mkdtempSync(join(tmpdir(), 'kzbench-pool-'));
const codecPath = join(dir, 'fake-codec.mjs');
writeFileSync(codecPath, FAKE_CODEC);
const codecModule = pathToFileURL(codecPath).href;
const quick = { minRuns: 3, minTimeMs: 5, maxTimeMs: 2000 };
const image = { path: 'test-image', sha256: 'cd'.repeat(32) };

function units(): Unit[] {
  const bytes = new Uint8Array(64 * 1024).map((_, i) => (i * 31) & 0xff);
  return [
    { name: 'whole', kind: 'whole', offset: 0, bytes },
    { name: '.text', kind: 'section', offset: 4096, bytes: bytes.subarray(4096, 20000) },
    { name: '.data', kind: 'section', offset: 20000, bytes: bytes.subarray(20000, 30000) },
  ];
}

function cellsFor(specs: string[]): Cell[] {
  return units().flatMap((unit) => specs.map((setting) => ({ unit, setting })));
}

test('every cell gets a verified row, written to results.csv and run.json', async () => {
  const out = join(dir, 'ok');
  const cells = cellsFor(['gzip:level=9', 'xz:preset=6', 'lz4']);
  const progress: RunProgress[] = [];
  const r = await runCells(cells, {
    workers: 2,
    timing: quick,
    codecModule,
    outDir: out,
    image,
    onProgress: (p) => progress.push(p),
    runInfo: { source: 'test' },
  });
  assert.equal(r.rows.length, 9);
  assert.equal(r.failed, 0);
  assert.equal(r.interrupted, false);
  for (const row of r.rows) {
    assert.equal(row.verified, true);
    assert.equal(row.compressed_bytes, row.unit_bytes + 4);
    assert.equal(row.ratio, row.unit_bytes / row.compressed_bytes!);
    assert.ok(row.decompress_runs! >= 3);
    assert.ok(row.decompress_ms_median! > 0);
    assert.ok(Math.abs(row.decompress_mb_s! - row.unit_bytes / 1e6 / (row.decompress_ms_median! / 1e3)) < 1e-6);
    assert.equal(row.attempts, 1);
    assert.equal(row.image_sha256, image.sha256);
    assert.equal(row.backend, 'fake');
  }
  assert.equal(r.rows.find((x) => x.setting === 'gzip:level=9')!.level, 9);
  const back = readResults(r.resultsPath!);
  assert.equal(back.rows.length, 9);
  assert.deepEqual(new Set(back.rows.map((x) => x.cell_id)).size, 9);
  const info = JSON.parse(readFileSync(r.runJsonPath!, 'utf8'));
  assert.ok(info.end && !info.interrupted);
  assert.deepEqual(info.backend_versions, { fake: '1.0' });
  assert.equal(info.source, 'test');
  assert.equal(info.image_sha256, image.sha256);
  assert.equal(info.cells_done, 9);
  const last = progress.at(-1)!;
  assert.equal(last.done, 9);
  assert.equal(last.total, 9);
  assert.ok(
    progress.some((p) => p.running.length === 2),
    'two workers were busy at once',
  );
});

test('a worker that exits mid-cell fails only that cell, which is retried', async () => {
  const cells = cellsFor(['gzip', 'zstd']);
  const target = (c: Cell) => c.unit.name === '.text' && c.setting === 'zstd';
  const r = await runCells(cells, { workers: 2, timing: quick, codecModule, faultInjection: { match: target, mode: 'exit' } });
  assert.equal(r.rows.length, 6);
  assert.equal(r.failed, 0);
  for (const row of r.rows) assert.equal(row.verified, true);
  const retried = r.rows.filter((x) => x.attempts === 2);
  assert.equal(retried.length, 1);
  assert.equal(retried[0]!.unit, '.text');
  assert.equal(retried[0]!.setting, 'zstd');
});

test('a cell failing twice gets a failed row with the errors; others are unaffected', async () => {
  const out = join(dir, 'fail');
  const cells = cellsFor(['gzip', 'zstd', 'xz:corrupt']);
  const r = await runCells(cells, {
    workers: 2,
    timing: quick,
    codecModule,
    outDir: out,
    faultInjection: { match: (c) => c.unit.name === 'whole' && c.setting === 'gzip', attempts: 2, mode: 'exit' },
  });
  assert.equal(r.rows.length, 9);
  const bad = r.rows.filter((x) => !x.verified);
  // whole x gzip (worker died twice) + 3 units x xz:corrupt (bytes differ).
  assert.equal(r.failed, 4);
  assert.equal(bad.length, 4);
  const died = bad.find((x) => x.setting === 'gzip')!;
  assert.equal(died.attempts, 2);
  assert.match(died.error, /attempt 1: .*exited with code: 70; attempt 2: .*exited with code: 70/);
  assert.equal(died.compressed_bytes, null);
  for (const x of bad.filter((x) => x.setting === 'xz:corrupt')) assert.match(x.error, /round trip mismatch.*first difference/);
  const back = readResults(r.resultsPath!);
  assert.equal(back.rows.filter((x) => !x.verified).length, 4);
  assert.ok(back.rows.filter((x) => x.verified).every((x) => x.error === ''));
});

test('a thrown error in the worker is retried the same way', async () => {
  const r = await runCells(cellsFor(['lz4']), { workers: 2, timing: quick, codecModule, faultInjection: { match: () => true, mode: 'throw' } });
  assert.equal(r.failed, 0);
  assert.ok(r.rows.every((x) => x.verified && x.attempts === 2));
  const r0 = await runCells(cellsFor(['lz4']), { workers: 1, timing: quick, codecModule, retries: 0, faultInjection: { match: () => true, mode: 'throw' } });
  assert.equal(r0.failed, 3);
  assert.match(r0.rows[0]!.error, /injected fault/);
});

test('invalid settings are refused before any work starts', async () => {
  const out = join(dir, 'refused');
  await assert.rejects(
    runCells(cellsFor(['gzip', 'brotli:level=3', 'snappy']), { codecModule, outDir: out }),
    (e: unknown) => e instanceof SettingsError && e.problems.length === 2 && /brotli.*allowed: gzip/s.test(e.message),
  );
  assert.equal(existsSync(join(out, 'results.csv')), false);
});

test('memory budget: cells whose estimates do not fit together never run together', async () => {
  const cells = cellsFor(['xz:preset=9', 'gzip']);
  // Smallest unit: the budget leaves no room beside any big cell.
  const big = estimateCellMemory({ algorithm: 'xz', params: { preset: 9 } }, 10000);
  const small = estimateCellMemory({ algorithm: 'gzip', params: {} }, 10000);
  assert.ok(2 * estimateCellMemory({ algorithm: 'gzip', params: {} }, 64 * 1024) < big);
  let maxRunning = 0;
  let sawBigWithOther = false;
  const r = await runCells(cells, {
    workers: 2,
    timing: { ...quick, minTimeMs: 30 },
    codecModule,
    memoryBudgetBytes: big + small - 1, // a big cell leaves no room for anything
    onProgress: (p) => {
      maxRunning = Math.max(maxRunning, p.running.length);
      if (p.running.length > 1 && p.running.some((x) => x.setting.startsWith('xz'))) sawBigWithOther = true;
    },
  });
  assert.equal(r.failed, 0);
  assert.equal(sawBigWithOther, false);
  assert.equal(maxRunning, 2, 'small cells still ran two at a time');

  // A cell bigger than the whole budget still runs (alone).
  const alone = await runCells(cellsFor(['xz:preset=9']), {
    workers: 2,
    timing: quick,
    codecModule,
    memoryBudgetBytes: 1024 * 1024,
    onProgress: (p) => assert.ok(p.running.length <= 1),
  });
  assert.equal(alone.rows.length, 3);
  assert.ok(alone.rows.every((x) => x.verified));
});

test('abort: no more cells handed out, only complete rows, run.json interrupted', async () => {
  const out = join(dir, 'abort');
  const cells = cellsFor(['gzip:sleep_ms=20', 'xz:sleep_ms=20', 'zstd:sleep_ms=20', 'lz4:sleep_ms=20']);
  const ac = new AbortController();
  const slow = { minRuns: 3, minTimeMs: 100, maxTimeMs: 5000 };
  const r = await runCells(cells, {
    workers: 2,
    timing: slow,
    codecModule,
    outDir: out,
    signal: ac.signal,
    onProgress: (p) => {
      if (p.done === 2) ac.abort();
    },
  });
  assert.equal(r.interrupted, true);
  assert.ok(r.rows.length >= 2 && r.rows.length < cells.length, `${r.rows.length} rows`);
  const text = readFileSync(r.resultsPath!, 'utf8');
  assert.ok(text.endsWith('\n'));
  const back = readResults(r.resultsPath!);
  assert.equal(back.droppedPartialLine, false);
  assert.equal(back.rows.length, r.rows.length);
  assert.ok(back.rows.every((x) => x.verified));
  const info = JSON.parse(readFileSync(r.runJsonPath!, 'utf8'));
  assert.equal(info.interrupted, true);
  assert.equal(info.end, undefined);

  // Resume (the same job: same cells and timing): the verified cells are skipped, the rest run, one header.
  const again = await runCells(cells, { workers: 2, timing: slow, codecModule, outDir: out, existing: 'resume' });
  assert.equal(again.skipped, r.rows.length);
  assert.equal(again.rows.length, cells.length - r.rows.length);
  const all = readResults(r.resultsPath!);
  assert.equal(all.rows.length, cells.length);
  assert.equal(new Set(all.rows.map((x) => x.cell_id)).size, cells.length);
  assert.equal(readFileSync(r.resultsPath!, 'utf8').split(headerLine()).length, 2, 'header once');
  const info2 = JSON.parse(readFileSync(again.runJsonPath!, 'utf8'));
  assert.ok(info2.end);
  assert.equal(info2.previous_runs.length, 1);
  assert.equal(info2.previous_runs[0].interrupted, true);

  // Already aborted before the start: nothing runs.
  const pre = new AbortController();
  pre.abort();
  const none = await runCells(cells, { codecModule, signal: pre.signal, timing: quick });
  assert.equal(none.interrupted, true);
  assert.equal(none.rows.length, 0);
});

test('a throwing progress callback stops the run and is rethrown; the files stay consistent', async () => {
  const out = join(dir, 'cb');
  const boom = new Error('progress display broke');
  await assert.rejects(
    runCells(cellsFor(['gzip', 'lz4']), {
      workers: 2,
      timing: quick,
      codecModule,
      outDir: out,
      onProgress: (p) => {
        if (p.finished) throw boom;
      },
    }),
    (e) => e === boom,
  );
  const back = readResults(join(out, 'results.csv'));
  assert.equal(back.droppedPartialLine, false);
  assert.ok(back.rows.length >= 1 && back.rows.every((x) => x.verified));
  assert.equal(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).interrupted, true);
});

test('bad options are refused before any file is written', async () => {
  const out = join(dir, 'badopts');
  await assert.rejects(runCells(cellsFor(['gzip']), { codecModule, outDir: out, workers: 0 }), /workers must be/);
  await assert.rejects(runCells(cellsFor(['gzip']), { codecModule, outDir: out, memoryBudgetBytes: 0 }), /memoryBudgetBytes/);
  await assert.rejects(runCells(cellsFor(['gzip']), { codecModule, outDir: out, timing: { minRuns: 0 } }), /minRuns/);
  assert.equal(existsSync(join(out, 'results.csv')), false);
});
