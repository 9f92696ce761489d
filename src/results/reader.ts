// Read results.csv back into typed rows, streaming: the file is read in
// chunks, split into lines, and each row is checked and handed to the
// caller one at a time, so a million-row file costs one chunk of memory
// plus whatever the caller keeps.
//
// Why a synchronous chunked read and a line splitter of our own rather than
// csv-parse: every consumer (report, merge, pick, the writer's resume) is
// synchronous, and csv.ts writes every record as exactly one physical line
// (CR/LF in text fields are replaced before quoting), so a record is a line
// and a line is split on its own. That ties each problem to FILE:LINE, keeps
// the file's contents out of the message (csv-parse's messages quote field
// values), and costs a few microseconds a row where csv-parse's sync API
// took ~50 (50 s for 10^6 rows). The writing side keeps csv-stringify.
//
// A final line without '\n' (a row torn by a crash mid-write) is dropped,
// never half-parsed.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { excerpt, KzError } from '../errors.js';
import { checkInputFile, GiB, MiB } from '../files.js';
import { COLD_COLUMNS, TIMING_COLUMNS, COLUMNS, CONTRACT_COLUMNS, NUMERIC_COLUMNS, PARAM_COLUMNS, type ParamValue, type ResultRow } from './schema.js';

export interface ParsedResults {
  rows: ResultRow[];
  /** True when an incomplete final line was dropped. */
  droppedPartialLine: boolean;
  /** Columns in the file that this version does not know (kept out of rows). */
  unknownColumns: string[];
}

/** What reading a results.csv saw, besides its rows. */
export interface ResultsFileInfo {
  /** Rows handed to the caller. */
  rows: number;
  droppedPartialLine: boolean;
  unknownColumns: string[];
  /** Bytes up to and including the last '\n' (what is left when a torn final line is cut off). */
  completeBytes: number;
}

/** A malformed results.csv: one line naming FILE:LINE and the problem, with at most an excerpt of the row. */
export class ResultsFileError extends KzError {
  override name = 'ResultsFileError';
}

/** Largest results.csv kzbench reads (streamed, so this is a sanity bound, not a memory one). */
export const MAX_RESULTS_FILE = 64 * GiB;
/** Longest line: a kzbench row is well under 64 KiB; anything longer is not a results.csv. */
export const MAX_LINE_BYTES = 4 * MiB;
const CHUNK_BYTES = 1 * MiB;

const PARAMS: ReadonlySet<string> = new Set(PARAM_COLUMNS);
/** Optional in ResultRow: left out of a row when empty (cold columns on every row but a cold cell's; timing columns on failed rows and old files). */
const OPTIONAL: ReadonlySet<string> = new Set([...COLD_COLUMNS, ...TIMING_COLUMNS]);
/** A number as csv.ts writes one (String(number)), nothing looser: no hex, no spaces, no Infinity. */
const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

function paramValue(s: string): ParamValue {
  if (s === '') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s)) return Number(s);
  return s;
}

/**
 * The fields of one CSV line (RFC 4180 quoting, no record delimiter inside),
 * or where and why it is malformed.
 */
export function splitCsvLine(line: string): string[] | { column: number; problem: string } {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) return { column: i + 1, problem: 'a quoted field is not closed on its line' };
        if (line.charCodeAt(q + 1) === 34) {
          value += line.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        value += line.slice(j, q);
        i = q + 1;
        break;
      }
      out.push(value);
      if (i === n) return out;
      if (line.charCodeAt(i) !== 44 /* , */) return { column: i + 1, problem: 'text after a closing quote' };
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      const field = line.slice(i, end);
      const quote = field.indexOf('"');
      if (quote >= 0) return { column: i + quote + 1, problem: 'a quote inside an unquoted field' };
      out.push(field);
      if (comma < 0) return out;
      i = comma + 1;
    }
  }
}

/** Header and rows of one results.csv, checked line by line. */
class RowDecoder {
  #index: Int32Array | undefined;
  #fields = 0;
  unknownColumns: string[] = [];

  constructor(readonly file: string) {}

  get haveHeader(): boolean {
    return this.#index !== undefined;
  }

  #fail(line: number, what: string): never {
    throw new ResultsFileError(`${this.file}:${line}: ${what}`, this.file);
  }

  #split(text: string, line: number): string[] {
    const fields = splitCsvLine(text);
    if (Array.isArray(fields)) return fields;
    this.#fail(line, `malformed CSV at character ${fields.column}: ${fields.problem}: ${excerpt(text)}`);
  }

  header(text: string, line: number): void {
    const names = this.#split(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, line);
    const seen = new Set<string>();
    for (const h of names) {
      if (seen.has(h)) this.#fail(line, `the header names column ${excerpt(h, 40)} twice`);
      seen.add(h);
    }
    const missing = CONTRACT_COLUMNS.filter((c) => !seen.has(c));
    if (missing.length) {
      this.#fail(line, `not a kzbench results.csv header: no ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''} column${missing.length > 1 ? 's' : ''}: ${excerpt(text)}`);
    }
    const known = new Set<string>(COLUMNS);
    this.unknownColumns = names.filter((h) => !known.has(h));
    this.#index = Int32Array.from(COLUMNS, (c) => names.indexOf(c));
    this.#fields = names.length;
  }

  row(text: string, line: number): ResultRow {
    const fields = this.#split(text, line);
    if (fields.length !== this.#fields) this.#fail(line, `${fields.length} field${fields.length === 1 ? '' : 's'} where the header has ${this.#fields}: ${excerpt(text)}`);
    const index = this.#index!;
    const row: Record<string, unknown> = {};
    for (let k = 0; k < COLUMNS.length; k++) {
      const c = COLUMNS[k]!;
      const at = index[k]!;
      const s = at < 0 ? '' : fields[at]!;
      if (OPTIONAL.has(c) && s === '') continue;
      if (c === 'verified') {
        if (s !== 'true' && s !== 'false') this.#fail(line, `verified is ${excerpt(s, 30)}, not true or false`);
        row[c] = s === 'true';
      } else if (NUMERIC_COLUMNS.has(c)) {
        if (s === '') row[c] = null;
        else {
          const v = Number(s);
          if (!NUMBER.test(s) || !Number.isFinite(v)) this.#fail(line, `${c} is ${excerpt(s, 30)}, not a number`);
          row[c] = v;
        }
      } else if (PARAMS.has(c)) row[c] = paramValue(s);
      else row[c] = s;
    }
    if (row['attempts'] === null) row['attempts'] = 0;
    return row as unknown as ResultRow;
  }
}

/** Lines in, rows out: skips blank lines, takes the first line as the header. */
class LineSink {
  readonly decoder: RowDecoder;
  rows = 0;

  constructor(
    file: string,
    readonly each: (row: ResultRow, line: number) => void,
  ) {
    this.decoder = new RowDecoder(file);
  }

  line(raw: string, line: number): void {
    const text = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
    if (text === '') return;
    if (!this.decoder.haveHeader) this.decoder.header(text, line);
    else {
      this.each(this.decoder.row(text, line), line);
      this.rows++;
    }
  }
}

/**
 * Hand every row of the results.csv at PATH to EACH, in file order, with its
 * line number. The file is checked first (a FIFO, a device or a directory is
 * refused before it is opened) and read in 1 MiB chunks; a malformed line is
 * a ResultsFileError naming PATH:LINE.
 */
export function forEachResultRow(path: string, each: (row: ResultRow, line: number) => void): ResultsFileInfo {
  checkInputFile(path, 'results file', MAX_RESULTS_FILE);
  const sink = new LineSink(path, each);
  // O_NONBLOCK: had the file been swapped for a FIFO since the stat, open would not block on it
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let carry: Buffer = Buffer.alloc(0);
  let line = 0;
  let completeBytes = 0;
  try {
    if (!fstatSync(fd).isFile()) throw new ResultsFileError('results file is not a regular file', path);
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const got = readSync(fd, chunk, 0, CHUNK_BYTES, null);
      if (got === 0) break;
      const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, got)]) : chunk.subarray(0, got);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
        sink.line(buf.toString('utf8', start, nl), ++line);
        start = nl + 1;
      }
      // The rest has no newline yet: keep a copy (chunk is reused) for the next read.
      completeBytes += start;
      carry = Buffer.from(buf.subarray(start));
      if (carry.length > MAX_LINE_BYTES) throw new ResultsFileError(`${path}:${line + 1}: a line longer than ${MAX_LINE_BYTES / MiB} MiB: not a kzbench results.csv`, path);
    }
  } finally {
    closeSync(fd);
  }
  return { rows: sink.rows, droppedPartialLine: carry.length > 0, unknownColumns: sink.decoder.unknownColumns, completeBytes };
}

/** Every row of a results.csv held in TEXT (FILE names it in errors); the same checks as forEachResultRow. */
export function parseResults(text: string, file = 'results.csv'): ParsedResults {
  const rows: ResultRow[] = [];
  const sink = new LineSink(file, (r) => rows.push(r));
  let start = 0;
  let line = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    sink.line(text.slice(start, nl), ++line);
    start = nl + 1;
  }
  return { rows, droppedPartialLine: start < text.length, unknownColumns: sink.decoder.unknownColumns };
}

/** Every row of the results.csv at PATH, in memory: for small files (tests, a cold run's resume). */
export function readResults(path: string): ParsedResults {
  const rows: ResultRow[] = [];
  const info = forEachResultRow(path, (r) => rows.push(r));
  return { rows, droppedPartialLine: info.droppedPartialLine, unknownColumns: info.unknownColumns };
}

/** True when the file at PATH starts with the bytes of TEXT (read: only as many bytes as TEXT has). */
export function fileStartsWith(path: string, text: string): boolean {
  const want = Buffer.from(text, 'utf8');
  const got = Buffer.alloc(want.length);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    let n = 0;
    while (n < want.length) {
      const r = readSync(fd, got, n, want.length - n, n);
      if (r === 0) break;
      n += r;
    }
    return n === want.length && got.equals(want);
  } finally {
    closeSync(fd);
  }
}

/**
 * A copy of S that does not share memory with the line it was cut from. V8
 * keeps a whole line (or chunk) alive for as long as any slice of it lives;
 * a consumer that keeps a field of many rows keeps an own copy instead.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}
