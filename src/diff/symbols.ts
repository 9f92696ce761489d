// Per-symbol size diff with the rules of the kernel's scripts/bloat-o-meter
// (read from torvalds/linux, identical in Debian's linux-source-6.1):
//
// - symbols come from `nm --size-sort`: defined symbols with a nonzero size
//   only (zero-size symbols are not listed at all);
// - a class is a set of nm type letters: with -c, "Function" tT, "Data"
//   dDbB, "RO Data" rR; without flags one class "Function" of all eight.
//   Weak symbols (W, V), absolute (A) and others are in no class;
// - generated names are skipped: __mod_*, __se_sys*, __se_compat_sys*,
//   __addressable_*, linux_banner, vermagic;
// - every ".NUMBER" in a name is removed (foo.isra.0 -> foo.isra,
//   foo.constprop.0 -> foo.constprop, __func__.12 -> __func__); other
//   suffixes (foo.cold, foo.part) stay;
// - symbols that end up with one name (static duplicates, foo.isra.0 and
//   foo.isra.1) are one entry whose size is the SUM of theirs;
// - a name only in the old image is removed, only in the new is added
//   (a rename is one of each), in both with a different size grown or shrunk;
// - rows sort by delta, largest first, ties by name in reverse; rows with
//   a zero delta are not printed but count in the totals.
import type { KernelImage, KernelSymbol, Section } from '../image/index.js';
import { sectionAt } from '../image/symbols.js';

export type SymbolClassId = 'functions' | 'data' | 'rodata' | 'all';

export interface SymbolClass {
  id: SymbolClassId;
  /** bloat-o-meter's heading for the class. */
  title: string;
  /** nm type letters in the class. */
  types: string;
}

/** bloat-o-meter -c's three classes. */
export const SYMBOL_CLASSES: readonly SymbolClass[] = [
  { id: 'functions', title: 'Function', types: 'tT' },
  { id: 'data', title: 'Data', types: 'dDbB' },
  { id: 'rodata', title: 'RO Data', types: 'rR' },
];

/** bloat-o-meter without flags: one table of every class (headed "Function" there too). */
export const ALL_SYMBOLS: SymbolClass = { id: 'all', title: 'Function', types: 'tTdDbBrR' };

/** How symbol sizes were obtained. */
export type SizeMethod = 'st_size' | 'extent';

export interface SizedSymbol {
  name: string;
  type: string;
  size: number;
}

export type SymbolChange = 'added' | 'removed' | 'grown' | 'shrunk';

export interface SymbolDelta {
  /** Name after bloat-o-meter's normalisation (".NUMBER" removed). */
  name: string;
  /** Summed size in the old image, or null when the name is not there. */
  old: number | null;
  new: number | null;
  delta: number;
  change: SymbolChange;
}

export interface SymbolSummary {
  added: number;
  removed: number;
  grown: number;
  shrunk: number;
  /** Bytes added by added and grown symbols. */
  up: number;
  /** Bytes lost by removed and shrunk symbols (a positive number; printed negated). */
  down: number;
  /** up - down. */
  net: number;
}

export interface SymbolClassDiff {
  class: SymbolClassId;
  title: string;
  types: string;
  /** False when the class cannot be compared (see reason); then rows and totals are empty. */
  compared: boolean;
  reason: string | null;
  summary: SymbolSummary;
  /** Every name whose size changed, in bloat-o-meter's order. */
  rows: SymbolDelta[];
  /** Names present in both with an unchanged size. */
  unchanged: number;
  before: number;
  after: number;
  /** (after - before) * 100 / before, 0 when before is 0 (as bloat-o-meter). */
  percent: number;
}

const NUMBER = /\.[0-9]+/g;

/** bloat-o-meter's name: every ".NUMBER" removed. */
export function bloatName(name: string): string {
  return name.replace(NUMBER, '');
}

/** Names bloat-o-meter skips as generated. */
export function isGeneratedName(name: string): boolean {
  return (
    name.startsWith('__mod_') ||
    name.startsWith('__se_sys') ||
    name.startsWith('__se_compat_sys') ||
    name.startsWith('__addressable_') ||
    name === 'linux_banner' ||
    name === 'vermagic'
  );
}

/**
 * Linker-script markers (include/asm-generic/vmlinux.lds.h and the arch
 * scripts): names for a place, not an object. The list is explicit: a
 * pattern as loose as "__*_start" also matches real functions
 * (__hrtick_start, __traceiter_*_start); __start_SECTION / __stop_SECTION
 * only count as markers outside text, where __start_tty() is a function.
 */
const MARKER = new RegExp(
  '^(?:_text|_stext|_etext|_sdata|_edata|_sinittext|_einittext|_end|__bss_start|__bss_stop|__init_begin|__init_end|__start_rodata|__end_rodata\\w*)$' +
    '|^__\\w+_text_(?:start|end)$' + // __sched_text_start, __kprobes_text_end, ...
    '|^__indirect_thunk_(?:start|end)$',
);

const SECTION_MARKER = /^__(?:start|stop)_/;

export function isMarker(name: string, type = ''): boolean {
  return MARKER.test(name) || (SECTION_MARKER.test(name) && type !== 't' && type !== 'T');
}

const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);
const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sizes from st_size (an ELF .symtab), as nm --size-sort prints them.
 * Symbols without a size (System.map, kallsyms) count as 0 here.
 */
export function stSizes(symbols: readonly KernelSymbol[]): SizedSymbol[] {
  return symbols.map((s) => ({ name: s.name, type: s.type, size: s.size ?? 0 }));
}

/**
 * Sizes where the source has none (kallsyms, System.map): the extent from a
 * symbol's address to the next higher symbol address, stopping at the end of
 * the section that holds it (the innermost allocated one), and for a text
 * symbol at the end of its code (`codeAt`: KernelImage.functions' extents,
 * which leave the alignment padding after a function out); 0 for a symbol in
 * no section. Symbols sharing one address (aliases) are counted once, the way
 * nm gives 0 to all but one of a run of equal addresses: the extent goes to
 * the first alias in code-point order among those a class counts (so a weak
 * or generated alias does not take it), and not a linker marker (_stext,
 * __start_rodata, ...) when a real symbol shares its address; the others get 0.
 * Linker markers themselves get 0: a .symtab gives them st_size 0, so nm
 * --size-sort never lists them, and neither does an extent-based diff.
 */
export function extentSizes(symbols: readonly KernelSymbol[], sections: readonly Section[], codeAt?: ReadonlyMap<bigint, number>): SizedSymbol[] {
  const alloc = sections.filter((s) => s.kind !== 'other' && s.bytes > 0);
  const counted = (s: KernelSymbol) =>
    (s.type.length === 1 && ALL_SYMBOLS.types.includes(s.type) && !isGeneratedName(s.name) ? 0 : 2) + (isMarker(s.name, s.type) ? 1 : 0);
  const sorted = [...symbols].sort((a, b) => cmpBig(a.address, b.address) || counted(a) - counted(b) || cmpStr(a.name, b.name));
  const out: SizedSymbol[] = [];
  let next = 0;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    const aliasOfPrevious = i > 0 && sorted[i - 1]!.address === s.address;
    if (next <= i) next = i + 1;
    while (next < sorted.length && sorted[next]!.address <= s.address) next++;
    const section = sectionAt(alloc, s.address);
    let size = 0;
    if (!aliasOfPrevious && section && !isMarker(s.name, s.type)) {
      const end = section.address + BigInt(section.bytes);
      const nextAddr = next < sorted.length && sorted[next]!.address < end ? sorted[next]!.address : end;
      size = Number(nextAddr - s.address);
      // a function's size ends where its code does: the padding after it is not the function's
      const code = /^[tTwW]$/.test(s.type) ? codeAt?.get(s.address) : undefined;
      if (code !== undefined) size = Math.min(size, code);
    }
    out.push({ name: s.name, type: s.type, size });
  }
  return out;
}

/** Symbols by how the image allows: st_size from a .symtab, else extents. */
export function symbolSizes(img: KernelImage, method: SizeMethod): SizedSymbol[] {
  if (method === 'st_size') return stSizes(img.symbols.list);
  const codeAt = new Map<bigint, number>();
  for (const f of img.functions) codeAt.set(f.address, Math.max(codeAt.get(f.address) ?? 0, f.extent));
  return extentSizes(img.symbols.list, img.sections, codeAt);
}

/** bloat-o-meter's getsizes(): normalised name -> summed size, for one class. */
export function classSizes(symbols: readonly SizedSymbol[], types: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of symbols) {
    if (s.size === 0 || s.type.length !== 1 || !types.includes(s.type)) continue;
    // nm prints "size type name" and bloat-o-meter skips lines with ':' in them.
    if (s.name.includes(':') || /\s/.test(s.name) || isGeneratedName(s.name)) continue;
    const name = bloatName(s.name);
    out.set(name, (out.get(name) ?? 0) + s.size);
  }
  return out;
}

/** bloat-o-meter's calc() for one class. */
export function diffClass(cls: SymbolClass, old: Map<string, number>, now: Map<string, number>): SymbolClassDiff {
  const summary: SymbolSummary = { added: 0, removed: 0, grown: 0, shrunk: 0, up: 0, down: 0, net: 0 };
  const rows: SymbolDelta[] = [];
  let before = 0;
  let after = 0;
  let unchanged = 0;
  for (const [name, size] of old) {
    before += size;
    const n = now.get(name);
    if (n === undefined) {
      summary.removed++;
      summary.down += size;
      rows.push({ name, old: size, new: null, delta: -size, change: 'removed' });
    } else if (n > size) {
      summary.grown++;
      summary.up += n - size;
      rows.push({ name, old: size, new: n, delta: n - size, change: 'grown' });
    } else if (n < size) {
      summary.shrunk++;
      summary.down += size - n;
      rows.push({ name, old: size, new: n, delta: n - size, change: 'shrunk' });
    } else unchanged++;
  }
  for (const [name, size] of now) {
    after += size;
    if (old.has(name)) continue;
    summary.added++;
    summary.up += size;
    rows.push({ name, old: null, new: size, delta: size, change: 'added' });
  }
  summary.net = summary.up - summary.down;
  // Python's sort of (delta, name) tuples, reversed.
  rows.sort((a, b) => b.delta - a.delta || cmpStr(b.name, a.name));
  const percent = before ? ((after - before) * 100.0) / before : 0;
  return { class: cls.id, title: cls.title, types: cls.types, compared: true, reason: null, summary, rows, unchanged, before, after, percent };
}

export function notCompared(cls: SymbolClass, reason: string): SymbolClassDiff {
  return {
    class: cls.id,
    title: cls.title,
    types: cls.types,
    compared: false,
    reason,
    summary: { added: 0, removed: 0, grown: 0, shrunk: 0, up: 0, down: 0, net: 0 },
    rows: [],
    unchanged: 0,
    before: 0,
    after: 0,
    percent: 0,
  };
}

/** Python's "%+.2f": like toFixed, but exact ties round half to even. */
export function pythonPercent(x: number): string {
  const sign = x < 0 ? '-' : '+';
  const a = Math.abs(x);
  let text = a.toFixed(2);
  // An exact tie at the third decimal needs a*8 to be an odd integer (x = k + m/8).
  const eighths = a * 8;
  if (Number.isInteger(eighths) && eighths % 2 === 1) {
    const cents = Math.floor(a * 100);
    text = ((cents % 2 === 0 ? cents : cents + 1) / 100).toFixed(2);
  }
  return sign + text;
}

/** "add/remove: A/R grow/shrink: G/S up/down: U/-D (N)" */
export function summaryLine(d: SymbolClassDiff): string {
  const s = d.summary;
  return `add/remove: ${s.added}/${s.removed} grow/shrink: ${s.grown}/${s.shrunk} up/down: ${s.up}/${-s.down} (${s.net})`;
}

/** "Total: Before=X, After=Y, chg +P%" */
export function totalLine(d: SymbolClassDiff): string {
  return `Total: Before=${d.before}, After=${d.after}, chg ${pythonPercent(d.percent)}%`;
}

const signed = (n: number) => (n >= 0 ? `+${n}` : String(n));

/** One class printed exactly as bloat-o-meter prints it. */
export function bloatOMeterText(d: SymbolClassDiff): string {
  const lines = [summaryLine(d), `${d.title.padEnd(40)} ${'old'.padStart(7)} ${'new'.padStart(7)} ${'delta'.padStart(7)}`];
  for (const r of d.rows) {
    lines.push(`${r.name.padEnd(40)} ${String(r.old ?? '-').padStart(7)} ${String(r.new ?? '-').padStart(7)} ${signed(r.delta).padStart(7)}`);
  }
  lines.push(totalLine(d));
  return lines.join('\n');
}
