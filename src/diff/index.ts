// The diff API: where the bytes went between two kernel images, per symbol
// (bloat-o-meter's rules), per section (with totals) and compressed (each
// chosen algorithm's kernel profile, before and after: the flash cost).
//
// What can be compared depends on the pair:
// - two arches: sections (by name) and compressed sizes, not symbols: the
//   same function built for two instruction sets differs by the ISA and the
//   compiler, not by the change, so a per-symbol delta would mislead;
// - an image without symbols: sections and compressed sizes only;
// - an image whose symbols have no sizes (kallsyms, System.map): sizes are
//   extents for BOTH images (so they are measured alike), and a class one
//   side does not list (kallsyms without CONFIG_KALLSYMS_ALL has text only)
//   is not compared.
import type { KernelImage } from '../image/index.js';
import { compressedDiff, shippedAlgorithm, type CompressedDiff, type CompressOptions } from './compressed.js';
import { diffSections, type SectionDiff } from './sections.js';
import {
  ALL_SYMBOLS,
  classSizes,
  diffClass,
  notCompared,
  SYMBOL_CLASSES,
  symbolSizes,
  type SizedSymbol,
  type SizeMethod,
  type SymbolClass,
  type SymbolClassDiff,
} from './symbols.js';

export * from './symbols.js';
export * from './sections.js';
export * from './compressed.js';

export interface DiffOptions extends CompressOptions {
  /** Compress both images (default true); false gives symbols and sections only. */
  compressed?: boolean;
}

export interface ImageSummary {
  path: string;
  format: string;
  kernelFormat: 'elf' | 'raw';
  arch: string;
  bits: number;
  release: string | null;
  fileBytes: number;
  /** The algorithm the image ships (or its .config names) and the stored payload bytes (null when not shipped). */
  shipped: { algorithm: string; source: 'shipped' | 'config'; storedBytes: number | null } | null;
  symbols: { source: string; detail: string; count: number };
  sections: number;
}

export interface SymbolsDiff {
  compared: boolean;
  reason: string | null;
  sizeMethod: SizeMethod | null;
  /** bloat-o-meter -c: functions, data, read-only data. */
  classes: SymbolClassDiff[];
  /** bloat-o-meter without -c: one table over the compared classes' types. */
  all: SymbolClassDiff | null;
}

export interface DiffResult {
  old: ImageSummary;
  new: ImageSummary;
  /** What a reader must know to read the numbers (what was not compared, and why). */
  messages: string[];
  symbols: SymbolsDiff;
  sections: SectionDiff;
  compressed: CompressedDiff | null;
}

function summarize(img: KernelImage): ImageSummary {
  const s = shippedAlgorithm(img);
  return {
    path: img.path,
    format: img.format,
    kernelFormat: img.kernelFormat,
    arch: img.arch,
    bits: img.bits,
    release: img.release,
    fileBytes: img.fileBytes,
    shipped: s ? { algorithm: s.algorithm, source: s.source, storedBytes: s.source === 'shipped' ? img.payload!.storedBytes : null } : null,
    symbols: { source: img.symbols.source, detail: img.symbols.detail, count: img.symbols.list.length },
    sections: img.sections.length,
  };
}

const label = (which: 'old' | 'new', img: KernelImage) => `${which} (${img.path})`;

function classCount(symbols: readonly SizedSymbol[], cls: SymbolClass): number {
  return symbols.filter((s) => s.size > 0 && s.type.length === 1 && cls.types.includes(s.type)).length;
}

/** Why one side cannot be compared in a class, or null. */
function missingClass(which: 'old' | 'new', img: KernelImage, count: number, cls: SymbolClass): string | null {
  if (count > 0 || img.symbols.source === 'symtab') return null;
  const why = img.symbols.source === 'kallsyms' ? ' (kallsyms without CONFIG_KALLSYMS_ALL lists text symbols only)' : '';
  return `${which} lists no ${cls.title.toLowerCase()} symbols${why}`;
}

export function diffSymbols(old: KernelImage, now: KernelImage, messages: string[] = []): SymbolsDiff {
  const none = (reason: string): SymbolsDiff => ({ compared: false, reason, sizeMethod: null, classes: [], all: null });
  if (old.arch !== now.arch) {
    return none(
      `different arches (${old.arch} and ${now.arch}): symbols are not compared, since one function built for two instruction sets differs by the ISA, not by the change; sections (by name) and compressed sizes are`,
    );
  }
  for (const [which, img] of [
    ['old', old],
    ['new', now],
  ] as const) {
    if (img.symbols.source === 'none') {
      return none(`${label(which, img)} has no symbols (${img.symbols.detail}): comparing sections and compressed sizes only`);
    }
  }
  const sizeMethod: SizeMethod = old.symbols.source === 'symtab' && now.symbols.source === 'symtab' ? 'st_size' : 'extent';
  if (sizeMethod === 'extent') {
    const unsized = (
      [
        ['old', old],
        ['new', now],
      ] as const
    )
      .filter(([, i]) => i.symbols.source !== 'symtab')
      .map(([w, i]) => `${w}: ${i.symbols.source}`);
    messages.push(
      `symbol sizes are extents (address to the next symbol, bounded by the section), not st_size, because ${unsized.length === 2 ? 'neither image has' : 'one image has no'} sizes (${unsized.join(', ')})` +
        (unsized.length === 1 ? '; the other image is measured the same way so the two compare' : '') +
        '; an extent includes alignment padding after the symbol, so it can exceed what nm --size-sort would print',
    );
  }
  const sizedOld = symbolSizes(old, sizeMethod);
  const sizedNew = symbolSizes(now, sizeMethod);
  const classes: SymbolClassDiff[] = [];
  for (const cls of SYMBOL_CLASSES) {
    const reasons = [missingClass('old', old, classCount(sizedOld, cls), cls), missingClass('new', now, classCount(sizedNew, cls), cls)].filter(
      (r): r is string => r !== null,
    );
    if (reasons.length) {
      const d = notCompared(cls, `${cls.title}: not compared: ${reasons.join('; ')}`);
      messages.push(d.reason!);
      classes.push(d);
    } else classes.push(diffClass(cls, classSizes(sizedOld, cls.types), classSizes(sizedNew, cls.types)));
  }
  const types = classes
    .filter((c) => c.compared)
    .map((c) => c.types)
    .join('');
  const allClass: SymbolClass = types === SYMBOL_CLASSES.map((c) => c.types).join('') ? ALL_SYMBOLS : { ...ALL_SYMBOLS, types };
  const all = types ? diffClass(allClass, classSizes(sizedOld, types), classSizes(sizedNew, types)) : null;
  return { compared: true, reason: null, sizeMethod, classes, all };
}

export async function diffImages(old: KernelImage, now: KernelImage, options: DiffOptions = {}): Promise<DiffResult> {
  const messages: string[] = [];
  const symbols = diffSymbols(old, now, messages);
  if (symbols.reason) messages.unshift(symbols.reason);
  if (old.kernelFormat !== now.kernelFormat) {
    messages.push(
      `old's sections come from ${old.kernelFormat === 'elf' ? 'its ELF section table' : 'marker symbols (raw Image)'}, new's from ${now.kernelFormat === 'elf' ? 'its ELF section table' : 'marker symbols (raw Image)'}: only sections of the same name compare`,
    );
  }
  for (const [which, img] of [
    ['old', old],
    ['new', now],
  ] as const) {
    if (img.sections.length === 0) messages.push(`${label(which, img)} has no sections (a raw Image without the marker symbols that place them)`);
  }
  const sections = diffSections(old.sections, now.sections);
  let compressed: CompressedDiff | null = null;
  if (options.compressed ?? true) {
    compressed = await compressedDiff(old, now, options);
    messages.push(...compressed.notes);
  }
  return { old: summarize(old), new: summarize(now), messages, symbols, sections, compressed };
}
