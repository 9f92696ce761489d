// One symbol model for the three sources a kernel's symbols come from:
// the ELF .symtab, a real System.map, or the image's own kallsyms tables.
// Each text symbol gets an extent (where its code ends: its st_size, or the
// span to the next symbol, bounded by the end of its section, less the
// arch's trailing fill, src/image/fill.ts), the hole after it (alignment
// padding up to the next symbol) and the byte range it occupies in the
// decompressed kernel.
import { codeLength, type FillArch } from './fill.js';
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
  /**
   * Bytes of code: st_size when the source has it, else the span to the next
   * higher address (bounded by the section end) less its trailing fill.
   */
  extent: number;
  /** Padding after the code, up to the next symbol or the section end (span - extent); absent = 0. */
  hole?: number;
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

export interface ExtentOptions {
  /** The decompressed kernel, to find where code ends inside a span. */
  kernel?: Uint8Array;
  /** The arch's fill rule (fillArch); without it or `kernel`, extents are whole spans. */
  fill?: FillArch;
}

/**
 * Text symbols with their extents and byte ranges. A symbol is a function
 * when its type is t/T/w/W and it lies in a text section; its span runs to
 * the next symbol (of any type) at a higher address, and stops at the end of
 * its section. The extent is the code in that span: st_size when given and
 * nonzero, else the span less its trailing fill; the rest is the hole.
 */
export function functionExtents(symbols: readonly KernelSymbol[], sections: readonly Section[], options: ExtentOptions = {}): KernelFunction[] {
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
    const span = Number(end - s.address);
    const offset = section.offset === null ? null : section.offset + Number(delta);
    const extent = codeBytes(s, span, offset, options);
    out.push({ name: s.name, address: s.address, extent, hole: span - extent, offset, section: section.name });
  }
  return out;
}

function codeBytes(s: KernelSymbol, span: number, offset: number | null, o: ExtentOptions): number {
  if (s.size !== null && s.size > 0) return Math.min(s.size, span);
  if (!o.kernel || !o.fill || offset === null || offset < 0 || offset + span > o.kernel.length) return span;
  return codeLength(o.kernel.subarray(offset, offset + span), o.fill);
}
