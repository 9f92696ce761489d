// Strategy xip: text and rodata run from flash (src/model/xip.ts). Flash =
// the xipImage; RAM = data + init data + bss; boot = copy the data load
// image, no decompression. Also the split both XIP strategies start from.

import { xipRuntime, formatRules } from '../rules.js';
import { predictXip, type XipPrediction } from '../xip.js';
import { blankCandidate, bootTime, fmt } from './candidate.js';
import type { Candidate, PickStrategy, StrategyContext } from './types.js';

/** The kernel's XIP split, or why the board or kernel cannot execute in place. */
export function xipSplit({ board, facts }: StrategyContext): XipPrediction | string {
  const xipArches = formatRules().xipArches;
  if (!board.xip) return `${board.name} cannot execute in place (xip: false in ${board.file})`;
  if (!xipArches.includes(facts.arch)) return `${facts.arch} has no XIP_KERNEL (only ${xipArches.join(', ')}: data/format-rules.csv)`;
  if (facts.sections.length === 0) return 'the kernel has no section table to split into flash and RAM parts';
  try {
    return predictXip(facts.sections);
  } catch (e) {
    return (e as Error).message;
  }
}

export const xip: PickStrategy = {
  name: 'xip',
  forPayload: () => [],
  forBoard(ctx: StrategyContext): Candidate[] {
    const { board, notes } = ctx;
    const x = blankCandidate(board, 'xip', 'none', 'none');
    const p = xipSplit(ctx);
    if (typeof p === 'string') {
      x.reason = p;
      return [x];
    }
    x.flash_bytes = p.flashBytes;
    x.ram_bytes = p.ramBytes;
    x.basis = `text ${fmt(p.flash.text)} + rodata ${fmt(p.flash.rodata)} + tables ${fmt(p.flash.ex_table_unwind)} + init ${fmt(p.flash.init_rom)} + data load image ${fmt(p.flash.data_load_image)} in flash; data, init data and bss in RAM`;
    bootTime(x, board, p.flash.data_load_image, 'none');
    x.boot_source = 'no decompression (the data load image is copied)';
    const slow = xipRuntime().filter((r) => r.metric.startsWith('lmbench'));
    notes.push(
      `XIP runs code from flash, which boot_ms does not count: ${slow.map((r) => `${r.metric.replace('lmbench_', '')} ${r.nonXip} -> ${r.xip} ${r.unit}`).join(', ')} on ${slow[0]?.platform ?? 'one board'} (${slow[0]?.source ?? 'data/xip-runtime.csv'})`,
    );
    return [x];
  },
};
