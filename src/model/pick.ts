// `kzbench pick`: every way of storing and starting a kernel on a board,
// evaluated from measured payloads; the Pareto frontier over flash, RAM and
// boot time; and one recommendation with its figures.
//
// Strategies, one module each in pick/ behind one interface (PickStrategy):
//   self-decompressing  bzImage / zImage / vmlinuz.efi (self-decompressing.ts)
//   bootloader          Image.* decompressed by the boot loader (bootloader.ts)
//   xip                 text and rodata run from flash (xip.ts)
//   xip-deflated-data   XIP with the data load image compressed (xip-deflated-data.ts)
// Each candidate is then checked against the board (judge.ts); the frontier
// and the recommendation are in frontier.ts.
//
// Every size comes from a measured image, measured payloads (kzbench run
// rows) or data/stubs.csv; every rule from data/format-rules.csv; every speed
// from the board file (data/boards) or the board model (target-time.ts:
// counted instructions of the kernel's decoders over the board's calibrated
// core), which each candidate names in boot_basis, with its range.

import { bootloader } from './pick/bootloader.js';
import { markPareto, rankBoot, recommend } from './pick/frontier.js';
import { judge } from './pick/judge.js';
import { selfDecompressing } from './pick/self-decompressing.js';
import { PickError, type Candidate, type PickInput, type PickResult, type PickStrategy, type StrategyContext } from './pick/types.js';
import { xip } from './pick/xip.js';
import { xipDeflatedData } from './pick/xip-deflated-data.js';

export { boardDecompressMs } from './pick/decompress-time.js';
export { candidateLabel, markPareto, rankBoot, recommend } from './pick/frontier.js';
export { stubTarget } from './pick/stub-choice.js';
export {
  PickError,
  STRATEGIES,
  type Candidate,
  type KernelFacts,
  type MeasuredPayload,
  type PickInput,
  type PickResult,
  type PickStrategy,
  type Strategy,
  type StrategyContext,
} from './pick/types.js';

/** The strategies, in the order their candidates are listed (STRATEGIES' order). */
export const PICK_STRATEGIES: readonly PickStrategy[] = [selfDecompressing, bootloader, xip, xipDeflatedData];

/** Every candidate for a board, with fits/reason/headroom; frontier and recommendation from pick. */
export function evaluate(input: PickInput): { candidates: Candidate[]; notes: string[] } {
  const { board, facts } = input;
  if (board.arch !== facts.arch) throw new PickError(`board ${board.name} is ${board.arch}, the kernel is ${facts.arch}`);
  const ctx: StrategyContext = { ...input, notes: [] };
  const out: Candidate[] = [];
  for (const m of input.measured) for (const s of PICK_STRATEGIES) out.push(...s.forPayload(ctx, m));
  for (const s of PICK_STRATEGIES) out.push(...s.forBoard(ctx));
  for (const c of out) judge(c, board);
  return { candidates: out, notes: ctx.notes };
}

/** Evaluate, mark the frontier, recommend. */
export function pick(input: PickInput): PickResult {
  const { candidates, notes } = evaluate(input);
  markPareto(candidates);
  rankBoot(candidates);
  const { pick: p, why } = recommend(candidates);
  return { board: input.board.name, recommendation: p, why, candidates, notes };
}
