// Property: whatever a results.csv holds, reading it (the streaming reader,
// and report loading in-process) ends in rows or a KzError, never another
// exception and never a hang. Inputs: valid rows from the schema, then
// truncated, with fields flipped to hostile strings, wrong column counts,
// stray quotes, CR/LF and huge fields.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import { asKzError } from '../src/errors.js';
import { buildReport, renderMarkdown } from '../src/report/index.js';
import { headerLine, rowLine } from '../src/results/csv.js';
import { forEachResultRow, parseResults, splitCsvLine } from '../src/results/reader.js';
import { COLD_COLUMNS, COLD_TEXT_COLUMNS, COLUMNS, NUMERIC_COLUMNS, PARAM_COLUMNS, type ResultRow } from '../src/results/schema.js';

const hostile = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom(
    '',
    '"',
    ',',
    '""',
    '"a"b',
    'a"b',
    '\n',
    '\r\n',
    '\r',
    'x,"y"',
    '\u0000',
    '\ufeff',
    'true',
    'NaN',
    '1e999',
    '0x10',
    ' 1',
    '-',
    '\u2028',
    '\ud800',
  ),
);
const num = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 2 ** 40 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }));
const TEXT = COLUMNS.filter(
  (c) => !NUMERIC_COLUMNS.has(c) && !(PARAM_COLUMNS as readonly string[]).includes(c) && c !== 'verified' && !(COLD_COLUMNS as readonly string[]).includes(c),
);

/** A row as kzbench could write it: any text, any finite numbers, a few realistic values mixed in. */
const rowArb: fc.Arbitrary<ResultRow> = fc
  .record({
    text: fc.array(fc.oneof(hostile, fc.constantFrom('whole', 'section', 'cold', '.text', 'xz', 'zstd', 'gzip:level=9', 'cell-a', 'cell-b', 'ab'.repeat(32))), {
      minLength: TEXT.length,
      maxLength: TEXT.length,
    }),
    nums: fc.array(num, { minLength: NUMERIC_COLUMNS.size, maxLength: NUMERIC_COLUMNS.size }),
    params: fc.array(fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), hostile), { minLength: PARAM_COLUMNS.length, maxLength: PARAM_COLUMNS.length }),
    cold: fc.option(fc.array(hostile, { minLength: COLD_TEXT_COLUMNS.size, maxLength: COLD_TEXT_COLUMNS.size })),
    verified: fc.boolean(),
  })
  .map(({ text, nums, params, cold, verified }) => {
    const r: Record<string, unknown> = { verified };
    TEXT.forEach((c, i) => (r[c] = text[i]));
    [...NUMERIC_COLUMNS].forEach((c, i) => (r[c] = nums[i]));
    PARAM_COLUMNS.forEach((c, i) => (r[c] = params[i]));
    if (cold) [...COLD_TEXT_COLUMNS].forEach((c, i) => (r[c] = cold[i]));
    // not a cold row: its cold columns are empty
    else for (const c of COLD_COLUMNS) delete r[c];
    return r as unknown as ResultRow;
  });

type Mutation = (lines: string[]) => string[];
const at = (lines: string[], i: number) => Math.min(lines.length - 1, i % Math.max(1, lines.length));
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // a field replaced by a hostile string, raw (unquoted)
  fc.tuple(fc.nat(), fc.nat(), hostile).map(([l, f, s]): Mutation => (lines) => {
    const out = [...lines];
    const k = at(out, l);
    const parts = out[k]!.split(',');
    parts[f % parts.length] = s;
    out[k] = parts.join(',');
    return out;
  }),
  // a field dropped or added
  fc.tuple(fc.nat(), fc.boolean()).map(([l, add]): Mutation => (lines) => {
    const out = [...lines];
    const k = at(out, l);
    out[k] = add ? `${out[k]},extra` : out[k]!.slice(0, Math.max(0, out[k]!.lastIndexOf(',')));
    return out;
  }),
  // a stray quote somewhere
  fc.tuple(fc.nat(), fc.nat()).map(([l, p]): Mutation => (lines) => {
    const out = [...lines];
    const k = at(out, l);
    const s = out[k]!;
    const i = p % (s.length + 1);
    out[k] = s.slice(0, i) + '"' + s.slice(i);
    return out;
  }),
  // a huge field
  fc.tuple(fc.nat(), fc.integer({ min: 1000, max: 20000 })).map(([l, n]): Mutation => (lines) => {
    const out = [...lines];
    const k = at(out, l);
    out[k] = `${out[k]}${'"x'.repeat(n)}`;
    return out;
  }),
  // a line duplicated, or the header as a row
  fc.nat().map((l): Mutation => (lines) => {
    const out = [...lines];
    out.splice(at(out, l), 0, out[at(out, l)]!);
    return out;
  }),
);

const fileArb = fc.record({
  rows: fc.array(rowArb, { maxLength: 5 }),
  mutations: fc.array(mutation, { maxLength: 3 }),
  cut: fc.option(fc.nat()),
  crlf: fc.boolean(),
});

test('property: every results.csv ends in rows or a KzError, through the reader and report loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-reliability-results-'));
  const path = join(dir, 'results.csv');
  let inputs = 0;
  let crashes = 0;
  let errors = 0;
  const survive = (f: () => unknown): boolean => {
    try {
      f();
      return true;
    } catch (e) {
      if (asKzError(e) !== undefined) {
        errors++;
        return true;
      }
      crashes++;
      throw e;
    }
  };
  fc.assert(
    fc.property(fileArb, ({ rows, mutations, cut, crlf }) => {
      inputs++;
      let lines = (headerLine() + rows.map(rowLine).join('')).split('\n');
      const valid = mutations.length === 0 && cut === null;
      for (const m of mutations) lines = m(lines);
      let text = lines.join(crlf ? '\r\n' : '\n');
      if (cut !== null) text = text.slice(0, cut % (text.length + 1));
      if (valid) {
        // Untouched files always read back, every row.
        assert.equal(parseResults(text).rows.length, rows.length);
      }
      survive(() => parseResults(text));
      writeFileSync(path, text);
      survive(() => forEachResultRow(path, () => {}));
      survive(() => renderMarkdown(buildReport(dir, { readImages: false })));
      return true;
    }),
    { numRuns: 10_000 },
  );
  console.log(`property: results.csv ${inputs} inputs, ${crashes} crashes (${errors} KzErrors)`);
  assert.ok(inputs >= 10_000);
  assert.equal(crashes, 0);
});

test('property: the line splitter reads back what csv-stringify writes', () => {
  const field = fc.string({ unit: 'binary', maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, ' '));
  fc.assert(
    fc.property(fc.array(field, { minLength: 1, maxLength: 10 }), (fields) => {
      const line = stringify([fields], { record_delimiter: 'unix' }).slice(0, -1);
      // csv-stringify writes a record of one empty field as an empty line
      if (line === '') return;
      assert.deepEqual(splitCsvLine(line), fields);
    }),
    { numRuns: 2000 },
  );
});
