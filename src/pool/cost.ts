// A rough relative cost per cell, used only to order the queue heaviest
// first (longest-processing-time-first keeps both workers busy until the
// end of a sweep instead of leaving one slow cell running alone). Never
// reported: these are ordering weights, not measurements. Roughly
// milliseconds per MB of compression on a 2020s x86 core, by setting tier.

import type { SettingForMemory } from './memory.js';

function num(p: Readonly<Record<string, unknown>>, k: string): number | undefined {
  const v = p[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function msPerMB(s: SettingForMemory): number {
  const p = s.params;
  const level = num(p, 'level');
  switch (s.algorithm) {
    case 'xz':
    case 'lzma':
      return (num(p, 'preset') ?? 6) >= 4 ? 900 : 300;
    case 'zstd':
      return (level ?? 3) >= 17 ? 600 : (level ?? 3) >= 10 ? 100 : 10;
    case 'lzo':
      return (level ?? 3) >= 7 ? 700 : 5;
    case 'bzip2':
      return 300;
    case 'gzip':
      return (level ?? 6) >= 6 ? 250 : 50;
    case 'lz4':
      return (level ?? 1) >= 3 ? 50 : 5;
    default:
      return 500;
  }
}

/** Relative cost of a cell: compression estimate plus the decompression timing loop. */
export function estimateCellCost(setting: SettingForMemory, unitBytes: number, minTimeMs = 1000): number {
  return (msPerMB(setting) * unitBytes) / 1e6 + minTimeMs;
}
