// Append-only results.csv writer. The header is written once; each row is
// written with a single write() of a whole line and then fdatasync'd, so a
// Ctrl-C or a crash leaves complete rows (at worst a torn final line if the
// machine dies mid-write, which the reader and resume drop).

import { KzError } from '../errors.js';
import { closeSync, existsSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { headerLine, rowLine } from './csv.js';
import { fileStartsWith, forEachResultRow, MAX_RESULTS_FILE } from './reader.js';
import { checkInputFile } from '../files.js';
import type { ResultRow } from './schema.js';

/**
 * What to do when results.csv already holds rows: refuse ('error', the
 * default), start over ('overwrite'), or keep them and append ('resume').
 */
export type ExistingResults = 'error' | 'overwrite' | 'resume';

export class ResultsError extends KzError {
  override name = 'ResultsError';
}

export class ResultsWriter {
  #fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    /** Rows already in the file when it was opened for resume. */
    readonly previousRows: ResultRow[],
  ) {
    this.#fd = fd;
  }

  static open(path: string, existing: ExistingResults = 'error'): ResultsWriter {
    mkdirSync(dirname(path), { recursive: true });
    const header = headerLine();
    let previousRows: ResultRow[] = [];
    if (existsSync(path)) {
      // Stat first: a FIFO, a device or a directory is refused before it is opened.
      const size = checkInputFile(path, 'results file', MAX_RESULTS_FILE);
      if (size > 0 && existing === 'error') {
        throw new ResultsError(`${path} already exists: choose another output directory, resume it, or overwrite it`);
      }
      if (size > 0 && existing === 'resume') {
        if (!fileStartsWith(path, header)) {
          throw new ResultsError(`${path} has a different header than this kzbench writes (other version?): cannot resume into it; use another output directory`);
        }
        // Streamed: rows are checked one at a time and only they are kept, not the file's text.
        const keep = forEachResultRow(path, (row) => previousRows.push(row)).completeBytes;
        const fd = openSync(path, 'r+');
        // Drop a torn final line so new rows start on a line of their own.
        ftruncateSync(fd, keep);
        closeSync(fd);
        return new ResultsWriter(path, openSync(path, 'a'), previousRows);
      }
    }
    const fd = openSync(path, 'w');
    writeSync(fd, header);
    fdatasyncSync(fd);
    return new ResultsWriter(path, fd, previousRows);
  }

  append(row: ResultRow): void {
    if (this.#fd === undefined) throw new ResultsError(`${this.path}: writer is closed`);
    const line = Buffer.from(rowLine(row), 'utf8');
    let off = 0;
    // writeSync of a regular file writes everything; loop only for safety.
    while (off < line.length) off += writeSync(this.#fd, line, off, line.length - off);
    fdatasyncSync(this.#fd);
  }

  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    closeSync(fd);
  }
}
