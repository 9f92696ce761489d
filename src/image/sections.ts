// Sections of the decompressed kernel, one model for both ELF vmlinux and a
// raw Image (where the linker's marker symbols, _stext/_etext and friends,
// stand in for the section table that objcopy threw away).
import type { Elf, ElfSection } from './elf.js';

/** `unknown`: bytes of a raw Image that no marker symbol accounts for. */
export type SectionKind = 'text' | 'rodata' | 'data' | 'bss' | 'init' | 'unknown' | 'other';

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
  // x86 links .rodata writable (it holds __ro_after_init data); the name says what it is.
  if (s.name === '.rodata' || s.name.startsWith('.rodata.')) return 'rodata';
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
  // riscv: the Image starts at _start (arch/riscv/kernel/vmlinux.lds.S puts
  // _start and HEAD_TEXT_SECTION before .text, where _text = _stext).
  { name: '.head.text', kind: 'text', start: ['_start'], end: ['_text'] },
  { name: '.head.text', kind: 'text', start: ['_text'], end: ['_stext'] },
  { name: '.text', kind: 'text', start: ['_stext'], end: ['_etext'] },
  { name: '.rodata', kind: 'rodata', start: ['__start_rodata'], end: ['__end_rodata', '__init_begin'] },
  { name: '.init', kind: 'init', start: ['__init_begin'], end: ['__init_end'] },
  { name: '.init.text', kind: 'init', start: ['_sinittext'], end: ['_einittext'] },
  { name: '.init.data', kind: 'init', start: ['_einittext'], end: ['__init_end'] },
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
    if (out.some((s) => s.name === m.name)) continue;
    const start = m.start.map(addressOf).find((a) => a !== undefined);
    const end = m.end.map(addressOf).find((a) => a !== undefined && start !== undefined && a >= start);
    if (start === undefined || end === undefined || end <= start || start < base) continue;
    if (m.start[0] === '_start' && start !== base) continue;
    const bytes = Number(end - start);
    const offset = Number(start - base);
    const stored = m.kind === 'bss' ? 0 : Math.max(0, Math.min(bytes, imageBytes - offset));
    out.push({ name: m.name, address: start, offset: stored > 0 ? offset : null, bytes, fileBytes: stored, kind: m.kind });
  }
  // .init is split at its text: .init (before _sinittext, when anything is),
  // .init.text (code, counted as functions) and .init.data (after _einittext).
  splitInit(out);
  // A section inside another is left to the outer one.
  const within = (a: Section, b: Section) =>
    a !== b && a.address >= b.address && a.address + BigInt(a.bytes) <= b.address + BigInt(b.bytes) && (a.bytes < b.bytes || out.indexOf(a) > out.indexOf(b));
  const kept = out.filter((a) => !out.some((b) => within(a, b)));
  // Bytes of the Image no marker accounts for (rodata and data when kallsyms has only text symbols).
  const stored = kept.filter((s) => s.offset !== null).sort((a, b) => a.offset! - b.offset!);
  const gaps: Section[] = [];
  let at = 0;
  for (const s of [...stored, { offset: imageBytes, fileBytes: 0 } as Section]) {
    if (s.offset! > at)
      gaps.push({
        name: `.unknown@${'0x' + (base + BigInt(at)).toString(16)}`,
        address: base + BigInt(at),
        offset: at,
        bytes: s.offset! - at,
        fileBytes: s.offset! - at,
        kind: 'unknown',
      });
    at = Math.max(at, s.offset! + s.fileBytes);
  }
  return [...kept, ...gaps].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** Cut .init down to the bytes before .init.text, or drop it when .init.text and .init.data cover it. */
function splitInit(out: Section[]): void {
  const init = out.findIndex((s) => s.name === '.init');
  const text = out.find((s) => s.name === '.init.text');
  if (init < 0 || !text) return;
  const outer = out[init]!;
  const inside = text.address >= outer.address && text.address + BigInt(text.bytes) <= outer.address + BigInt(outer.bytes);
  if (!inside) return;
  const head = Number(text.address - outer.address);
  const data = out.find((s) => s.name === '.init.data');
  if (data && data.address + BigInt(data.bytes) !== outer.address + BigInt(outer.bytes)) out.splice(out.indexOf(data), 1);
  if (head === 0) out.splice(init, 1);
  else out[init] = { ...outer, bytes: head, fileBytes: Math.min(head, outer.fileBytes) };
}
