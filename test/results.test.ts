import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTRACT_COLUMNS, COLUMNS, PARAM_COLUMNS, cellId, paramColumns, type ResultRow } from '../src/results/schema.js';
import { headerLine, rowLine } from '../src/results/csv.js';
import { parseResults, readResults } from '../src/results/reader.js';
import { ResultsWriter } from '../src/results/writer.js';
import { describeRun, readRunJson, writeRunJson } from '../src/results/run-json.js';

function row(over: Partial<ResultRow> = {}): ResultRow {
  return {
    image: '/boot/vmlinuz-6.1.0-56-amd64',
    image_sha256: 'ab'.repeat(32),
    unit: 'whole',
    unit_bytes: 65_906_612,
    algorithm: 'xz',
    setting: 'xz:bcj=x86,check=crc32,dict_bytes=33554432',
    backend: 'liblzma',
    compressed_bytes: 8_122_476,
    ratio: 65_906_612 / 8_122_476,
    compress_ms: 31234.567891,
    decompress_ms_median: 612.25,
    decompress_ms_mad: 3.5,
    decompress_runs: 5,
    decompress_mb_s: 107.646,
    verified: true,
    ...paramColumns({ bcj: 'x86', check: 'crc32', dict_bytes: 33554432, size_append: true }),
    unit_kind: 'whole',
    unit_offset: 0,
    error: '',
    attempts: 1,
    worker: 3,
    cell_id: cellId('ab'.repeat(32), 'whole', 'xz:bcj=x86,check=crc32,dict_bytes=33554432'),
    started_at: '2025-11-28T03:00:00.000Z',
    finished_at: '2025-11-28T03:00:40.000Z',
    ...over,
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'kzbench-results-'));

test('the contract columns come first, in the issue order, and names are unique', () => {
  assert.deepEqual(COLUMNS.slice(0, CONTRACT_COLUMNS.length), [
    'image',
    'image_sha256',
    'unit',
    'unit_bytes',
    'algorithm',
    'setting',
    'backend',
    'compressed_bytes',
    'ratio',
    'compress_ms',
    'decompress_ms_median',
    'decompress_ms_mad',
    'decompress_runs',
    'decompress_mb_s',
    'verified',
  ]);
  assert.equal(new Set(COLUMNS).size, COLUMNS.length);
  assert.equal(headerLine(), COLUMNS.join(',') + '\n');
});

test('rows round-trip through CSV, awkward text and empty values included', () => {
  const rows = [
    row(),
    row({
      unit: 'section ".text", odd',
      verified: false,
      compressed_bytes: null,
      ratio: null,
      compress_ms: null,
      decompress_ms_median: null,
      decompress_ms_mad: null,
      decompress_runs: null,
      decompress_mb_s: null,
      worker: null,
      unit_offset: null,
      attempts: 2,
      error: 'attempt 1: Error: worker exited with code: 70; attempt 2: RoundTripError: "bad", first difference',
      ...paramColumns({ level: 9, frame: 'legacy' }),
    }),
  ];
  const text = headerLine() + rows.map(rowLine).join('');
  const back = parseResults(text);
  assert.equal(back.droppedPartialLine, false);
  assert.deepEqual(back.unknownColumns, []);
  assert.equal(back.rows.length, 2);
  const r0 = back.rows[0]!;
  assert.equal(r0.ratio!.toPrecision(12), rows[0]!.ratio!.toPrecision(12));
  assert.deepEqual({ ...r0, ratio: 0 }, { ...rows[0]!, ratio: 0 });
  assert.deepEqual(back.rows[1], rows[1]);
  assert.equal(back.rows[0]!.size_append, true);
  assert.equal(back.rows[0]!.dict_bytes, 33554432);
  assert.equal(back.rows[0]!.level, null);
});

test('a newline inside a text field never splits a record', () => {
  const line = rowLine(row({ error: 'first line\nsecond line\r\nthird' }));
  assert.equal(line.indexOf('\n'), line.length - 1);
  const back = parseResults(headerLine() + line);
  assert.equal(back.rows[0]!.error, 'first line second line third');
});

test('reader drops an incomplete final line', () => {
  const full = headerLine() + rowLine(row({ unit: 'a' })) + rowLine(row({ unit: 'b' }));
  const torn = rowLine(row({ unit: 'c' }));
  for (const cut of [1, 10, Math.floor(torn.length / 2), torn.length - 1]) {
    const back = parseResults(full + torn.slice(0, cut));
    assert.equal(back.droppedPartialLine, true);
    assert.deepEqual(
      back.rows.map((r) => r.unit),
      ['a', 'b'],
    );
  }
  assert.deepEqual(parseResults(headerLine().slice(0, 20)).rows, []);
  assert.deepEqual(parseResults('').rows, []);
});

test('writer: header once, one line per row, refuses to clobber, resumes after a torn line', () => {
  const dir = tmp();
  const path = join(dir, 'sub', 'results.csv');
  const w = ResultsWriter.open(path);
  w.append(row({ unit: 'a' }));
  w.append(row({ unit: 'b' }));
  w.close();
  assert.throws(() => w.append(row()), /closed/);
  const text = readFileSync(path, 'utf8');
  assert.equal(text.split('\n').length, 4);
  assert.ok(text.startsWith(headerLine()));
  assert.equal(text.indexOf(headerLine(), 1), -1, 'header written once');

  assert.throws(() => ResultsWriter.open(path), /already exists/);

  // A crash mid-write leaves a torn line; resume drops it and appends cleanly.
  appendFileSync(path, rowLine(row({ unit: 'torn' })).slice(0, 40));
  const r = ResultsWriter.open(path, 'resume');
  assert.deepEqual(
    r.previousRows.map((x) => x.unit),
    ['a', 'b'],
  );
  r.append(row({ unit: 'c' }));
  r.close();
  const back = readResults(path);
  assert.equal(back.droppedPartialLine, false);
  assert.deepEqual(
    back.rows.map((x) => x.unit),
    ['a', 'b', 'c'],
  );

  const o = ResultsWriter.open(path, 'overwrite');
  o.close();
  assert.equal(readFileSync(path, 'utf8'), headerLine());
});

test('writer refuses to resume a file with another header', () => {
  const path = join(tmp(), 'results.csv');
  writeFileSync(path, 'a,b,c\n1,2,3\n');
  assert.throws(() => ResultsWriter.open(path, 'resume'), /different header/);
});

test('cell ids are stable and distinguish image, unit and setting', () => {
  const a = cellId('00', 'whole', 'xz');
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(a, cellId('00', 'whole', 'xz'));
  assert.notEqual(a, cellId('01', 'whole', 'xz'));
  assert.notEqual(a, cellId('00', '.text', 'xz'));
  assert.notEqual(a, cellId('00', 'whole', 'xz:preset=9'));
  // The separator keeps ("ab","c") apart from ("a","bc").
  assert.notEqual(cellId('x', 'ab', 'c'), cellId('x', 'a', 'bc'));
});

test('param columns: the stable set, empty where absent', () => {
  const p = paramColumns({ level: 9, frame: 'legacy', size_append: true, unknown_thing: 1 });
  assert.deepEqual(Object.keys(p), [...PARAM_COLUMNS]);
  assert.equal(p.level, 9);
  assert.equal(p.frame, 'legacy');
  assert.equal(p.preset, null);
});

test('run.json: machine description, atomic write, read back', () => {
  const path = join(tmp(), 'run.json');
  const info = describeRun({ liblzma: '5.4.1' }, new Date('2025-11-28T03:00:00Z'));
  assert.equal(info.kzbench_version, JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  assert.equal(info.node_version, process.version);
  assert.ok(info.cpu_model.length > 0);
  assert.ok(info.cpu_count >= 1);
  assert.equal(info.start, '2025-11-28T03:00:00.000Z');
  assert.deepEqual(info.backend_versions, { liblzma: '5.4.1' });
  writeRunJson(path, { ...info, end: '2025-11-28T03:01:00.000Z', image: 'x' });
  const back = readRunJson(path)!;
  assert.equal(back.end, '2025-11-28T03:01:00.000Z');
  assert.equal(back['image'], 'x');
  assert.equal(readRunJson(join(tmp(), 'none.json')), undefined);
});
