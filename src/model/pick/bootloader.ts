// Strategy bootloader: an Image.* the board's boot loader decompresses, so no
// stub. Flash = payload; RAM = payload + kernel; boot = read + decompress.

import { parseLoaderEntry, formatProblem } from '../formats.js';
import { blankCandidate, bootTime } from './candidate.js';
import { boardDecompressMs } from './decompress-time.js';
import type { Candidate, MeasuredPayload, PickStrategy, StrategyContext } from './types.js';

export const bootloader: PickStrategy = {
  name: 'bootloader',
  forPayload({ board, facts, measured }: StrategyContext, m: MeasuredPayload): Candidate[] {
    const supported = board.bootloader_decompression;
    if (!supported) return [];
    const b = blankCandidate(board, 'bootloader', m.algorithm, m.setting);
    const entry = supported.map((e) => parseLoaderEntry(e, board.sources['bootloader_decompression'] ?? board.file)).find((e) => e.algorithm === m.algorithm);
    const unreadableByLoader = entry ? formatProblem(m.setting, entry.requirements, "the board's boot loader") : null;
    if (!entry) b.reason = `the board's boot loader does not decompress ${m.algorithm} (it takes ${supported.join(', ')})`;
    else if (unreadableByLoader) b.reason = `${m.algorithm}: ${unreadableByLoader}`;
    else {
      b.flash_bytes = m.payloadBytes;
      b.ram_bytes = m.payloadBytes + Math.max(m.outputBytes, facts.kernelMemoryBytes);
      b.basis = `payload only; RAM = payload + kernel (${facts.kernelMemorySource})`;
      bootTime(b, board, m.payloadBytes, boardDecompressMs(board, m.algorithm, m, measured));
      // the counts are of the kernel's lib/decompress_* decoders; the boot loader runs its own copy of the algorithm
      if (b.boot_basis.includes('decompress counted'))
        b.boot_basis += `; the kernel's ${m.algorithm} decoder stands in for the boot loader's own, which is not counted`;
    }
    return [b];
  },
  /** A board whose boot loader decompresses nothing gets one candidate saying so. */
  forBoard({ board }: StrategyContext): Candidate[] {
    if (board.bootloader_decompression) return [];
    const b = blankCandidate(board, 'bootloader', 'any', '');
    b.reason = `${board.name}'s boot loader decompresses nothing (no bootloader_decompression in ${board.file})`;
    return [b];
  },
};
