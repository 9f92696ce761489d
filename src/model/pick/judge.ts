// Check a candidate against the board's limits: flash, RAM and boot budget.

import type { Board } from '../boards.js';
import { fmt } from './candidate.js';
import type { Candidate } from './types.js';

/** Check a candidate against the board's limits: fits, reason, headroom, unchecked. */
export function judge(c: Candidate, board: Board): void {
  if (c.reason) {
    c.fits = false;
    return;
  }
  const over: string[] = [];
  const name =
    c.strategy === 'xip'
      ? 'xip'
      : c.strategy === 'xip-deflated-data'
        ? 'xip with deflated data'
        : c.strategy === 'bootloader'
          ? `${c.algorithm} (boot loader)`
          : c.algorithm;
  const budget = board.imageBudgetBytes;
  if (budget === null) c.unchecked.push('flash');
  else if (c.flash_bytes !== null) {
    c.flash_headroom_bytes = budget - c.flash_bytes;
    const what = board.kernel_partition_bytes !== undefined ? `${fmt(budget)}-byte partition` : `${fmt(budget)} bytes of flash`;
    if (c.flash_headroom_bytes < 0) over.push(`${name}: ${fmt(-c.flash_headroom_bytes)} bytes over the ${what}`);
  }
  if (board.ram_bytes === undefined) c.unchecked.push('ram');
  else if (c.ram_bytes === null) c.unchecked.push('ram (not modelled for this image)');
  else {
    c.ram_headroom_bytes = board.ram_bytes - c.ram_bytes;
    if (c.ram_headroom_bytes < 0) over.push(`${name}: ${fmt(-c.ram_headroom_bytes)} bytes over the ${fmt(board.ram_bytes)} bytes of RAM`);
  }
  if (board.boot_budget_ms === undefined) c.unchecked.push('boot time');
  else if (c.boot_ms === null) c.unchecked.push('boot time (no speed for it)');
  else {
    c.boot_headroom_ms = board.boot_budget_ms - c.boot_ms;
    if (c.boot_headroom_ms < 0) over.push(`${name}: boot ${fmt(c.boot_ms)} ms, ${fmt(-c.boot_headroom_ms)} ms over the ${fmt(board.boot_budget_ms)} ms budget`);
  }
  if (c.read_ms === null && c.flash_bytes !== null) c.unchecked.push('storage read time (board has no flash_read_mb_s)');
  c.fits = over.length === 0;
  c.reason = over.join('; ');
}
