// What every part of the corpus shares: its error, the cache directory, and
// running apt/dpkg with the first error line in the message.
import { KzError } from '../errors.js';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

export class CorpusError extends KzError {
  override name = 'CorpusError';
}

export function cacheDir(): string {
  if (process.env.KZBENCH_CACHE) return process.env.KZBENCH_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kzbench');
}

/** The first line of a failed command's stderr that says what went wrong. */
export function firstError(stderr: string, fallback: string): string {
  return (
    stderr
      .trim()
      .split('\n')
      .filter((l) => /^E:|error/i.test(l))[0] ?? fallback
  );
}

export function run(cmd: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): string {
  try {
    return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; code?: string; message: string };
    const shown = args.filter((a, i) => a !== '-o' && args[i - 1] !== '-o');
    throw new CorpusError(`${cmd} ${shown.join(' ')} failed: ${firstError(err.stderr ?? '', err.code ?? err.message.split('\n')[0]!)}`);
  }
}

export function hostDebArch(): string {
  try {
    return run('dpkg', ['--print-architecture']).trim();
  } catch {
    return process.arch === 'x64' ? 'amd64' : process.arch;
  }
}

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Debian version order (Debian Policy 5.6.12): epoch, then upstream and
 * revision, each compared as alternating non-digit and digit runs; in the
 * non-digit runs "~" sorts before everything, even the end, and letters
 * before other characters.
 */
export function compareDebianVersions(a: string, b: string): number {
  const split = (v: string): [number, string, string] => {
    const colon = v.indexOf(':');
    const epoch = colon >= 0 ? Number(v.slice(0, colon)) : 0;
    const rest = colon >= 0 ? v.slice(colon + 1) : v;
    const dash = rest.lastIndexOf('-');
    return dash >= 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, ''];
  };
  const order = (c: string | undefined): number => {
    if (c === undefined) return 0;
    if (c === '~') return -1;
    if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
    return c.charCodeAt(0) + 256;
  };
  const part = (x: string, y: string): number => {
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      while ((i < x.length && !/\d/.test(x[i]!)) || (j < y.length && !/\d/.test(y[j]!))) {
        const cx = i < x.length && !/\d/.test(x[i]!) ? x[i] : undefined;
        const cy = j < y.length && !/\d/.test(y[j]!) ? y[j] : undefined;
        const d = order(cx) - order(cy);
        if (d) return d;
        if (cx !== undefined) i++;
        if (cy !== undefined) j++;
      }
      let nx = '';
      let ny = '';
      while (i < x.length && /\d/.test(x[i]!)) nx += x[i++];
      while (j < y.length && /\d/.test(y[j]!)) ny += y[j++];
      const d = Number(nx || '0') - Number(ny || '0');
      if (d) return d;
    }
    return 0;
  };
  const [ea, ua, ra] = split(a);
  const [eb, ub, rb] = split(b);
  return ea - eb || part(ua, ub) || part(ra, rb);
}
