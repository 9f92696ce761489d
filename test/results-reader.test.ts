// The streaming results.csv reader and its consumers: rows checked one at a
// time, problems as one line naming FILE:LINE with at most an excerpt,
// FIFOs refused instead of waited on, and the CLI's exit 2 for all of it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KzError } from '../src/errors.js';
import { buildReport } from '../src/report/index.js';
import { headerLine, rowLine } from '../src/results/csv.js';
import { forEachResultRow, parseResults, readResults, splitCsvLine } from '../src/results/reader.js';
import { readRunJson } from '../src/results/run-json.js';
import { ResultsWriter } from '../src/results/writer.js';
import { mergeRuns } from '../src/suite/merge.js';
import { rowsFromResults } from '../src/model/pick-image.js';
import { oneLineError } from './cli-helpers.js';
import { resultsDir, runJsonFor, sampleRow } from './results-fixture.js';
import { bin, fixtureDir, kz } from './suite-fixture.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'kzbench-reader-'));
const good = headerLine() + rowLine(sampleRow()) + rowLine(sampleRow({ unit: '.text', setting: 'lz4:level=9' }));
const haveMkfifo = spawnSync('mkfifo', ['--version']).status === 0;

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof KzError, `not a KzError: ${(e as Error).stack}`);
    return e.lines().join('\n');
  }
  assert.fail('no error');
}

describe('results.csv reader', () => {
  it('splits a line as csv-stringify quotes it', () => {
    assert.deepEqual(splitCsvLine('a,"b,c","d""e",,""'), ['a', 'b,c', 'd"e', '', '']);
    assert.deepEqual(splitCsvLine('x,'), ['x', '']);
    assert.deepEqual(splitCsvLine('"open,x'), { column: 1, problem: 'a quoted field is not closed on its line' });
    assert.deepEqual(splitCsvLine('"a"b'), { column: 4, problem: 'text after a closing quote' });
    assert.deepEqual(splitCsvLine('ab,c"d'), { column: 5, problem: 'a quote inside an unquoted field' });
  });

  it('a malformed row is one line naming FILE:LINE with only an excerpt of the row', () => {
    const dir = tmp();
    const path = join(dir, 'results.csv');
    const secret = 'S'.repeat(5000);
    const cases: [string, RegExp][] = [
      [`${secret},1,2\n`, /results\.csv:4: 3 fields where the header has \d+: "S{60}"\.\.\. \(5004 characters\)$/],
      [rowLine(sampleRow()).replace(',true,', ',yes,'), /results\.csv:4: verified is "yes", not true or false$/],
      [rowLine(sampleRow({ error: 'x' })).replace(',8122476,', ',0x1F,'), /results\.csv:4: compressed_bytes is "0x1F", not a number$/],
      [rowLine(sampleRow()).replace(',8122476,', ',1e999,'), /results\.csv:4: compressed_bytes is "1e999", not a number$/],
      [`"${secret}\n`, /results\.csv:4: malformed CSV at character 1: a quoted field is not closed on its line: "\\"S+"\.\.\. \(5001 characters\)$/],
    ];
    for (const [bad, want] of cases) {
      writeFileSync(path, good + bad + rowLine(sampleRow()));
      const m = message(() => readResults(path));
      assert.match(m, want);
      assert.ok(!m.includes('\n') && m.length < 300 && !m.includes(secret), m);
    }
  });

  it('the header must be a kzbench header: contract columns, no duplicates', () => {
    const path = join(tmp(), 'results.csv');
    writeFileSync(path, 'a,b,c\n1,2,3\n');
    assert.match(
      message(() => readResults(path)),
      /results\.csv:1: not a kzbench results\.csv header: no image, image_sha256, unit, unit_bytes and 11 more columns/,
    );
    writeFileSync(path, headerLine().replace('\n', ',image\n'));
    assert.match(
      message(() => readResults(path)),
      /results\.csv:1: the header names column "image" twice/,
    );
    // An older or newer kzbench: unknown columns noted, missing optional ones empty.
    writeFileSync(path, headerLine().replace('\n', ',future\n') + rowLine(sampleRow()).replace('\n', ',x\n'));
    const back = readResults(path);
    assert.deepEqual(back.unknownColumns, ['future']);
    assert.equal(back.rows[0]!.compressed_bytes, 8_122_476);
  });

  it('reads across chunk boundaries, CRLF lines and a BOM the same as the text parser', () => {
    const rows = Array.from({ length: 6000 }, (_, i) => sampleRow({ unit: `.s${i}`, error: i % 7 ? '' : `é "quoted", ${'x'.repeat(i % 300)}` }));
    const text = headerLine() + rows.map(rowLine).join('');
    assert.ok(text.length > 2 * 1024 * 1024, 'spans several 1 MiB chunks');
    const path = join(tmp(), 'results.csv');
    writeFileSync(path, text + 'torn,li');
    const seen: string[] = [];
    const info = forEachResultRow(path, (r, line) => seen.push(`${line} ${r.unit} ${r.error}`));
    assert.deepEqual(
      seen,
      rows.map((r, i) => `${i + 2} ${r.unit} ${r.error}`),
    );
    assert.equal(info.droppedPartialLine, true);
    assert.equal(info.completeBytes, Buffer.byteLength(text));
    assert.deepEqual(readResults(path).rows, parseResults(text).rows);
    writeFileSync(path, '\ufeff' + text.replace(/\n/g, '\r\n'));
    assert.deepEqual(readResults(path).rows, parseResults(text).rows);
  });

  it('a line with no end is refused, not buffered without bound', () => {
    const path = join(tmp(), 'results.csv');
    writeFileSync(path, headerLine() + 'x'.repeat(5 * 1024 * 1024));
    assert.match(
      message(() => readResults(path)),
      /results\.csv:2: a line longer than 4 MiB/,
    );
  });

  it('run.json: missing is undefined, malformed is one line without its text', () => {
    const dir = tmp();
    assert.equal(readRunJson(join(dir, 'run.json')), undefined);
    writeFileSync(join(dir, 'run.json'), '{"secret": "do not print me" x');
    const m = message(() => readRunJson(join(dir, 'run.json')));
    assert.match(m, /run\.json: not valid JSON( \(at character \d+\))?: not a run\.json kzbench wrote$/);
    assert.ok(!m.includes('do not print'));
    writeFileSync(join(dir, 'run.json'), '[1,2]');
    assert.match(
      message(() => readRunJson(join(dir, 'run.json'))),
      /not a JSON object/,
    );
  });

  it('consumers: merge keeps the verified row of a cell, pick the last of a setting, report one row per cell', () => {
    const dir = tmp();
    const failed = sampleRow({ verified: false, compressed_bytes: null, error: 'boom' });
    const a = resultsDir(
      join(dir, 'a'),
      headerLine() + rowLine(failed) + rowLine(sampleRow({ unit: '.data', setting: 'gzip:level=9', algorithm: 'gzip' })),
      runJsonFor({ index: 1, count: 2 }),
    );
    const b = resultsDir(join(dir, 'b'), headerLine() + rowLine(sampleRow()) + rowLine(sampleRow({ compressed_bytes: 5 })), runJsonFor({ index: 2, count: 2 }));
    const s = mergeRuns([a, b], join(dir, 'out'));
    assert.deepEqual({ rows: s.rows, verified: s.verified, failed: s.failed, duplicates: s.duplicates }, { rows: 2, verified: 2, failed: 0, duplicates: 2 });
    const merged = readResults(join(dir, 'out', 'results.csv')).rows;
    assert.deepEqual(
      merged.map((r) => [r.unit, r.verified, r.compressed_bytes]),
      [
        ['.data', true, 8_122_476],
        ['whole', true, 8_122_476],
      ],
    );
    assert.equal(JSON.parse(readFileSync(join(dir, 'out', 'run.json'), 'utf8')).cells_done, 2);

    const picked = rowsFromResults(b);
    assert.deepEqual(
      picked.rows.map((r) => r.compressed_bytes),
      [5],
    );

    const report = buildReport(b, { readImages: false });
    assert.equal(report.verifiedRows, 1);
    assert.equal(report.images[0]!.settings[0]!.compressedBytes, 5);
    const withFailure = buildReport(a, { readImages: false });
    assert.deepEqual(
      withFailure.failed.map((f) => f.error),
      ['boom'],
    );
  });
});

describe('CLI: malformed results.csv, run.json and FIFOs end in one line and exit 2', () => {
  const dir = tmp();
  const bad = good + `1,2,"unclosed\n` + rowLine(sampleRow());

  it('merge, report and pick --results name FILE:LINE', () => {
    const a = resultsDir(join(dir, 'a'), bad, runJsonFor({ index: 1, count: 2 }));
    const b = resultsDir(join(dir, 'b'), good, runJsonFor({ index: 2, count: 2 }));
    oneLineError(kz('merge', a, b, '--out', join(dir, 'm')), /^kzbench: .*a\/results\.csv:4: malformed CSV at character 5: a quoted field is not closed/);
    oneLineError(kz('report', a), /^kzbench: .*a\/results\.csv:4: malformed CSV/);
    oneLineError(kz('pick', '--board', 'x86-pc', '--results', a), /^kzbench: .*a\/results\.csv:4: malformed CSV/);
    const wrongCount = resultsDir(join(dir, 'c'), good + 'a,b\n', runJsonFor({ index: 1, count: 2 }));
    oneLineError(kz('merge', wrongCount, b, '--out', join(dir, 'm2')), /c\/results\.csv:4: 2 fields where the header has \d+: "a,b"$/);
    const badJson = resultsDir(join(dir, 'd'), good, '{"kzbench_version": ');
    oneLineError(kz('merge', badJson, b, '--out', join(dir, 'm3')), /d\/run\.json: not valid JSON/);
  });

  it('run --resume over a malformed results.csv', () => {
    const { dir: d, image } = fixtureDir('reader-resume');
    const out = join(d, 'out');
    const first = kz('run', '--image', image, '--codec', 'lz4:1', '--min-runs', '1', '--min-time', '0', '--out', out);
    assert.equal(first.status, 0, first.stderr);
    appendFileSync(join(out, 'results.csv'), 'not,a,row\n');
    const r = kz('run', '--image', image, '--codec', 'lz4:1', '--min-runs', '1', '--min-time', '0', '--out', out, '--resume');
    // run says what it is about to do first; the error is then one line, no stack.
    assert.equal(r.status, 2, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('kzbench: '));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, /^kzbench: .*results\.csv:3: 3 fields where the header has \d+: "not,a,row"$/);
    assert.doesNotMatch(r.stderr, /\s+at .*\.js:\d+/);
  });

  it('a FIFO as results.csv or run.json is refused, never waited on', { skip: !haveMkfifo && 'mkfifo not installed' }, () => {
    const fifo = (p: string) => assert.equal(spawnSync('mkfifo', [p]).status, 0);
    // A hang fails the test at the timeout instead of blocking it.
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
    const csvFifo = join(dir, 'fifo-csv');
    mkdirSync(csvFifo);
    fifo(join(csvFifo, 'results.csv'));
    writeFileSync(join(csvFifo, 'run.json'), JSON.stringify(runJsonFor({ index: 1, count: 2 })));
    const good2 = resultsDir(join(dir, 'good2'), good, runJsonFor({ index: 2, count: 2 }));
    oneLineError(run('report', csvFifo), /fifo-csv\/results\.csv: results file is a FIFO \(named pipe\), not a file/);
    oneLineError(run('merge', csvFifo, good2, '--out', join(dir, 'm4')), /fifo-csv\/results\.csv: results file is a FIFO/);
    oneLineError(run('pick', '--board', 'x86-pc', '--results', csvFifo), /fifo-csv\/results\.csv: results file is a FIFO/);
    assert.throws(() => ResultsWriter.open(join(csvFifo, 'results.csv'), 'resume'), /results file is a FIFO/);

    const jsonFifo = join(dir, 'fifo-json');
    mkdirSync(jsonFifo);
    writeFileSync(join(jsonFifo, 'results.csv'), good);
    fifo(join(jsonFifo, 'run.json'));
    oneLineError(run('merge', jsonFifo, good2, '--out', join(dir, 'm5')), /fifo-json\/run\.json: run\.json is a FIFO \(named pipe\), not a file/);
    // report: run.json only describes the run; the report is made and says why it is left out.
    const r = run('report', jsonFifo);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /run\.json left out: .*run\.json is a FIFO/);
  });
});
