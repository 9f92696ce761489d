// Conservative per-cell memory estimates and the default budget.
//
// A cell holds, at its peak: the codec's encoder state, then its decoder
// state, the compressed stream (at worst a little over the input), the
// preallocated decompression buffer (the input's size) and some slack for
// the worker's own heap churn. The unit's input bytes are shared
// (SharedArrayBuffer in the main thread) and not counted per cell.
//
// Encoder figures follow the libraries' own documentation:
// - liblzma (xz(1) "Memory usage" table, lzma_raw_encoder_memusage): the
//   encoder needs about 10.5-12x the dictionary size with the default
//   bt4/hc4 match finders (preset -6: 8 MiB dict, 94 MiB; -9: 64 MiB dict,
//   674 MiB); the decoder about the dictionary size. liblzma does not shrink
//   the dictionary to the input, so neither does the estimate.
// - bzip2 (manual, "Memory management"): compress 400k + 8 x block size,
//   decompress 100k + 4 x block size; block size = level x 100 kB.
// - zstd: window plus match tables; the strongest levels (btultra) keep a
//   chain table of 2x the window in 4-byte entries. zstd shrinks the window
//   to the source size, so the estimate does too.
// - zlib deflate, LZO, LZ4 (HC): well under a few MiB.
// Every figure is rounded up; being wrong on the high side only costs
// parallelism.

import { freemem } from 'node:os';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The part of a codec setting the estimate reads (a CodecSetting fits). */
export interface SettingForMemory {
  algorithm: string;
  params: Readonly<Record<string, unknown>>;
}

/** xz/lzma preset 0-9 dictionary sizes (xz(1)). */
const XZ_PRESET_DICT = [256 * KiB, 1 * MiB, 2 * MiB, 4 * MiB, 4 * MiB, 8 * MiB, 8 * MiB, 16 * MiB, 32 * MiB, 64 * MiB];

function num(params: Readonly<Record<string, unknown>>, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = params[n];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Encoder + decoder state, in bytes, for one setting (not counting I/O buffers). */
export function codecStateBytes(setting: SettingForMemory, unitBytes: number): number {
  const p = setting.params;
  switch (setting.algorithm) {
    case 'xz':
    case 'lzma': {
      const preset = Math.min(9, Math.max(0, Math.trunc(num(p, 'preset') ?? 6)));
      const dict = num(p, 'dict_bytes', 'dict', 'dictSize', 'dict_size') ?? XZ_PRESET_DICT[preset]!;
      return 12 * dict + 2 * MiB + (dict + 1 * MiB);
    }
    case 'bzip2': {
      const level = Math.min(9, Math.max(1, Math.trunc(num(p, 'level') ?? 9)));
      const block = level * 100_000;
      return 400_000 + 8 * block + 100_000 + 4 * block + 1 * MiB;
    }
    case 'zstd': {
      const level = Math.trunc(num(p, 'level') ?? 3);
      const wlFromLevel = level <= 2 ? 20 : level <= 5 ? 21 : level <= 16 ? 22 : level <= 19 ? 23 : level === 20 ? 25 : level === 21 ? 26 : 27;
      const explicitWl = num(p, 'window_log', 'windowLog', 'wlog');
      // window_log 0 means "the level's default" in src/codecs.
      const wl = explicitWl !== undefined && explicitWl > 0 ? Math.trunc(explicitWl) : wlFromLevel;
      const window = Math.max(1 * KiB, Math.min(2 ** wl, nextPow2(Math.max(1, unitBytes))));
      const long = p['long'] === true || p['long'] === 'true' || (typeof p['long'] === 'number' && p['long'] > 0);
      const factor = (level >= 13 ? 10 : 5) + (long ? 2 : 0);
      return factor * window + 4 * MiB;
    }
    case 'lz4':
      // HC state is ~256 KiB; a legacy-frame writer may stage 8 MiB blocks.
      return 2 * 8 * MiB + 1 * MiB;
    case 'gzip':
    case 'lzo':
      return 2 * MiB;
    default:
      // Unknown to the estimate: assume a heavyweight.
      return 256 * MiB;
  }
}

/** Bytes a cell may need at its peak: codec state + compressed + output buffer + slack. */
export function estimateCellMemory(setting: SettingForMemory, unitBytes: number): number {
  const compressedWorst = Math.ceil(unitBytes * 1.01) + 64 * KiB;
  // Compressed buffer may be over-allocated then copied once: count it twice.
  return codecStateBytes(setting, unitBytes) + 2 * compressedWorst + unitBytes + 8 * MiB;
}

/**
 * Default budget for concurrently running cells: `fraction` (default 0.6)
 * of the memory available now (process.availableMemory(), which honours
 * cgroup limits, where Node has it; else os.freemem()).
 */
export function defaultMemoryBudget(fraction = 0.6): number {
  const proc = process as unknown as { availableMemory?: () => number; constrainedMemory?: () => number };
  let available = typeof proc.availableMemory === 'function' ? proc.availableMemory() : freemem();
  if (!(available > 0)) available = freemem();
  return Math.max(64 * MiB, Math.floor(available * fraction));
}
