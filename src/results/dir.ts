// A results directory has one writer at a time, and kzbench never writes a
// results file through a symbolic link.
//
// The lock is a file, DIR/.kzbench.lock, holding the writer's pid, the pid's
// start time, the host and the command. It is made complete in a temporary
// file and then link()ed into place: link() fails with EEXIST when the lock
// exists, atomically, and a reader never sees a half-written lock. Why not
// flock/fcntl: Node has no binding for them, and the lock must work from the
// CLI without the native addon; a pid file also tells the refused user who
// holds the directory. A lock whose pid is dead (or whose pid now belongs to
// another process, told by its start time in /proc) is stale: a kill -9 never
// blocks the directory for good.
//
// The lock file also reserves RESERVE_BYTES of disk: when the disk fills up
// mid-run, freeReserve() gives that space back so run.json can still be
// marked interrupted.
//
// Files are written either to a temporary file in the same directory renamed
// over the target (rename replaces a symbolic link itself, never its target)
// or, for the appended results.csv, opened with O_NOFOLLOW.

import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { KzError } from '../errors.js';
import { KiB } from '../files.js';

export const LOCK_NAME = '.kzbench.lock';
/** Disk space the lock file keeps for the last run.json write on a full disk. */
export const RESERVE_BYTES = 64 * KiB;

/** What a lock file records about its holder. */
export interface LockHolder {
  pid: number;
  /** The pid's start time (field 22 of /proc/PID/stat), when known: tells a reused pid. */
  pid_start: string | null;
  host: string;
  command: string;
  started: string;
  /** Random, to tell this lock from a later one of the same pid. */
  token: string;
}

/** A second writer: one line naming the directory and the holder. */
export class DirLockedError extends KzError {
  override name = 'DirLockedError';
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host === hostname() ? '' : ` on ${holder.host}`;
    super(`in use by kzbench ${holder.command} (pid ${holder.pid}${where}, since ${holder.started}): one writer at a time; wait for it to finish or stop it`, dir);
  }
}

/** Start time of PID from /proc, or null where there is no /proc. */
function pidStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Is the lock's holder still running? A holder on another host is assumed to be. */
export function holderAlive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true;
  if (h.pid === process.pid) return held.has(h.token);
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
    // EPERM: the process exists (another user's)
  }
  const now = pidStart(h.pid);
  return h.pid_start === null || now === null || now === h.pid_start;
}

/** The holder recorded in the lock file at PATH; undefined when it is gone; 'invalid' when it is not a kzbench lock. */
function readHolder(path: string): LockHolder | 'invalid' | undefined {
  let text: string;
  try {
    const st = lstatSync(path);
    if (!st.isFile() || st.size > RESERVE_BYTES + 16 * KiB) return 'invalid';
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    // pid 0 or below would make kill(pid, 0) signal a process group: not a lock of ours
    if (Number.isInteger(h.pid) && h.pid > 0 && typeof h.token === 'string' && typeof h.host === 'string') return h;
  } catch {
    // fall through
  }
  return 'invalid';
}

const held = new Map<string, ResultsDirLock>();
let exitHook = false;

/**
 * The lock of one results directory, held by this process. Acquisitions of
 * the same directory in one process nest (the CLI holds it around runCells,
 * which takes it too); the file goes when the last one is released, or when
 * the process exits.
 */
export class ResultsDirLock {
  #count = 1;
  #fd: number | undefined;
  #contentBytes: number;

  private constructor(
    readonly dir: string,
    readonly path: string,
    readonly holder: LockHolder,
    fd: number,
    contentBytes: number,
  ) {
    this.#fd = fd;
    this.#contentBytes = contentBytes;
  }

  get released(): boolean {
    return this.#count === 0;
  }

  /** Give back the reserved disk space (the lock itself stays). */
  freeReserve(): void {
    if (this.#fd !== undefined) ftruncateSync(this.#fd, this.#contentBytes);
  }

  release(): void {
    if (this.#count === 0) return;
    if (--this.#count > 0) return;
    held.delete(this.holder.token);
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    // Remove the lock only if it is still this one.
    const now = readHolder(this.path);
    if (now && now !== 'invalid' && now.token === this.holder.token) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }

  /** Lock DIR (created if missing) for COMMAND, or a DirLockedError naming the holder. */
  static acquire(dir: string, command: string): ResultsDirLock {
    mkdirSync(dir, { recursive: true });
    const real = realpathSync(dir);
    for (const l of held.values()) {
      if (l.#realDir === real) {
        l.#count++;
        return l;
      }
    }
    const path = join(dir, LOCK_NAME);
    const holder: LockHolder = { pid: process.pid, pid_start: pidStart(process.pid), host: hostname(), command, started: new Date().toISOString(), token: randomBytes(8).toString('hex') };
    const content = Buffer.from(JSON.stringify(holder) + '\n');
    const tmp = join(dir, `${LOCK_NAME}.${process.pid}.${holder.token}.tmp`);
    const fd = openSync(tmp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      writeAll(fd, Buffer.concat([content, Buffer.alloc(RESERVE_BYTES - content.length, 0x20)]));
      for (let attempt = 0; ; attempt++) {
        try {
          linkSync(tmp, path);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const other = readHolder(path);
        if (other === 'invalid') throw new KzError(`${path} is not a kzbench lock: if no kzbench is writing ${dir}, remove it`, dir);
        if (other && holderAlive(other)) throw new DirLockedError(dir, other);
        if (attempt >= 5) throw new KzError(`cannot take the lock ${path}: it keeps changing`, dir);
        if (other) breakStale(path, other);
      }
    } catch (e) {
      closeSync(fd);
      unlinkQuiet(tmp);
      throw e;
    }
    unlinkQuiet(tmp);
    const lock = new ResultsDirLock(dir, path, holder, fd, content.length);
    lock.#realDir = real;
    held.set(holder.token, lock);
    if (!exitHook) {
      exitHook = true;
      // process.exit() (the CLI's exit 2) runs no finally blocks: release here too.
      process.on('exit', () => {
        for (const l of [...held.values()]) {
          while (!l.released) l.release();
        }
      });
    }
    return lock;
  }

  #realDir = '';
}

/**
 * Remove the stale lock HOLDER left: rename it aside (only one of several
 * breakers can), then check that what was moved is that stale lock and not a
 * fresh one taken meanwhile, which is put back.
 */
function breakStale(path: string, stale: LockHolder): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readHolder(aside);
  if (moved && moved !== 'invalid' && moved.token !== stale.token) {
    try {
      linkSync(aside, path);
    } catch {
      // someone took the lock meanwhile: theirs stands
    }
  }
  unlinkQuiet(aside);
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function writeAll(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** A KzError when PATH is a symbolic link (kzbench never writes through one). */
export function refuseSymlink(path: string): void {
  let isLink = false;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    return;
  }
  if (isLink) throw symlinkError(path);
}

function symlinkError(path: string): KzError {
  return new KzError('is a symbolic link: kzbench does not write results through links (remove it, or choose another directory)', path);
}

/**
 * Write DATA to PATH whole: to a new temporary file in the same directory,
 * synced, then renamed over PATH. A reader sees the old file or the new one;
 * a symbolic link at PATH is replaced, its target untouched.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    writeAll(fd, buf);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkQuiet(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    unlinkQuiet(tmp);
    throw e;
  }
}

/**
 * Open an existing file to append (and, with READ, to read and truncate),
 * refusing a symbolic link (O_NOFOLLOW) or anything but a regular file.
 */
export function openNoFollow(path: string, read = false): number {
  refuseSymlink(path);
  let fd: number;
  try {
    fd = openSync(path, (read ? constants.O_RDWR : constants.O_WRONLY) | constants.O_APPEND | constants.O_NOFOLLOW);
  } catch (e) {
    // swapped for a link between the lstat and the open
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkError(path);
    throw e;
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new KzError('is not a regular file: kzbench writes results only into files of its own', path);
  }
  return fd;
}

/** The most worker threads a run may have: 4 per core (os.availableParallelism()). */
export function maxWorkers(): number {
  return availableParallelism() * 4;
}

/**
 * A worker count from FLAG's text: a whole number from 1 to maxWorkers(),
 * else a KzError saying the bound. Undefined stays undefined (the default).
 */
export function parseWorkers(text: string | number | undefined, flag = '--workers'): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const max = maxWorkers();
  if (!Number.isInteger(n) || n < 1) throw new KzError(`${flag} ${text}: expected a whole number of at least 1`);
  if (n > max) throw new KzError(`${flag} ${text}: at most ${max} (4 per core, ${availableParallelism()} cores): more threads only add memory, not speed`);
  return n;
}
