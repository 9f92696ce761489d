// The vote: every entry that checks out votes for a base; the winner must
// clear MIN_VOTES, MIN_SHARE and RUNNER_UP and keep the kallsyms text
// markers inside the Image.

import { MIN_VOTES, type ImageBase, type Symbols } from './types.js';

/** The winner needs at least this share of the entries that voted... */
const MIN_SHARE = 0.5;
/** ...and this many times the votes of the next base. */
const RUNNER_UP = 8;
/** kallsyms markers that lie in the Image when they are present. */
const ANCHORS = new Set(['_text', '_stext', 'stext', '_etext', '_sinittext', '_einittext', '_head']);

export interface Tally {
  votes: Map<bigint, number>;
  /** File offsets of the entries that voted, per base (for the entry size). */
  where: Map<bigint, number[]>;
  candidates: number;
}

export function newTally(): Tally {
  return { votes: new Map(), where: new Map(), candidates: 0 };
}

export function vote(t: Tally, base: bigint, entry: number): void {
  t.votes.set(base, (t.votes.get(base) ?? 0) + 1);
  let w = t.where.get(base);
  if (!w) t.where.set(base, (w = []));
  if (w.length < 4096) w.push(entry);
}

/** Most common distance between successive voting entries: the entry size. */
function entrySize(where: number[]): number | undefined {
  const sorted = [...where].sort((x, y) => x - y);
  const gaps = new Map<number, number>();
  for (let i = 1; i < sorted.length; i++) {
    const g = sorted[i] - sorted[i - 1];
    if (g > 0 && g <= 64) gaps.set(g, (gaps.get(g) ?? 0) + 1);
  }
  let best: number | undefined,
    count = 0;
  for (const [g, c] of gaps)
    if (c > count) {
      best = g;
      count = c;
    }
  return best;
}

/** Name -> address, for the names that have one address only (a static symbol sharing an exported name is ambiguous). */
export function uniqueNames(symbols: Symbols): Map<string, bigint> {
  const addrOf = new Map<string, bigint>();
  const clash = new Set<string>();
  for (const s of symbols) {
    const a = addrOf.get(s.name);
    if (a === undefined) {
      if (!clash.has(s.name)) addrOf.set(s.name, s.address);
    } else if (a !== s.address) {
      addrOf.delete(s.name);
      clash.add(s.name);
    }
  }
  return addrOf;
}

export function decide(t: Tally, image: Uint8Array, symbols: Symbols, ws: 4 | 8, what: string): ImageBase | null {
  let best: bigint | undefined,
    votes = 0,
    second = 0;
  for (const [base, v] of t.votes) {
    if (v > votes) {
      second = votes;
      best = base;
      votes = v;
    } else if (v > second) second = v;
  }
  if (best === undefined || votes < MIN_VOTES) return null;
  if (votes < MIN_SHARE * t.candidates || votes < RUNNER_UP * second) return null;
  const len = BigInt(image.length);
  if (best + len > 1n << BigInt(8 * ws)) return null;
  // The kallsyms text markers present must lie in the Image.
  let anchors = 0;
  for (const s of symbols) {
    if (!ANCHORS.has(s.name)) continue;
    anchors++;
    if (s.address < best || s.address - best > len) return null;
  }
  if (!anchors) {
    let inside = 0;
    for (const s of symbols) if (s.address >= best && s.address - best < len) inside++;
    if (2 * inside < symbols.length) return null;
  }
  const size = entrySize(t.where.get(best) ?? []);
  return {
    base: best,
    method: `__ksymtab ${what}` + (size ? ` (${size}-byte entries)` : ''),
    votes,
    candidates: t.candidates,
  };
}
