// Reading a trace file: checked like every input file before a byte is read
// (a regular file, not a FIFO, device or directory, of at most
// MAX_TRACE_FILE), then streamed in chunks, since boot traces can be larger
// than a JavaScript string can hold.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { excerpt, KzError } from '../../errors.js';
import { checkInputFile, GiB } from '../../files.js';
import type { Trace, TraceFormat } from '../types.js';
import { formatOf, HEAD_CHARS } from './detect.js';
import { TraceParser } from './parse.js';
import { TraceError } from './trace-error.js';

/**
 * Largest trace file kzbench reads. A trace is streamed, so its size does not
 * bound memory (MAX_TRACE_LINE and MAX_TRACE_ENTRIES do); this bounds time.
 * A function-tracer capture of a whole boot on every CPU is 10^7 to 10^8
 * lines of ~100 bytes, a few GiB; 16 GiB leaves room for that and still
 * reads in minutes, and a larger file is not one workload's trace (a disk
 * image given by mistake, say).
 */
export const MAX_TRACE_FILE = 16 * GiB;

/** Bytes read at a time. */
const CHUNK = 1 << 23;
/** Bytes the first read takes at least: the binary check looks at the first 4 KiB. */
const FIRST = 4096;

function cannot(path: string, e: unknown): TraceError {
  const code = (e as NodeJS.ErrnoException).code;
  return new TraceError(`cannot read: ${typeof code === 'string' ? code : excerpt(String((e as Error).message))}`, path);
}

/** Open PATH after checkInputFile said it is a regular file of at most MAX_TRACE_FILE; returns fd and size. */
function openTrace(path: string): { fd: number; size: number } {
  let size: number;
  try {
    // A missing file and a directory keep the words trace errors have always
    // had ("cannot read: ENOENT", "cannot read: EISDIR"); checkInputFile
    // refuses FIFOs, devices, sockets and oversized files.
    if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = checkInputFile(path, 'trace file', MAX_TRACE_FILE);
  } catch (e) {
    if (e instanceof KzError) throw new TraceError(e.message, path);
    throw cannot(path, e);
  }
  let fd: number;
  try {
    // O_NONBLOCK: had the file been swapped for a FIFO since the stat, open would not block on it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw cannot(path, e);
  }
  let regular = false;
  try {
    regular = fstatSync(fd).isFile();
  } finally {
    if (!regular) closeSync(fd);
  }
  if (!regular) throw new TraceError('trace file is no longer a regular file', path);
  return { fd, size };
}

/**
 * Read a trace file, streaming it in 8 MiB chunks. Errors name the file:
 * "FILE: cannot read: ENOENT", "FILE: trace file is a FIFO (named pipe), not
 * a file", "FILE:LINE: what".
 */
export function readTraceFile(path: string, format?: TraceFormat): Trace {
  return readTraceChunks(path, format, CHUNK);
}

/**
 * readTraceFile with the chunk size a parameter: the same result whatever
 * the size (tests read with tiny chunks to cross every line and UTF-8
 * boundary).
 */
export function readTraceChunks(path: string, format: TraceFormat | undefined, chunkBytes: number): Trace {
  const { fd, size } = openTrace(path);
  try {
    // A buffer no larger than the file needs (size + 1: one more read sees the end).
    const buf = Buffer.allocUnsafe(Math.max(FIRST, Math.min(chunkBytes, size + 1)));
    const decoder = new StringDecoder('utf8');
    let first = true;
    let eof = false;
    /** The next decoded piece of the file, '' at the end. */
    const next = (): string => {
      let n: number;
      try {
        n = readSync(fd, buf, 0, first ? buf.length : Math.min(chunkBytes, buf.length), null);
      } catch (e) {
        throw cannot(path, e);
      }
      if (first && n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) throw new TraceError('is gzip-compressed: decompress it first', path);
      if (first && buf.subarray(0, Math.min(n, FIRST)).includes(0))
        throw new TraceError('is a binary file, not a text trace (a perf.data? run "perf script" on it)', path);
      first = false;
      if (n === 0) {
        eof = true;
        return decoder.end();
      }
      return decoder.write(buf.subarray(0, n));
    };
    let text = '';
    while (text.length < HEAD_CHARS && !eof) text += next();
    const p = new TraceParser(path, formatOf(path, text, format));
    let rest = '';
    for (;;) {
      const chunk = rest === '' ? text : rest + text;
      let start = 0;
      for (;;) {
        const end = chunk.indexOf('\n', start);
        if (end < 0) break;
        p.line(chunk.slice(start, end));
        start = end + 1;
      }
      rest = chunk.slice(start);
      // A line without its newline yet is refused as soon as it is too long, not held until the end.
      p.checkLength(rest.length);
      if (eof) break;
      text = next();
    }
    if (rest.length > 0) p.line(rest);
    return p.finish();
  } finally {
    closeSync(fd);
  }
}
