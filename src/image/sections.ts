// Sections of the decompressed kernel, one model for both ELF vmlinux and a
// raw Image (where the linker's marker symbols, _stext/_etext and friends,
// stand in for the section table that objcopy threw away).
import type { Elf, ElfSection } from './elf.js';

export type SectionKind = 'text' | 'rodata' | 'data' | 'bss' | 'init' | 'other';

export interface Section {
  name: string;
  address: bigint;
  /** Offset of the section's bytes in the decompressed kernel (null for bss-like sections without bytes). */
  offset: number | null;
  /** Bytes in memory. */
  bytes: number;
  /** Bytes stored in the kernel file (0 for bss). */
  fileBytes: number;
  kind: SectionKind;
}

export function elfSectionKind(s: ElfSection): SectionKind {
  if (!s.alloc) return 'other';
  if (/^\.(init|exit)\./.test(s.name) || s.name === '.init' || s.name === '.exit') return 'init';
  if (s.nobits) return 'bss';
  if (s.exec) return 'text';
  if (s.write) return 'data';
  return 'rodata';
}

export function elfSections(elf: Elf): Section[] {
  return elf.sections
    .filter((s) => s.index > 0 && s.size > 0)
    .map((s) => ({
      name: s.name,
      address: s.address,
      offset: s.nobits ? null : s.offset,
      bytes: s.size,
      fileBytes: s.nobits ? 0 : s.size,
      kind: elfSectionKind(s),
    }));
}

/** Marker pairs the kernel's linker scripts define on every arch that has them. */
const MARKERS: { name: string; kind: SectionKind; start: string[]; end: string[] }[] = [
  { name: '.head.text', kind: 'text', start: ['_text'], end: ['_stext'] },
  { name: '.text', kind: 'text', start: ['_stext'], end: ['_etext'] },
  { name: '.rodata', kind: 'rodata', start: ['__start_rodata'], end: ['__end_rodata', '__init_begin'] },
  { name: '.init', kind: 'init', start: ['__init_begin'], end: ['__init_end'] },
  { name: '.data', kind: 'data', start: ['_sdata'], end: ['_edata'] },
  { name: '.bss', kind: 'bss', start: ['__bss_start'], end: ['__bss_stop', '_end'] },
];

/**
 * Sections of a raw Image recovered from marker symbols. `base` is the
 * address of the Image's first byte, `imageBytes` its length.
 */
export function markerSections(addressOf: (name: string) => bigint | undefined, base: bigint, imageBytes: number): Section[] {
  const out: Section[] = [];
  for (const m of MARKERS) {
    const start = m.start.map(addressOf).find((a) => a !== undefined);
    const end = m.end.map(addressOf).find((a) => a !== undefined && start !== undefined && a >= start);
    if (start === undefined || end === undefined || end <= start || start < base) continue;
    const bytes = Number(end - start);
    const offset = Number(start - base);
    const stored = m.kind === 'bss' ? 0 : Math.max(0, Math.min(bytes, imageBytes - offset));
    out.push({ name: m.name, address: start, offset: stored > 0 ? offset : null, bytes, fileBytes: stored, kind: m.kind });
  }
  return out;
}
