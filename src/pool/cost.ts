// A rough relative cost per cell, used only to order the queue heaviest
// first (longest-processing-time-first keeps both workers busy until the
// end of a sweep instead of leaving one slow cell running alone). Never
// reported: these are ordering weights, not measurements. Roughly
// milliseconds per MB of compression on a 2020s x86 core, by setting tier
// (each codec row's msPerMB).

import { codecRow } from '../codecs/table.js';
import type { SettingForMemory } from './memory.js';

/** The setting's row's figure; 500 for an algorithm the table does not know. */
function msPerMB(s: SettingForMemory): number {
  return codecRow(s.algorithm)?.msPerMB(s.params) ?? 500;
}

/** Relative cost of a cell: compression estimate plus the decompression timing loop. */
export function estimateCellCost(setting: SettingForMemory, unitBytes: number, minTimeMs = 1000): number {
  return (msPerMB(setting) * unitBytes) / 1e6 + minTimeMs;
}
