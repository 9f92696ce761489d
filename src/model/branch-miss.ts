// The cost of a mispredicted branch, in instructions, fitted on this
// machine's own kernel-decoder times (data/host-kernel-decoder-times.csv,
// `node dist/bench/kernel-decoder.js --csv FILE --repeat 5`), and the same
// times as a control for the validation page (hostMeasuredRatio).

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { projectPath } from '../project.js';
import { median } from '../measure/stats.js';
import { cells, parseCsvTable } from '../results/table.js';
import { CoreModelError, decoderCount } from './decoder-counts.js';

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
