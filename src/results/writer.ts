// Append-only results.csv writer. The header is written once; each row is
// written with a single write() of a whole line and then fdatasync'd, so a
// Ctrl-C or a crash leaves complete rows (at worst a torn final line if the
// machine dies mid-write, which the reader and resume drop). A write that
// fails (a full disk) is undone back to the last complete row before the
// error is passed on. The file is never written through a symbolic link.

import { asKzError, KzError } from '../errors.js';
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { headerLine, rowLine } from './csv.js';
import { openNoFollow, refuseSymlink, writeFileAtomic } from './dir.js';
import { fileStartsWith, forEachResultRow, MAX_RESULTS_FILE } from './reader.js';
import { checkInputFile } from '../files.js';
import type { ResultRow } from './schema.js';

/**
 * What to do when results.csv already holds rows: refuse ('error', the
 * default), start over ('overwrite'), or keep them and append ('resume').
 */
export type ExistingResults = 'error' | 'overwrite' | 'resume';

/** How rows reach the file (fs.writeSync's shape); a test can make it fail like a full disk. */
export type WriteFn = (fd: number, buffer: Uint8Array, offset: number, length: number) => number;

export class ResultsError extends KzError {
  override name = 'ResultsError';
}

export class ResultsWriter {
  #fd: number | undefined;
  #write: WriteFn;
  #failed = false;

  private constructor(
    readonly path: string,
    fd: number,
    /** Rows already in the file when it was opened for resume. */
    readonly previousRows: ResultRow[],
    write: WriteFn,
  ) {
    this.#fd = fd;
    this.#write = write;
  }

  static open(path: string, existing: ExistingResults = 'error', write: WriteFn = writeSync): ResultsWriter {
    mkdirSync(dirname(path), { recursive: true });
    // Overwrite replaces the file (a link at its place included, never the
    // link's target); keeping its rows needs the file itself, not a link.
    if (existing !== 'overwrite') refuseSymlink(path);
    const header = headerLine();
    if (existing !== 'overwrite' && existsSync(path)) {
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
        const previousRows: ResultRow[] = [];
        const keep = forEachResultRow(path, (row) => previousRows.push(row)).completeBytes;
        const fd = openNoFollow(path, true);
        try {
          // Drop a torn final line so new rows start on a line of their own.
          ftruncateSync(fd, keep);
        } catch (e) {
          closeSync(fd);
          throw e;
        }
        return new ResultsWriter(path, fd, previousRows, write);
      }
    }
    writeFileAtomic(path, header);
    return new ResultsWriter(path, openNoFollow(path), [], write);
  }

  append(row: ResultRow): void {
    if (this.#fd === undefined) throw new ResultsError(`${this.path}: writer is closed`);
    if (this.#failed) throw new ResultsError(`${this.path}: an earlier write failed`);
    const fd = this.#fd;
    const line = Buffer.from(rowLine(row), 'utf8');
    const before = fstatSync(fd).size;
    try {
      let off = 0;
      // writeSync of a regular file writes everything unless the disk is full; loop for safety.
      while (off < line.length) off += this.#write(fd, line, off, line.length - off);
      fdatasyncSync(fd);
    } catch (e) {
      this.#failed = true;
      // Undo the part of the row that got written: the file ends with complete rows.
      try {
        ftruncateSync(fd, before);
      } catch {
        // the reader and resume drop a torn line anyway
      }
      throw asKzError(e, this.path) ?? e;
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    closeSync(fd);
  }
}
