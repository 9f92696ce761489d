// The board model against published decompression measurements
// (data/published-decompression.csv): ratios between algorithms on one
// machine, absolute times at a known clock, and the spread of the one-IPC
// assumption that a board's decompression range uses (algorithmSpread).

import { hostMeasuredRatio } from './branch-miss.js';
import { coreFamilies, coreFamily, decoderCost, familyIpc, familyMissCost, type CoreFamily } from './cores.js';
import { CoreModelError } from './decoder-counts.js';
import { figure, publishedMeasurements, publishedSeconds, publishedTimeRatio, qualified, type PublishedRow, type Range } from './published.js';

export interface ValidationRow {
  source_id: string;
  machine: string;
  family: string;
  counts: string;
  kernel: string;
  algorithm: string;
  reference: string;
  /** Published time of algorithm / time of reference on that machine, with the range of its printed figures. */
  published: Range;
  /** The model's ratio: the two decoders' cost per output byte (instructions, plus branch misses where their cost is measured; one IPC per family, same kernel). */
  model: number;
  /** The branch-miss cost used (0: instructions only). */
  k: number;
  /** How far the model lies outside the published range (rangeError): 0 inside it, as with a bound the model meets. */
  error: number;
  /** The same ratio timed on this machine with the same kernel decoders (data/host-kernel-decoder-times.csv), when the counts row was timed here: a control for what any model of the decoders alone can reach. */
  host_measured: number | null;
  /** host_measured's rangeError. */
  host_error: number | null;
  /** Does the model order the two the same way (which decompresses faster)? */
  same_order: boolean;
  /** The source's qualifier on its figures: "~" approximate, ">"/"<" a bound, "" as printed. */
  qualifier: string;
  source: string;
}

/** ALGORITHM's cost per output byte on the row's counts; a missing count is reported at the row's line. */
function rowCost(r: PublishedRow, algorithm: string, k: number): number {
  try {
    return decoderCost(r.counts, algorithm, k);
  } catch (e) {
    throw e instanceof CoreModelError ? new CoreModelError(`data/published-decompression.csv:${r.line}: ${e.message}`) : e;
  }
}

/**
 * How far X lies outside the published range R, relative to the range's
 * nearest end: 0 inside it. A figure's range is its printed precision, so
 * this is the error no reading of the figure can make smaller; for a bound
 * ("over 7 times faster") it is 0 when the bound is met.
 */
export function rangeError(x: number, r: Range): number {
  if (x < r.lo) return x / r.lo - 1;
  if (x > r.hi) return x / r.hi - 1;
  return 0;
}

/** Every published pair on one machine against the model's ratio. */
export function validation(
  all: readonly PublishedRow[] = publishedMeasurements(),
  missCostOf: (family: string) => number = familyMissCost,
  /** Leave out pairs that cannot be costed (a missing count, x86's branch-miss cost unavailable) instead of failing, and skip the control: the spread a board's range uses, so one broken table does not stop every pick. */
  skipUncounted = false,
): ValidationRow[] {
  const out: ValidationRow[] = [];
  const calibrations = new Set(coreFamilies().map((f) => f.calibration));
  for (const r of all) {
    if (!skipUncounted) {
      if (!coreFamilies().some((f) => f.family === r.family))
        throw new CoreModelError(`data/published-decompression.csv:${r.line}: family ${r.family} is not in data/core-families.csv`);
      if (r.calibrates === 'yes' && !calibrations.has(`${r.source_id}:${r.algorithm}`))
        throw new CoreModelError(
          `data/published-decompression.csv:${r.line}: calibrates=yes, but no core family is calibrated on ${r.source_id}:${r.algorithm}`,
        );
    }
    if (r.algorithm === r.reference) continue;
    const published = publishedTimeRatio(r, all);
    if (!published) continue;
    let k: number;
    let model: number;
    let hostRatio: number | null;
    try {
      k = missCostOf(r.family);
      model = rowCost(r, r.algorithm, k) / rowCost(r, r.reference, k);
      // the control is only for the page: a board's spread must not depend on this machine's timings
      hostRatio = skipUncounted ? null : hostMeasuredRatio(r.counts, r.algorithm, r.reference);
    } catch (e) {
      // a missing count, or x86's branch-miss cost unavailable: this pair cannot widen another family's range
      if (skipUncounted && e instanceof CoreModelError) continue;
      throw e;
    }
    out.push({
      source_id: r.source_id,
      machine: r.machine,
      family: r.family,
      counts: r.counts,
      kernel: r.kernel,
      algorithm: r.algorithm,
      reference: r.reference,
      published,
      model,
      k,
      error: rangeError(model, published),
      host_measured: hostRatio,
      host_error: hostRatio === null ? null : rangeError(hostRatio, published),
      same_order: model < 1 === published.mid < 1,
      qualifier: qualified(r),
      source: r.source,
    });
  }
  return out;
}

export interface TimeValidationRow {
  source_id: string;
  machine: string;
  family: string;
  counts: string;
  algorithm: string;
  clock_ghz: string;
  /** Published decompression time, seconds, with its printed precision. */
  published: Range;
  /** The model's time: counted cost x output / (family IPC x clock), with the range pick would show (IPC range x one-IPC spread). */
  model: Range;
  /** rangeError(model.mid, published). */
  error: number;
  /** Does the published time fall inside the model's range? */
  covered: boolean;
  /** This row is its family's calibration (its error is 0 by construction). */
  calibrates: boolean;
}

/** Every published time at a known clock against the model's absolute prediction, as pick would make it for a board with that core and clock. */
export function timeValidation(all: readonly PublishedRow[] = publishedMeasurements()): TimeValidationRow[] {
  const out: TimeValidationRow[] = [];
  for (const r of all) {
    const family = coreFamilies().find((f) => f.family === r.family);
    const published = publishedSeconds(r);
    if (!family || !published || !r.clock_ghz || !r.output_mb) continue;
    const ipc = familyIpc(r.family);
    const k = familyMissCost(r.family);
    const mid = (rowCost(r, r.algorithm, k) * figure(r.output_mb).mid * 1e6) / (ipc.ipc.mid * figure(r.clock_ghz).mid * 1e9);
    const spread = !ipc.proxy && ipc.algorithm === r.algorithm ? { lo: 1, hi: 1 } : algorithmSpread(r.family);
    const model = { lo: ((mid * ipc.ipc.mid) / ipc.ipc.hi) * spread.lo, mid, hi: ((mid * ipc.ipc.mid) / ipc.ipc.lo) * spread.hi };
    out.push({
      source_id: r.source_id,
      machine: r.machine,
      family: r.family,
      counts: r.counts,
      algorithm: r.algorithm,
      clock_ghz: r.clock_ghz,
      published,
      model,
      error: rangeError(mid, published),
      covered: published.hi >= model.lo && published.lo <= model.hi,
      calibrates: r.calibrates === 'yes',
    });
  }
  return out;
}

/**
 * How far the one-IPC assumption moved a decoder's time on the family's
 * machines (and those of the family it stands in for): the range of
 * (nearest published value / modelled) time ratios, always including 1.
 */
export function algorithmSpread(name: string): { lo: number; hi: number; pairs: number } {
  const names = new Set<string>();
  for (let f: CoreFamily | undefined = coreFamily(name); f && !names.has(f.family); f = f.proxy_of ? coreFamily(f.proxy_of) : undefined) names.add(f.family);
  // only the family's own rows are costed: another family's broken table (x86's timings) must not stop this one
  const factors = validation(
    publishedMeasurements().filter((r) => names.has(r.family)),
    undefined,
    true,
  ).map((v) => 1 / (1 + v.error)); // the nearest published value / the model
  return { lo: Math.min(1, ...factors), hi: Math.max(1, ...factors), pairs: factors.length };
}
