// Reading a user's input file safely: it must be a regular file (a FIFO, a
// device or a directory would block or fail mid-read) and no larger than its
// kind allows, checked by stat before a byte is read. Failures are KzErrors
// naming the file.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync, constants, type Stats } from 'node:fs';
import { join } from 'node:path';
import { KzError } from './errors.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

/** Largest text file (suite, board, manifest, run.json) kzbench reads whole. */
export const MAX_TEXT_FILE = 16 * MiB;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** A size in words: "1.9 GiB", "12 MiB", "512 bytes". */
export function sizeText(n: number): string {
  if (n >= GiB) return `${(n / GiB).toFixed(1)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${(n / KiB).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/**
 * Stat PATH as an input of kind WHAT ("suite file", "kernel image"): a regular
 * file of at most MAXBYTES, else a KzError naming the file. Returns its size.
 */
export function checkInputFile(path: string, what: string, maxBytes: number): number {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KzError(`${what} not found`, path);
    throw e;
  }
  if (!st.isFile()) throw new KzError(`${what} is ${kindOf(st)}, not a file`, path);
  if (st.size > maxBytes) throw new KzError(`${what} is ${sizeText(st.size)}, more than the ${sizeText(maxBytes)} kzbench reads`, path);
  return st.size;
}

/** The bytes of an input file, checked first (checkInputFile). */
export function readInputFile(path: string, what: string, maxBytes: number): Buffer {
  checkInputFile(path, what, maxBytes);
  // O_NONBLOCK: had the file been swapped for a FIFO since the stat, open would not block on it
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new KzError(`${what} is ${kindOf(st)}, not a file`, path);
    if (st.size > maxBytes) throw new KzError(`${what} is ${sizeText(st.size)}, more than the ${sizeText(maxBytes)} kzbench reads`, path);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The UTF-8 text of an input file, checked first; MAXBYTES defaults to MAX_TEXT_FILE. */
export function readInputText(path: string, what: string, maxBytes = MAX_TEXT_FILE): string {
  return readInputFile(path, what, maxBytes).toString('utf8');
}

/**
 * Largest YAML file (suite, board, corpus manifest) kzbench reads. These are
 * written by hand: the shipped ones are a few KiB, and a suite listing
 * thousands of settings is still well under 100 KiB. 1 MiB leaves ten times
 * that; parsing YAML builds a node tree many times the text's size, so a
 * larger file would cost memory and seconds for nothing a person writes.
 */
export const MAX_YAML_FILE = 1 * MiB;

/**
 * The UTF-8 text of an input file, checked first (checkInputFile); a file that
 * is not UTF-8 text (a kernel image, a compressed file) is refused in one line
 * that names the first offending byte's offset, never its contents.
 */
export function readUtf8Input(path: string, what: string, maxBytes: number): string {
  const bytes = readInputFile(path, what, maxBytes);
  const nul = bytes.indexOf(0);
  if (nul !== -1) throw new KzError(`${what} is binary, not text (a NUL byte at offset ${nul})`, path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new KzError(`${what} is not UTF-8 text (binary data?)`, path);
  }
}

/** The sha256 of a file, read in 1 MiB chunks (an image is never held twice for it). */
export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.allocUnsafe(MiB);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** Every entry under ROOT that is not a directory (files and symlinks, `file` says which), depth first. */
export function* filesUnder(root: string): Generator<{ path: string; name: string; dir: string; file: boolean }> {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) stack.push(path);
      else yield { path, name: e.name, dir, file: e.isFile() };
    }
  }
}
