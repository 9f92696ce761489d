// How fast a core runs the kernel's decompressors: the instructions each
// decoder executes per output byte on the core's instruction set (counted
// exactly: data/kernel-decoder-instructions.csv, scripts/kernel-decoder-counts.ts),
// over the core family's instructions per cycle, calibrated on one published
// measurement (data/core-families.csv, data/published-decompression.csv).
//
// A decoder's cost per output byte is its instructions plus, on families
// whose branch-miss cost is measured, k x its mispredicted branches (the
// counter's gshare predictor): cycles = (instructions + k x mispredicted) /
// IPC. k is fitted on this machine's own kernel-decoder times
// (data/host-kernel-decoder-times.csv, an x86-64 core: branchMissCost());
// families without such a measurement count instructions only (k = 0).
//
// One IPC per family is still an assumption; real cores run some decoders
// at a higher IPC than others. How far it is off is measured, not guessed:
// each published pair of algorithms on one machine gives the factor
// (published time ratio / modelled time ratio), and a family's
// decompression range spans the factors seen on its machines (validation()).

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KzError } from '../errors.js';
import { projectPath } from '../project.js';
import { median } from '../measure/stats.js';
import { cells, parseCsvTable } from '../results/table.js';
import { div, exact, figure, mul, publishedMeasurements, publishedSeconds, publishedTimeRatio, qualified, type PublishedRow, type Range } from './published.js';

export class CoreModelError extends KzError {
  override name = 'CoreModelError';
}

const countRow = z.object({
  arch: cells.text,
  algorithm: cells.text,
  setting: z.string(),
  kernel_package: z.string(),
  kernel_version: z.string(),
  output_bytes: cells.optionalCount,
  compressed_bytes: cells.optionalCount,
  instructions_per_output_byte: cells.optionalNumber,
  mispredicted_per_output_byte: cells.optionalNumber,
  error: z.string(),
});
export interface DecoderCount {
  arch: string;
  algorithm: string;
  setting: string;
  kernel_package: string;
  kernel_version: string;
  output_bytes: number;
  compressed_bytes: number;
  instructions_per_output_byte: number;
  mispredicted_per_output_byte: number | null;
}

const familyRow = z.object({
  family: cells.text,
  counts: cells.text,
  calibration: z.string().regex(/^([a-z0-9.-]+:[a-z0-9]+)?$/, 'expected SOURCE_ID:ALGORITHM or nothing'),
  proxy_of: z.string(),
  /** "host": k fitted on this machine's kernel-decoder times (an x86-64 core); empty: not measured, k = 0. */
  branch_misses: z.enum(['host', '']),
  cores: cells.text,
  note: cells.text,
});
export type CoreFamily = z.infer<typeof familyRow>;

let counts: DecoderCount[] | undefined;
let families: (CoreFamily & { line: number })[] | undefined;

/** The measured instruction counts, rows without an error. */
export function decoderCounts(): DecoderCount[] {
  if (counts) return counts;
  const file = projectPath('data', 'kernel-decoder-instructions.csv');
  const out: DecoderCount[] = [];
  for (const r of parseCsvTable(readFileSync(file, 'utf8'), file, countRow)) {
    const { instructions_per_output_byte: ipb, output_bytes: o, compressed_bytes: c } = r;
    if (!r.error && ipb !== null && o !== null && c !== null) out.push({ ...r, instructions_per_output_byte: ipb, output_bytes: o, compressed_bytes: c });
  }
  counts = out;
  return out;
}

/** Instructions per output byte of ALGORITHM's kernel decoder as built for COUNTS (a row name of the counts table). */
export function decoderCount(countsArch: string, algorithm: string): DecoderCount {
  const c = decoderCounts().find((r) => r.arch === countsArch && r.algorithm === algorithm);
  if (!c)
    throw new CoreModelError(
      `no instruction count for ${algorithm} on ${countsArch} in data/kernel-decoder-instructions.csv (scripts/kernel-decoder-counts.ts measures them)`,
    );
  return c;
}

export function coreFamilies(): CoreFamily[] {
  if (families) return families;
  const file = projectPath('data', 'core-families.csv');
  const rows = parseCsvTable(readFileSync(file, 'utf8'), file, familyRow);
  families = rows;
  try {
    // a family's cost per byte must be in the units its IPC was calibrated in
    for (const f of rows) {
      const c = calibrated(f);
      if (c.branch_misses !== f.branch_misses)
        throw new CoreModelError(
          `${file}:${f.line}: ${f.family} stands in on ${c.family}'s IPC, so it needs ${c.family}'s branch_misses (${c.branch_misses || 'empty'}), not ${f.branch_misses || 'empty'}`,
        );
    }
  } catch (e) {
    families = undefined;
    throw e;
  }
  return rows;
}

export function coreFamily(name: string): CoreFamily {
  const f = coreFamilies().find((r) => r.family === name);
  if (!f)
    throw new CoreModelError(
      `no core family ${name} in data/core-families.csv; known: ${coreFamilies()
        .map((r) => r.family)
        .join(', ')}`,
    );
  return f;
}

const hostRow = z.object({
  run: cells.count,
  arch: cells.text,
  algorithm: cells.text,
  setting: cells.text,
  output_bytes: cells.count.refine((n) => n > 0, 'must be more than 0'),
  compressed_bytes: cells.count,
  kernel_decoder_ms: cells.number.refine((n) => n > 0, 'must be more than 0'),
  cpu: z.string(),
  cpu_mhz: z.string(),
  method: cells.text,
  date: cells.text,
});

export interface BranchMissCost {
  /** Instructions one mispredicted branch costs, on the fitted core (fitted on each algorithm's median time over the rounds). */
  k: number;
  /** k fitted on each round alone: its lowest and highest (how much the machine's timing noise moves it). */
  kRounds: [number, number];
  /** Each algorithm's fitted time / measured time - 1. */
  residuals: { algorithm: string; error: number }[];
  basis: string;
}

let missCost: BranchMissCost | undefined;

type HostRow = z.infer<typeof hostRow> & { line: number };
export interface HostTime {
  algorithm: string;
  arch: string;
  /** Median over the rounds of the kernel decoder's thread CPU ms per output byte. */
  msPerByte: number;
}
let hostTimes: { file: string; rows: HostRow[]; medians: HostTime[] } | undefined;

/**
 * This machine's kernel-decoder times (data/host-kernel-decoder-times.csv),
 * each checked against the payload its count was made on, with each
 * algorithm's median ms per output byte over the rounds.
 */
export function hostDecoderTimes(): { file: string; rows: HostRow[]; medians: HostTime[] } {
  if (hostTimes) return hostTimes;
  const file = projectPath('data', 'host-kernel-decoder-times.csv');
  const rows = parseCsvTable(readFileSync(file, 'utf8'), file, hostRow);
  for (const r of rows) {
    const c = decoderCount(r.arch, r.algorithm);
    if (c.setting !== r.setting || c.compressed_bytes !== r.compressed_bytes || c.output_bytes !== r.output_bytes)
      throw new CoreModelError(
        `${file}:${r.line}: ${r.algorithm} was timed on ${r.compressed_bytes} bytes of ${r.setting}, but counted on ${c.compressed_bytes} bytes of ${c.setting} (data/kernel-decoder-instructions.csv): time and count the same payloads`,
      );
  }
  hostTimes = { file, rows, medians: medianTimes(rows, [...new Set(rows.map((r) => r.algorithm))], file) };
  return hostTimes;
}

/** Each of ALGORITHMS' median ms per output byte over the rows OF (one round, or all). */
function medianTimes(of: readonly HostRow[], algorithms: readonly string[], file: string, round?: number): HostTime[] {
  return algorithms.map((algorithm) => {
    const mine = of.filter((r) => r.algorithm === algorithm);
    if (!mine.length) throw new CoreModelError(`${file}: round ${round} has no ${algorithm} row`);
    return { algorithm, arch: mine[0]!.arch, msPerByte: median(mine.map((r) => r.kernel_decoder_ms / r.output_bytes)) };
  });
}

/** ALGORITHM's time over REFERENCE's on this machine, measured with the kernel's decoders built for ARCH (null: not timed here). */
export function hostMeasuredRatio(arch: string, algorithm: string, reference: string): number | null {
  const t = (alg: string) => hostDecoderTimes().medians.find((m) => m.arch === arch && m.algorithm === alg)?.msPerByte;
  const a = t(algorithm);
  const b = t(reference);
  return a && b ? a / b : null;
}

/**
 * The cost of a mispredicted branch in instructions, fitted on this
 * machine's kernel-decoder times (data/host-kernel-decoder-times.csv) and
 * counts: time per byte = a x instructions + b x mispredicted, least squares
 * on the relative error over the algorithms; k = b / a.
 */
export function branchMissCost(): BranchMissCost {
  if (missCost) return missCost;
  const { file, rows, medians } = hostDecoderTimes();
  const all = fitMissCost(medians, file);
  const rounds = [...new Set(rows.map((r) => r.run))].map(
    (run) =>
      fitMissCost(
        medianTimes(
          rows.filter((r) => r.run === run),
          medians.map((m) => m.algorithm),
          file,
          run,
        ),
        file,
      ).k,
  );
  const first = rows[0]!;
  missCost = {
    k: all.k,
    kRounds: [Math.min(...rounds), Math.max(...rounds)],
    residuals: all.residuals,
    basis: `${all.k.toFixed(1)} instructions per mispredicted branch (${rounds.length} rounds alone: ${Math.min(...rounds).toFixed(0)}-${Math.max(...rounds).toFixed(0)}), fitted on ${medians.length} kernel decoders' median times on ${first.cpu || 'this machine'} (${first.date})`,
  };
  return missCost;
}

/** time per byte = a x instructions + b x mispredicted, least squares on the relative error; k = b / a. */
export function fitMissCost(
  times: { algorithm: string; arch: string; msPerByte: number }[],
  file: string,
): { k: number; residuals: { algorithm: string; error: number }[] } {
  // x = I/t, y = M/t; minimise sum (a x + b y - 1)^2
  let xx = 0;
  let xy = 0;
  let yy = 0;
  let sx = 0;
  let sy = 0;
  const pts = times.map((r) => {
    const c = decoderCount(r.arch, r.algorithm);
    if (c.mispredicted_per_output_byte === null)
      throw new CoreModelError(`no mispredicted branch count for ${r.algorithm} on ${r.arch} in data/kernel-decoder-instructions.csv`);
    const x = c.instructions_per_output_byte / r.msPerByte;
    const y = c.mispredicted_per_output_byte / r.msPerByte;
    xx += x * x;
    xy += x * y;
    yy += y * y;
    sx += x;
    sy += y;
    return { algorithm: r.algorithm, x, y };
  });
  const det = xx * yy - xy * xy;
  if (pts.length < 2 || det <= 0) throw new CoreModelError(`${file}: the branch-miss cost needs two algorithms or more with different branch behaviour`);
  const a = (sx * yy - xy * sy) / det;
  const b = (xx * sy - xy * sx) / det;
  if (!(a > 0) || !(b >= 0))
    throw new CoreModelError(
      `${file}: the fit gives ${a.toPrecision(3)} ms per instruction and ${b.toPrecision(3)} per mispredicted branch: not a cost (time the decoders again on a quiet machine)`,
    );
  return { k: b / a, residuals: pts.map((p) => ({ algorithm: p.algorithm, error: a * p.x + b * p.y - 1 })) };
}

/** A family's branch-miss cost in instructions (0 when not measured for it). */
export function familyMissCost(name: string): number {
  const f = coreFamilies().find((r) => r.family === name);
  return f?.branch_misses === 'host' ? branchMissCost().k : 0;
}

/** Instruction-equivalents per output byte: instructions + k x mispredicted branches. */
export function decoderCost(countsArch: string, algorithm: string, k: number): number {
  const c = decoderCount(countsArch, algorithm);
  if (k === 0) return c.instructions_per_output_byte;
  if (c.mispredicted_per_output_byte === null)
    throw new CoreModelError(`no mispredicted branch count for ${algorithm} on ${countsArch} in data/kernel-decoder-instructions.csv`);
  return c.instructions_per_output_byte + k * c.mispredicted_per_output_byte;
}

/** The family whose calibration a family uses: itself, or the one it stands in for. */
function calibrated(f: CoreFamily & { line?: number }): CoreFamily {
  const seen = new Set<string>();
  let cur: CoreFamily & { line?: number } = f;
  const at = (x: { line?: number }) => `data/core-families.csv${x.line ? `:${x.line}` : ''}`;
  while (!cur.calibration) {
    if (!cur.proxy_of) throw new CoreModelError(`${at(cur)}: core family ${cur.family} has no calibration and no proxy_of`);
    if (seen.has(cur.family))
      throw new CoreModelError(`${at(f)}: core family ${f.family} stands in on itself through proxy_of (${[...seen].join(' -> ')} -> ${cur.family})`);
    seen.add(cur.family);
    const next = (families ?? []).find((r) => r.family === cur.proxy_of);
    if (!next) throw new CoreModelError(`${at(cur)}: core family ${cur.family} stands in on ${cur.proxy_of}, which is not in the table`);
    cur = next;
  }
  return cur;
}

export interface FamilyIpc {
  /**
   * Instructions per cycle. mid: the calibration's; lo-hi: the calibration's
   * printed precision, widened to the IPC the same algorithm gives on the
   * family's other published machines at a known clock (machines), and to at
   * least mid/w-mid x w, w the widest any family's machines disagree.
   */
  ipc: Range;
  /** The calibration's own IPC range (its printed precision only). */
  calibration: Range;
  /** IPC implied by each published time of the calibration's algorithm on the family's machines at a known clock (the calibration's included). */
  machines: { source_id: string; ipc: Range }[];
  /** The algorithm it was calibrated on: its own time carries no algorithm spread. */
  algorithm: string;
  /** The family whose measurement it is (differs from the asked family for a proxy). */
  from: string;
  proxy: boolean;
  /** The measurement in words. */
  basis: string;
}

/** Can the row give an IPC: a time, a clock and the output size, none of the figures it uses a bound (">20 MB/s")? */
function givesIpc(r: PublishedRow): boolean {
  const used = [r.clock_ghz, r.output_mb, r.seconds, r.mb_s, r.compressed_mb];
  return Boolean(publishedSeconds(r) && r.clock_ghz && r.output_mb) && !used.some((f) => /^[<>]/.test(f));
}

/** Instructions per cycle a published row implies: its decoder's counted cost x output bytes / (time x clock); null without a time, a clock or the output size. */
export function impliedIpc(r: PublishedRow, k: number): Range | null {
  if (!givesIpc(r)) return null;
  const seconds = publishedSeconds(r)!;
  const instructions = mul(exact(decoderCost(r.counts, r.algorithm, k)), mul(figure(r.output_mb), exact(1e6)));
  return div(instructions, mul(seconds, mul(figure(r.clock_ghz), exact(1e9))));
}

/** A calibrated family's own measurement and the IPC its algorithm gives on each of the family's machines at a known clock. */
function measuredIpc(c: CoreFamily): { r: PublishedRow; algorithm: string; k: number; calibration: Range; machines: FamilyIpc['machines']; skipped: string[] } {
  const [sourceId, algorithm] = c.calibration.split(':') as [string, string];
  const r = publishedMeasurements().find((p) => p.source_id === sourceId && p.algorithm === algorithm);
  if (!r)
    throw new CoreModelError(
      `data/core-families.csv${(c as { line?: number }).line ? `:${(c as { line?: number }).line}` : ''}: core family ${c.family}: calibration ${c.calibration} is not in data/published-decompression.csv`,
    );
  if (r.calibrates !== 'yes')
    throw new CoreModelError(
      `data/published-decompression.csv:${r.line}: ${c.calibration} calibrates core family ${c.family} (data/core-families.csv): mark it calibrates=yes`,
    );
  if (r.family !== c.family)
    throw new CoreModelError(`data/published-decompression.csv:${r.line}: ${c.calibration} calibrates core family ${c.family} but its family is ${r.family}`);
  const k = familyMissCost(c.family);
  const calibration = impliedIpc(r, k);
  if (!calibration)
    throw new CoreModelError(
      `data/published-decompression.csv:${r.line}: ${c.calibration} calibrates core family ${c.family}, so it needs a time, a clock and the output size, none of them a bound`,
    );
  const machines: FamilyIpc['machines'] = [{ source_id: r.source_id, ipc: calibration }];
  const skipped: string[] = [];
  for (const p of publishedMeasurements()) {
    if (p === r || p.family !== c.family || p.algorithm !== algorithm) continue;
    let ipc: Range | null;
    try {
      ipc = impliedIpc(p, k);
    } catch (e) {
      // no count for that machine's decoder: it cannot widen the range; its own pair reports it, the basis names it
      if (e instanceof CoreModelError) {
        skipped.push(`${p.source_id} (data/published-decompression.csv:${p.line}: ${e.message})`);
        continue;
      }
      throw e;
    }
    if (ipc) machines.push({ source_id: p.source_id, ipc });
  }
  return { r, algorithm, k, calibration, machines, skipped };
}

/** A measured family's IPC range relative to its calibration: [lowest / mid, highest / mid] over its machines. */
const relativeSpread = (m: ReturnType<typeof measuredIpc>): [number, number] => [
  Math.min(...m.machines.map((x) => x.ipc.lo)) / m.calibration.mid,
  Math.max(...m.machines.map((x) => x.ipc.hi)) / m.calibration.mid,
];

/**
 * The widest any family's machines disagree about its IPC: w = the highest
 * machine's IPC over the lowest's (each at its figures' rounding), whichever
 * row calibrates, and the family it was measured on. Applied either way
 * (x1/w-w): a calibration at one end of its own family's machines says
 * nothing about where another family's calibration sits among its machines.
 */
function widestDisagreement(): { w: number; family: string; unavailable: string[] } {
  let best = { w: 1, family: '' };
  const unavailable: string[] = [];
  for (const o of coreFamilies().filter((x) => x.calibration)) {
    const algorithm = o.calibration.split(':')[1];
    // a family with one machine cannot disagree with itself: not costed (x86-64's cost reads this machine's timings)
    if (publishedMeasurements().filter((p) => p.family === o.family && p.algorithm === algorithm && givesIpc(p)).length < 2) continue;
    let m: ReturnType<typeof measuredIpc>;
    try {
      m = measuredIpc(o);
    } catch (e) {
      // that family's own boards report it; this one's range says it was left out
      if (e instanceof CoreModelError) {
        unavailable.push(`${o.family} (${e.message})`);
        continue;
      }
      throw e;
    }
    unavailable.push(...m.skipped);
    if (m.machines.length < 2) continue;
    const w = Math.max(...m.machines.map((x) => x.ipc.hi)) / Math.min(...m.machines.map((x) => x.ipc.lo));
    if (w > best.w) best = { w, family: o.family };
  }
  return { ...best, unavailable };
}

/**
 * A family's instructions per cycle: its (or its proxy's) one published
 * measurement over the counted instructions. One IPC per family is an
 * assumption, and how far a family's machines disagree is its honest width:
 * the range spans the IPC the same algorithm gives on the family's other
 * published machines at a known clock, and is never narrower than the
 * widest disagreement measured on any family (x1/w-w), since two machines
 * that agree say little about a third core of the same family.
 */
export function familyIpc(name: string): FamilyIpc {
  const f = coreFamily(name);
  const c = calibrated(f);
  const m = measuredIpc(c);
  const { r, algorithm, k, calibration, machines } = m;
  const [ownLo, ownHi] = relativeSpread(m);
  const widest = widestDisagreement();
  const lo = Math.min(ownLo, 1 / widest.w);
  const hi = Math.max(ownHi, widest.w);
  const ipc = { lo: calibration.mid * lo, mid: calibration.mid, hi: calibration.mid * hi };
  const cost = decoderCost(r.counts, algorithm, k);
  const seconds = publishedSeconds(r)!;
  const per = k ? `${cost.toFixed(2)} instructions per byte with branch misses at ${k.toFixed(1)} each` : `${cost} instructions per byte`;
  const own = machines.length > 1 ? `; ${machines.length} published ${algorithm} times span x${ownLo.toFixed(2)}-${ownHi.toFixed(2)}` : '';
  const wide =
    (lo < ownLo || hi > ownHi ? `; range x${lo.toFixed(2)}-${hi.toFixed(2)}, as wide as ${widest.family}'s machines disagree` : '') +
    (widest.unavailable.length ? `; left out of the width, unreadable: ${widest.unavailable.join('; ')}` : '');
  return {
    ipc,
    calibration,
    machines,
    algorithm,
    from: c.family,
    proxy: c !== f,
    basis: `${c.family} IPC ${ipc.mid.toFixed(3)} (${r.source_id}: ${algorithm} ${r.output_mb} MB in ${(seconds.mid * 1000).toFixed(0)} ms at ${r.clock_ghz} GHz over ${per} on ${r.counts}${own}${wide})${c !== f ? `, standing in for ${f.family}` : ''}`,
  };
}

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
      try {
        model = decoderCost(r.counts, r.algorithm, k) / decoderCost(r.counts, r.reference, k);
      } catch (e) {
        throw e instanceof CoreModelError ? new CoreModelError(`data/published-decompression.csv:${r.line}: ${e.message}`) : e;
      }
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
    let cost: number;
    try {
      cost = decoderCost(r.counts, r.algorithm, k);
    } catch (e) {
      throw e instanceof CoreModelError ? new CoreModelError(`data/published-decompression.csv:${r.line}: ${e.message}`) : e;
    }
    const mid = (cost * figure(r.output_mb).mid * 1e6) / (ipc.ipc.mid * figure(r.clock_ghz).mid * 1e9);
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
