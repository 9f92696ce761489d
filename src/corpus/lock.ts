// One lock file per cache entry, so two kzbench processes fetching the same
// kernel do not download and extract it into each other: the first creates
// the lock (O_EXCL), the others wait and then find the kernel cached. Locks
// of different entries are different files, so different kernels are
// fetched at the same time. A lock left by a killed process is taken over:
// on this host when its pid is gone, from another host (a shared cache)
// when it is older than STALE_MS. Fetching is synchronous (apt-get and
// dpkg-deb run with execFileSync), so waiting is a synchronous sleep.

import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { KzError } from '../errors.js';

export class CacheLockError extends KzError {
  override name = 'CacheLockError';
}

interface Holder {
  pid: number;
  host: string;
  since: string;
}

export interface LockOptions {
  /** Say once that this process waits, and for whom. */
  log?: (s: string) => void;
  /** Give up after this long with a CacheLockError saying which lock to remove (default 2 hours). */
  maxWaitMs?: number;
  /** Between looks at the lock (default 200 ms). */
  pollMs?: number;
}

/** A lock from another host is taken over after this long (its pid cannot be asked). */
export const STALE_MS = 2 * 60 * 60 * 1000;
/** A lock file that does not say who holds it (its writer died between create and write) is stale after this long. */
const UNREADABLE_STALE_MS = 10_000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => Atomics.wait(sleeper, 0, 0, ms);

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.since === 'string') return h as Holder;
  } catch {
    // unreadable: judged by age
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why the lock at PATH (holding TEXT, modified at MTIME) is stale, or undefined while its holder may still be at work. */
function staleness(text: string, mtimeMs: number): string | undefined {
  const h = parseHolder(text);
  const age = Date.now() - mtimeMs;
  if (!h) return age > UNREADABLE_STALE_MS ? 'a lock file that names no holder' : undefined;
  if (h.host === hostname()) return h.pid !== process.pid && !alive(h.pid) ? `a lock of pid ${h.pid}, which is gone` : undefined;
  return age > STALE_MS ? `a lock of ${h.host} pid ${h.pid} from ${h.since}` : undefined;
}

/** Remove the stale lock at PATH if it still holds TEXT (another waiter may have replaced it meanwhile). */
function breakStale(path: string, text: string): void {
  const grave = `${path}.stale.${process.pid}.${Date.now()}`;
  try {
    renameSync(path, grave);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    // Not the lock judged stale: a live one taken by mistake goes back (unless yet another was made).
    if (readFileSync(grave, 'utf8') !== text) linkSync(grave, path);
  } catch {
    // a new lock is there already: leave it
  } finally {
    unlinkSync(grave);
  }
}

/** Try once to create the lock; its contents when someone else holds it. */
function tryCreate(path: string, mine: string): { held: true } | { held: false; text: string; mtimeMs: number } {
  try {
    const fd = openSync(path, 'wx');
    try {
      writeSync(fd, mine);
    } finally {
      closeSync(fd);
    }
    return { held: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  try {
    const mtimeMs = statSync(path).mtimeMs;
    return { held: false, text: readFileSync(path, 'utf8'), mtimeMs };
  } catch (e) {
    // released between our create and our look: try again at once
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { held: false, text: '', mtimeMs: -1 };
    throw e;
  }
}

/**
 * Run FN holding the lock file PATH (WHAT names what it guards, for the
 * messages). Waits while another live process holds it; takes over a stale
 * one; releases it afterwards, also when FN throws.
 */
export function withLock<T>(path: string, what: string, fn: () => T, options: LockOptions = {}): T {
  const { log = () => {}, maxWaitMs = STALE_MS, pollMs = 200 } = options;
  mkdirSync(dirname(path), { recursive: true });
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies Holder) + '\n';
  const start = Date.now();
  let said = false;
  for (;;) {
    const got = tryCreate(path, mine);
    if (got.held) break;
    if (got.mtimeMs < 0) continue;
    const stale = staleness(got.text, got.mtimeMs);
    if (stale) {
      log(`taking over ${stale} on ${what} (${path})`);
      breakStale(path, got.text);
      continue;
    }
    const h = parseHolder(got.text);
    if (Date.now() - start > maxWaitMs) {
      throw new CacheLockError(
        `${what} is still being fetched by ${h ? `pid ${h.pid} on ${h.host}` : 'another process'} after ${Math.round(maxWaitMs / 1000)} s; if nothing is fetching it, remove the lock file`,
        path,
      );
    }
    if (!said) {
      log(`waiting: ${h ? `pid ${h.pid}` : 'another kzbench'} is fetching ${what}`);
      said = true;
    }
    sleep(pollMs);
  }
  try {
    return fn();
  } finally {
    try {
      if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
    } catch {
      // already gone (taken over as stale): nothing to release
    }
  }
}
