// What gets compressed: the whole kernel as the build compresses it, or each
// section with stored bytes on its own.
import { elfLoadImage, parseElf } from '../image/elf.js';
import type { KernelImage } from '../image/index.js';
import { srcArch } from '../image/config.js';

export type UnitKind = 'whole' | 'sections';
export const UNIT_KINDS: readonly UnitKind[] = ['whole', 'sections'];

export interface CompressionUnit {
  /** `unit` column: "whole" or the section name. */
  name: string;
  kind: 'whole' | 'section';
  /** Offset in the decompressed kernel. */
  offset: number;
  bytes: Uint8Array;
}

/**
 * The bytes the kernel build feeds its compressor: the decompressed payload
 * when the image has one (x86: vmlinux.bin + relocations; arm: Image), the
 * Image itself when uncompressed. For a bare ELF vmlinux, x86 compresses the
 * ELF (arch/x86/boot/compressed keeps it ELF) and every other arch the
 * objcopy -O binary Image.
 */
export function wholeUnit(img: KernelImage): CompressionUnit {
  if (img.format === 'elf' && srcArch(img.arch) !== 'x86') {
    const load = elfLoadImage(img.kernel, parseElf(img.kernel));
    return { name: 'whole', kind: 'whole', offset: 0, bytes: load.bytes };
  }
  return { name: 'whole', kind: 'whole', offset: 0, bytes: img.kernel };
}

/** Every section with stored bytes (text, rodata, data, init), each on its own. */
export function sectionUnits(img: KernelImage): CompressionUnit[] {
  return img.sections
    .filter((s) => s.kind !== 'other' && s.offset !== null && s.fileBytes > 0)
    .map((s) => ({ name: s.name, kind: 'section' as const, offset: s.offset!, bytes: img.kernel.subarray(s.offset!, s.offset! + s.fileBytes) }));
}

export function units(img: KernelImage, kind: UnitKind): CompressionUnit[] {
  return kind === 'whole' ? [wholeUnit(img)] : sectionUnits(img);
}
