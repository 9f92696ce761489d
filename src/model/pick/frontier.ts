// The Pareto frontier over flash, RAM and boot time among the candidates that
// fit, and the one recommendation drawn from it.

import { compareBoot } from '../target-time.js';
import { bootTerms, fmt } from './candidate.js';
import type { Candidate } from './types.js';

/** How a candidate is named in another's boot_within_range_of. */
export const candidateLabel = (c: Candidate): string => `${c.strategy}:${c.setting || c.algorithm}`;

/**
 * Rank the fitting candidates by boot time (boot_rank, 1 = fastest) and name,
 * for each, the others whose order against it the figures' ranges cannot
 * decide (compareBoot: every corner of the shared read speed, calibration
 * and per-algorithm factors).
 */
export function rankBoot(candidates: Candidate[]): void {
  const timed = candidates.filter((c) => c.fits && c.boot_ms !== null && bootTerms.has(c)).sort((a, b) => a.boot_ms! - b.boot_ms!);
  timed.forEach((c, i) => {
    c.boot_rank = i + 1;
    c.boot_within_range_of = timed.filter((o) => o !== c && compareBoot(bootTerms.get(c)!, bootTerms.get(o)!) === 0).map(candidateLabel);
  });
}

/** a dominates b: no worse in every known objective, better in one. RAM and boot count only when both have them. */
function dominates(a: Candidate, b: Candidate): boolean {
  const keys: (keyof Candidate)[] = ['flash_bytes'];
  if (a.ram_bytes !== null && b.ram_bytes !== null) keys.push('ram_bytes');
  if (a.boot_ms !== null && b.boot_ms !== null) keys.push('boot_ms');
  let better = false;
  for (const k of keys) {
    const x = a[k] as number | null;
    const y = b[k] as number | null;
    if (x === null || y === null) return false;
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/** Mark the Pareto frontier among the candidates that fit. */
export function markPareto(candidates: Candidate[]): void {
  const fitting = candidates.filter((c) => c.fits && c.flash_bytes !== null);
  for (const c of candidates) c.pareto = fitting.includes(c) && !fitting.some((o) => o !== c && dominates(o, c));
}

/**
 * The recommendation: among the frontier, the fastest boot (candidates whose
 * boot time is known first), then the least flash, then the least RAM.
 */
export function recommend(candidates: readonly Candidate[]): { pick: Candidate | null; why: string } {
  const front = candidates.filter((c) => c.pareto);
  if (front.length === 0) {
    const over = candidates
      .filter((c) => c.flash_bytes !== null && c.reason)
      .sort((a, b) => (b.flash_headroom_bytes ?? -Infinity) - (a.flash_headroom_bytes ?? -Infinity));
    return {
      pick: null,
      why: over.length
        ? `nothing fits; the closest: ${over
            .slice(0, 3)
            .map((c) => c.reason)
            .join('; ')}`
        : 'no candidate could be evaluated',
    };
  }
  const sorted = [...front].sort(
    (a, b) =>
      (a.boot_ms === null ? 1 : 0) - (b.boot_ms === null ? 1 : 0) ||
      (a.boot_ms ?? 0) - (b.boot_ms ?? 0) ||
      a.flash_bytes! - b.flash_bytes! ||
      (a.ram_bytes ?? Infinity) - (b.ram_bytes ?? Infinity),
  );
  const p = sorted[0]!;
  const rest = sorted.length - 1;
  const range = p.boot_ms_low !== null && p.boot_ms_high !== null && p.boot_ms_high > p.boot_ms_low ? `, ${fmt(p.boot_ms_low)}-${fmt(p.boot_ms_high)}` : '';
  const by =
    p.boot_ms !== null
      ? `the fastest boot on the frontier (${fmt(p.boot_ms)} ms${range}; ${p.boot_basis || p.boot_source})`
      : 'the least flash on the frontier (boot time unknown for every candidate on it)';
  const close = p.boot_within_range_of.length
    ? `; within the figures' range of ${p.boot_within_range_of.join(', ')}: which of them boots faster is not certain`
    : '';
  return { pick: p, why: `${by}; ${rest} other frontier candidate(s)${close}` };
}
