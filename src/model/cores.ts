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
// decompression range spans the factors seen on its machines
// (validation.ts). The counts are read by decoder-counts.ts, k is fitted by
// branch-miss.ts.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { projectPath } from '../project.js';
import { cells, parseCsvTable } from '../results/table.js';
import { branchMissCost } from './branch-miss.js';
import { CoreModelError, decoderCount } from './decoder-counts.js';
import { div, exact, figure, mul, publishedMeasurements, publishedSeconds, type PublishedRow, type Range } from './published.js';

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

let families: (CoreFamily & { line: number })[] | undefined;

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
