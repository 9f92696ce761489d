// Limits on what a suite may ask for, checked before anything is expanded:
// level ranges by their bounds and step, and the number of cells a suite may
// expand to (kzbench run --max-cells).
import { excerpt, KzError } from '../errors.js';

/** The cell-limit message: the count, the limit and how to raise it. */
export function cellLimitText(what: string, count: number, maxCells: number): string {
  return `${what} ${count.toLocaleString('en-US')} cells, more than the limit of ${maxCells.toLocaleString('en-US')} (kzbench run --max-cells N raises it)`;
}

/**
 * Cells a suite may expand to unless `kzbench run --max-cells N` says more.
 * A cell is one verified, timed compression; on a kernel (~10 MiB) even the
 * fastest settings take about a second each, so 100,000 cells is more than a
 * day of a 2-core machine: a larger suite is almost surely a typo in a range
 * or a list, and expanding it would only fill memory before the first line.
 */
export const DEFAULT_MAX_CELLS = 100_000;

/**
 * Range bounds and steps have at most 3 digits: every level any algorithm
 * takes is below 100, and a longer number (`"1..1000000000"`, 20 digits)
 * is refused by the schema before it is ever expanded.
 */
export const RANGE = /^\s*(\d{1,3})\s*\.\.\s*(\d{1,3})\s*(?:\/\s*(\d{1,3})\s*)?$/;

/** A level range's bounds and step, not expanded; undefined when the text is not a range. */
export function levelRange(v: string): { lo: number; hi: number; step: number } | undefined {
  const m = RANGE.exec(v);
  return m ? { lo: Number(m[1]), hi: Number(m[2]), step: Number(m[3] ?? 1) } : undefined;
}

/**
 * Why levels V cannot be swept for an algorithm whose levels are LO..HI, or
 * undefined when they can ('' when V is not a range at all: the schema's
 * pattern says so). Checked on the bounds and step, before expanding.
 */
export function levelsProblem(v: number | string | readonly number[], [lo, hi]: [number, number], alg: string): string | undefined {
  const outside = (ls: readonly number[]) => {
    const out = ls.filter((l) => l < lo || l > hi);
    if (out.length === 0) return undefined;
    return `${alg} levels are ${lo}..${hi}, not ${out.slice(0, 5).join(', ')}${out.length > 5 ? ` (and ${out.length - 5} more)` : ''}`;
  };
  if (typeof v === 'number' || Array.isArray(v)) return outside(typeof v === 'number' ? [v] : (v as readonly number[]));
  const r = levelRange(v as string);
  if (!r) return ''; // the schema's pattern has said so
  if (r.step < 1) return `the step of ${excerpt(v as string, 20)} is ${r.step}: a step is at least 1`;
  if (r.lo > r.hi) return 'the range is empty';
  // bounds of at most 3 digits and a step of at least 1: at most 1000 levels to look at
  return outside(expandLevels(v));
}

/**
 * `9`, `[1, 6, 9]`, `"1..9"`, `"1..19/3"` (every third) -> the levels, in
 * order. A range with a step below 1 or more than 1000 levels is refused
 * (the schema refuses them first, with the suite's location).
 */
export function expandLevels(v: number | string | readonly number[]): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return [...v];
  const r = levelRange(v as string);
  if (!r) return [];
  if (!(r.step >= 1) || (r.hi - r.lo) / r.step > 1000)
    throw new KzError(`levels ${excerpt(v as string, 20)}: a range has a step of at least 1 and at most 1000 levels`);
  const out: number[] = [];
  for (let l = r.lo; l <= r.hi; l += r.step) out.push(l);
  return out;
}
