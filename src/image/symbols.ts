// One symbol model for the three sources a kernel's symbols come from:
// the ELF .symtab, a real System.map, or the image's own kallsyms tables.
// Each text symbol gets an extent (to the next symbol, bounded by the end of
// its section) and the byte range it occupies in the decompressed kernel.
import type { Section } from './sections.js';

export type SymbolSource = 'symtab' | 'system.map' | 'kallsyms' | 'none';

export interface KernelSymbol {
  name: string;
  /** nm's type letter: t/T text, d/D data, r/R read-only, b/B bss, w/W weak, ... */
  type: string;
  address: bigint;
  /** st_size from the ELF symbol table, when the source has sizes. */
  size: number | null;
}

export interface KernelFunction {
  name: string;
  address: bigint;
  /** Bytes from this symbol to the next higher address, bounded by the section end. */
  extent: number;
  /** Offset of the first byte in the decompressed kernel, or null when it has no stored bytes. */
  offset: number | null;
  section: string;
}

const TEXT_TYPES = new Set(['t', 'T', 'w', 'W']);

export function isTextType(type: string): boolean {
  return TEXT_TYPES.has(type);
}

/** The section holding an address (the innermost, i.e. the smallest one). */
export function sectionAt(sections: readonly Section[], address: bigint): Section | undefined {
  let best: Section | undefined;
  for (const s of sections) {
    if (s.bytes === 0 || address < s.address || address >= s.address + BigInt(s.bytes)) continue;
    if (!best || s.bytes < best.bytes) best = s;
  }
  return best;
}

/**
 * Text symbols with their extents and byte ranges. A symbol is a function
 * when its type is t/T/w/W and it lies in a text section; its extent runs
 * to the next symbol (of any type) at a higher address, and stops at the
 * end of its section.
 */
export function functionExtents(symbols: readonly KernelSymbol[], sections: readonly Section[]): KernelFunction[] {
  const textSections = sections.filter((s) => s.kind === 'text' || (s.kind === 'init' && /text/.test(s.name)));
  const sorted = [...symbols].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const out: KernelFunction[] = [];
  let next = 0;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    if (!isTextType(s.type)) continue;
    const section = sectionAt(textSections, s.address);
    if (!section) continue;
    if (next <= i) next = i + 1;
    while (next < sorted.length && sorted[next]!.address <= s.address) next++;
    const sectionEnd = section.address + BigInt(section.bytes);
    const nextAddr = next < sorted.length ? sorted[next]!.address : sectionEnd;
    const end = nextAddr < sectionEnd ? nextAddr : sectionEnd;
    const delta = s.address - section.address;
    out.push({
      name: s.name,
      address: s.address,
      extent: Number(end - s.address),
      offset: section.offset === null ? null : section.offset + Number(delta),
      section: section.name,
    });
  }
  return out;
}
