// Recover a raw kernel Image's base address (the virtual address of its
// byte 0, i.e. _text) from the Image itself, with no section table.
//
// kallsyms gives symbol addresses, but distribution kernels are built
// without CONFIG_KALLSYMS_ALL, so _text itself is not among them (only the
// text symbols are, _stext included, and _stext is not byte 0: 0x10000 into
// an arm64 Image, 0x2f8000 into Debian's armhf one). The exported-symbol
// table ties symbol addresses to name strings that are both in the Image:
//
//   __ksymtab entry (include/linux/export.h up to 6.4, export-internal.h
//   since; 5.4+ add the namespace field, older ones have two fields):
//
//   CONFIG_HAVE_ARCH_PREL32_RELOCATIONS (arm64, x86_64, riscv, ppc64, ...):
//     { int32 value_offset; int32 name_offset; int32 namespace_offset; }
//     each relative to the field's own address, entries 4-aligned.
//   otherwise (32-bit ARM, ...):
//     { unsigned long value; const char *name; [const char *namespace;] }
//     absolute, entries word-aligned.
//
//   The name points at "S\0" in __ksymtab_strings, which always follows a
//   NUL (the previous string's terminator; since 6.5 each name is followed
//   by its namespace string, "" when none).
//
// PREL32: for a word-aligned offset E, the name field at E+4 points at file
// offset E+4+name_offset, whatever the base; when that is a NUL-preceded
// string equal to a kallsyms name S, the value field says S is at file
// offset E+value_offset, so base = address(S) - (E + value_offset).
//
// Absolute: a word v equal to the address of a kallsyms symbol S, followed
// by a word n: when the entry is real, n is the virtual address of the
// string "S\0", so base = n - o for o the file offset of that string.
//
// Each entry votes for one base (one per candidate string offset in the
// absolute layout); the winner needs MIN_VOTES votes, half the entries that
// voted at all, RUNNER_UP times the votes of any other base, and must place
// the kallsyms text markers (_stext, _etext, ...) inside the Image.
// Everything else returns null: the base is exact or absent. Entries are
// taken at word alignment from the start of `image` (true of a raw Image,
// whose base is page-aligned, and of an ELF file's load segments).
//
// Speed: the Image is not scanned word by word. The first 24 bytes of every
// BLOCK-byte block are probed (two entries at least, whatever their size
// and phase); blocks where an entry checks out are scanned in full, and so
// are their neighbours while they hold entries too (a flood fill), which
// covers the contiguous __ksymtab/__ksymtab_gpl and little else. Only the
// absolute layout then searches the Image for the names of a few entries
// (the longest, among those whose name pointers cluster where
// __ksymtab_strings must be) to get candidate bases, and checks every
// entry against each.

import { Buffer } from 'node:buffer';
import { bswap32, HOST_LITTLE_ENDIAN, int32Words } from './bytes.js';

export interface ImageBase {
  /** Virtual address of image[0]. */
  base: bigint;
  /** How it was found, e.g. "__ksymtab PREL32 (12-byte entries)". */
  method: string;
  /** Entries that agree on `base`. */
  votes: number;
  /** Entries that voted for some base. */
  candidates: number;
}

export interface ImageBaseHints {
  wordSize: 4 | 8;
  littleEndian: boolean;
}

/** Fewest agreeing entries for a result (a real kernel exports thousands). */
export const MIN_VOTES = 16;
/** The winner needs at least this share of the entries that voted... */
const MIN_SHARE = 0.5;
/** ...and this many times the votes of the next base. */
const RUNNER_UP = 8;
/** Block size of the probe-and-flood scan. */
const BLOCK = 1024;
/** Bytes probed at the start of each block: two entries of up to 12 bytes, one of 24. */
const PROBE = 24;
/** KSYM_NAME_LEN */
const MAX_NAME = 512;
/** Offsets kept per string in the absolute layout (a name is rarely in the Image more than twice). */
const MAX_OFFSETS = 8;
/** kallsyms markers that lie in the Image when they are present. */
const ANCHORS = new Set(['_text', '_stext', 'stext', '_etext', '_sinittext', '_einittext', '_head']);

type Symbols = readonly { name: string; address: bigint }[];

interface Tally {
  votes: Map<bigint, number>;
  /** File offsets of the entries that voted, per base (for the entry size). */
  where: Map<bigint, number[]>;
  candidates: number;
}

function newTally(): Tally {
  return { votes: new Map(), where: new Map(), candidates: 0 };
}

function vote(t: Tally, base: bigint, entry: number): void {
  t.votes.set(base, (t.votes.get(base) ?? 0) + 1);
  let w = t.where.get(base);
  if (!w) t.where.set(base, (w = []));
  if (w.length < 4096) w.push(entry);
}

/** The printable NUL-terminated string at o, or undefined. */
function nameAt(b: Uint8Array, o: number): string | undefined {
  let s = '';
  for (let q = o; q < b.length && q - o <= MAX_NAME; q++) {
    const c = b[q];
    if (c === 0) return s.length ? s : undefined;
    if (c < 0x21 || c > 0x7e) return undefined;
    s += String.fromCharCode(c);
  }
  return undefined;
}

/**
 * Probe the first PROBE bytes of every block with `test` (word index ->
 * entry found there); scan the rest of the blocks where it hit, and of
 * their neighbours while these hold entries too. `test` sees every word
 * index at most once, in no particular order.
 */
function flood(words: number, test: (i: number) => boolean): void {
  const per = BLOCK / 4;
  const head = PROBE / 4;
  const nb = Math.ceil(words / per);
  const queued = new Uint8Array(nb);
  const queue: number[] = [];
  const push = (k: number): void => {
    if (k >= 0 && k < nb && !queued[k]) {
      queued[k] = 1;
      queue.push(k);
    }
  };
  const hits = new Uint8Array(nb);
  for (let k = 0; k < nb; k++) {
    const from = k * per;
    const to = Math.min(words, from + head);
    for (let i = from; i < to; i++) if (test(i)) hits[k] = 1;
    if (hits[k]) push(k);
  }
  while (queue.length) {
    const k = queue.pop()!;
    const to = Math.min(words, (k + 1) * per);
    for (let i = k * per + head; i < to; i++) if (test(i)) hits[k] = 1;
    if (hits[k]) {
      push(k - 1);
      push(k + 1);
    }
  }
}

// ---------------------------------------------------------------------------
// PREL32 layout

function scanPrel32(b: Uint8Array, addrOf: Map<string, bigint>, le: boolean): Tally {
  const t = newTally();
  const words = int32Words(b);
  const swap = le !== HOST_LITTLE_ENDIAN;
  const len = b.length;
  const last = words.length - 2; // the name field must be in the image
  flood(words.length, (i) => {
    if (i > last) return false;
    let no = words[i + 1];
    if (swap) no = bswap32(no);
    const e = 4 * i;
    const s = e + 4 + no;
    if (s <= 0 || s >= len || b[s - 1] !== 0 || b[s] === 0) return false;
    let vo = words[i];
    if (swap) vo = bswap32(vo);
    const f = e + vo;
    if (f < 0 || f >= len) return false;
    const name = nameAt(b, s);
    if (name === undefined) return false;
    const a = addrOf.get(name);
    if (a === undefined) return false;
    t.candidates++;
    const base = a - BigInt(f);
    if (base >= 0n) vote(t, base, e);
    return true;
  });
  return t;
}

// ---------------------------------------------------------------------------
// Absolute layout

interface Pairs {
  /** File offset of each (value, name) pair. */
  at: number[];
  /** Its name word, as a double: exact below 2^53, else close enough to order and window. */
  name: number[];
  /** Its name word's halves. */
  nameHi: number[];
  nameLo: number[];
  /** The symbols (indexes) whose address is its value word. */
  syms: number[][];
  /** Union of syms. */
  wanted: Set<number>;
}

/**
 * Word pairs (value, name) where value is a symbol's address (or that
 * address with the Thumb bit flipped) and name is neither 0 nor a symbol's
 * address (which rules out most tables of function pointers).
 */
function findPairs(b: Uint8Array, symbols: Symbols, ws: 4 | 8, le: boolean): Pairs {
  const out: Pairs = { at: [], name: [], nameHi: [], nameLo: [], syms: [], wanted: new Set() };
  // Symbols sorted by the low 32 bits of their address (binary search);
  // a range test and a bitmap first, since nearly every word misses.
  const loBits = new Uint8Array(1 << 20);
  const his = new Set<number>();
  let min = Infinity,
    max = -Infinity;
  const top = 1n << BigInt(8 * ws);
  // Halves of the addresses without a BigInt operation each.
  const all = new BigUint64Array(symbols.length);
  for (let k = 0; k < symbols.length; k++) {
    const a = symbols[k].address;
    if (a >= 0n && a < top) all[k] = a;
  }
  const halves = new Uint32Array(all.buffer);
  const [L, H] = HOST_LITTLE_ENDIAN ? [0, 1] : [1, 0];
  const hiOf = (k: number): number => halves[2 * k + H];
  const keep: number[] = [];
  for (let k = 0; k < symbols.length; k++) {
    const a = symbols[k].address;
    if (a < 0n || a >= top) continue;
    keep.push(k);
    const lo = halves[2 * k + L];
    his.add(hiOf(k));
    const h = (lo >>> 1) & 0x7fffff;
    loBits[h >>> 3] |= 1 << (h & 7);
    if (lo < min) min = lo;
    if (lo > max) max = lo;
  }
  if (!keep.length) return out;
  const order = Int32Array.from(keep).sort((x, y) => halves[2 * x + L] - halves[2 * y + L]);
  const sortedLo = Uint32Array.from(order, (k) => halves[2 * k + L]);
  /** Symbols whose address has low half lo and high half hi, added to acc. */
  const lookup = (lo: number, hi: number, acc: number[] | undefined): number[] | undefined => {
    let a = 0,
      z = sortedLo.length;
    while (a < z) {
      const m = (a + z) >>> 1;
      if (sortedLo[m] < lo) a = m + 1;
      else z = m;
    }
    for (; a < sortedLo.length && sortedLo[a] === lo; a++) {
      const k = order[a];
      if (ws === 8 && hiOf(k) !== hi) continue;
      (acc ??= []).push(k);
    }
    return acc;
  };
  min = Math.max(0, min - 1);
  max = max + 1;
  // With 64-bit addresses spread over several 4 GiB windows the range test is moot.
  if (his.size > 1) {
    min = 0;
    max = 0xffffffff;
  }

  const words = int32Words(b);
  const swap = le !== HOST_LITTLE_ENDIAN;
  const step = ws / 4;
  const loFirst = ws === 4 || le; // where the low half of a 64-bit word is
  const last = words.length - 2 * step;
  /** Symbols at the word at index i, or undefined. */
  const symsAt = (i: number): number[] | undefined => {
    let lo = loFirst ? words[i] : words[i + 1];
    if (swap) lo = bswap32(lo);
    lo >>>= 0;
    if (lo < min || lo > max) return undefined;
    const h = (lo >>> 1) & 0x7fffff;
    if ((loBits[h >>> 3] & (1 << (h & 7))) === 0) return undefined;
    let hi = 0;
    if (ws === 8) {
      hi = loFirst ? words[i + 1] : words[i];
      if (swap) hi = bswap32(hi);
      hi >>>= 0;
      if (!his.has(hi)) return undefined;
    }
    return lookup(lo, hi, lookup((lo ^ 1) >>> 0, hi, undefined));
  };
  flood(words.length, (i) => {
    if (i > last || i % step !== 0) return false;
    const found = symsAt(i);
    if (!found) return false;
    const j = i + step;
    if (symsAt(j)) return false;
    let nlo = loFirst ? words[j] : words[j + 1];
    let nhi = ws === 4 ? 0 : loFirst ? words[j + 1] : words[j];
    if (swap) {
      nlo = bswap32(nlo);
      nhi = bswap32(nhi);
    }
    nlo >>>= 0;
    nhi >>>= 0;
    if (nlo === 0 && nhi === 0) return false;
    out.at.push(4 * i);
    out.name.push(nhi * 4294967296 + nlo);
    out.nameHi.push(nhi);
    out.nameLo.push(nlo);
    out.syms.push(found);
    for (const k of found) out.wanted.add(k);
    return true;
  });
  return out;
}

/**
 * Offsets of the NUL-preceded, NUL-terminated occurrences of `name` in the
 * image (native search; a long name is found in a few milliseconds).
 */
function occurrences(buf: Buffer, name: Uint8Array): number[] {
  const needle = new Uint8Array(name.length + 2);
  needle.set(name, 1);
  const out: number[] = [];
  for (let i = buf.indexOf(needle); i >= 0 && out.length < MAX_OFFSETS; i = buf.indexOf(needle, i + 1)) out.push(i + 1);
  return out;
}

/** Names of the pairs sampled to find candidate bases (long ones: fast to search, rarely repeated). */
const SAMPLES = 4;
/** Width of the name-pointer window the samples are drawn from (__ksymtab_strings is ~0.3 MiB). */
const STRINGS_WINDOW = 1n << 20n;

function scanAbsolute(b: Uint8Array, symbols: Symbols, ws: 4 | 8, le: boolean): Tally {
  const t = newTally();
  const pairs = findPairs(b, symbols, ws, le);
  const np = pairs.at.length;
  if (np < MIN_VOTES) return t;
  const enc = new TextEncoder();
  const encoded = new Map<number, Uint8Array>();
  const bytesOf = (k: number): Uint8Array => {
    let e = encoded.get(k);
    if (!e) encoded.set(k, (e = enc.encode(symbols[k].name)));
    return e;
  };

  // The real entries' name pointers all lie in __ksymtab_strings: draw the
  // samples from the densest window of name pointers.
  const byName = [...pairs.name.keys()].sort((x, y) => pairs.name[x] - pairs.name[y]);
  let bestFrom = 0,
    bestTo = 0;
  for (let i = 0, j = 0; j < np; j++) {
    while (pairs.name[byName[j]] - pairs.name[byName[i]] > STRINGS_WINDOW) i++;
    if (j + 1 - i > bestTo - bestFrom) {
      bestFrom = i;
      bestTo = j + 1;
    }
  }
  const pool: { p: number; k: number; len: number }[] = [];
  for (let x = bestFrom; x < bestTo; x++) {
    const p = byName[x];
    for (const k of pairs.syms[p]) {
      if (!symbols[k].name.includes('\0')) pool.push({ p, k, len: symbols[k].name.length });
    }
  }
  pool.sort((x, y) => y.len - x.len || x.p - y.p);
  // Among the longest names, every 4th (the longest may all be one family).
  const picked: { p: number; k: number }[] = [];
  for (let x = 0; x < pool.length && picked.length < SAMPLES; x += 4) picked.push(pool[x]);
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  const cands = new Set<bigint>();
  for (const { p, k } of picked) {
    for (const o of occurrences(buf, bytesOf(k))) {
      const base = ((BigInt(pairs.nameHi[p]) << 32n) | BigInt(pairs.nameLo[p])) - BigInt(o);
      if (base >= 0n) cands.add(base);
    }
  }
  if (!cands.size) return t;
  const bases = [...cands];
  const baseHi = bases.map((x) => Number(x >> 32n));
  const baseLo = bases.map((x) => Number(x & 0xffffffffn));

  // Every pair votes for each candidate base under which its name word
  // points at its symbol's name, NUL-preceded and NUL-terminated.
  for (let p = 0; p < np; p++) {
    let any = false;
    for (let c = 0; c < bases.length; c++) {
      const dh = pairs.nameHi[p] - baseHi[c];
      if (dh !== 0 && dh !== 1) continue;
      const o = dh * 4294967296 + pairs.nameLo[p] - baseLo[c];
      if (o <= 0 || o >= b.length || b[o - 1] !== 0) continue;
      for (const k of pairs.syms[p]) {
        const name = bytesOf(k);
        if (o + name.length >= b.length || b[o + name.length] !== 0) continue;
        let same = true;
        for (let q = 0; q < name.length; q++)
          if (b[o + q] !== name[q]) {
            same = false;
            break;
          }
        if (!same) continue;
        vote(t, bases[c], pairs.at[p]);
        any = true;
        break;
      }
    }
    if (any) t.candidates++;
  }
  return t;
}

// ---------------------------------------------------------------------------

/** Most common distance between successive voting entries: the entry size. */
function entrySize(where: number[]): number | undefined {
  const sorted = [...where].sort((x, y) => x - y);
  const gaps = new Map<number, number>();
  for (let i = 1; i < sorted.length; i++) {
    const g = sorted[i] - sorted[i - 1];
    if (g > 0 && g <= 64) gaps.set(g, (gaps.get(g) ?? 0) + 1);
  }
  let best: number | undefined,
    count = 0;
  for (const [g, c] of gaps)
    if (c > count) {
      best = g;
      count = c;
    }
  return best;
}

/** Name -> address, for the names that have one address only (a static symbol sharing an exported name is ambiguous). */
function uniqueNames(symbols: Symbols): Map<string, bigint> {
  const addrOf = new Map<string, bigint>();
  const clash = new Set<string>();
  for (const s of symbols) {
    const a = addrOf.get(s.name);
    if (a === undefined) {
      if (!clash.has(s.name)) addrOf.set(s.name, s.address);
    } else if (a !== s.address) {
      addrOf.delete(s.name);
      clash.add(s.name);
    }
  }
  return addrOf;
}

function decide(t: Tally, image: Uint8Array, symbols: Symbols, ws: 4 | 8, what: string): ImageBase | null {
  let best: bigint | undefined,
    votes = 0,
    second = 0;
  for (const [base, v] of t.votes) {
    if (v > votes) {
      second = votes;
      best = base;
      votes = v;
    } else if (v > second) second = v;
  }
  if (best === undefined || votes < MIN_VOTES) return null;
  if (votes < MIN_SHARE * t.candidates || votes < RUNNER_UP * second) return null;
  const len = BigInt(image.length);
  if (best + len > 1n << BigInt(8 * ws)) return null;
  // The kallsyms text markers present must lie in the Image.
  let anchors = 0;
  for (const s of symbols) {
    if (!ANCHORS.has(s.name)) continue;
    anchors++;
    if (s.address < best || s.address - best > len) return null;
  }
  if (!anchors) {
    let inside = 0;
    for (const s of symbols) if (s.address >= best && s.address - best < len) inside++;
    if (2 * inside < symbols.length) return null;
  }
  const size = entrySize(t.where.get(best) ?? []);
  return {
    base: best,
    method: `__ksymtab ${what}` + (size ? ` (${size}-byte entries)` : ''),
    votes,
    candidates: t.candidates,
  };
}

/**
 * The virtual address of image[0], found from the exported-symbol table
 * (__ksymtab + __ksymtab_strings) and the kallsyms `symbols`; null when the
 * image does not determine it beyond doubt. Never throws on bad input.
 */
export function findImageBase(image: Uint8Array, symbols: Symbols, hints: ImageBaseHints): ImageBase | null {
  const ws = hints.wordSize;
  if ((ws !== 4 && ws !== 8) || image.length < 16 || !symbols.length) return null;
  const good = symbols.filter((s) => typeof s.address === 'bigint' && typeof s.name === 'string' && s.name.length > 0);
  const le = hints.littleEndian;
  let addrOf: Map<string, bigint> | undefined;
  const names = (): Map<string, bigint> => (addrOf ??= uniqueNames(good));
  const tries: [string, () => Tally][] = [
    ['PREL32', () => scanPrel32(image, names(), le)],
    ['absolute', () => scanAbsolute(image, good, ws, le)],
  ];
  // 32-bit kernels mostly lack PREL32 relocations; 64-bit ones mostly have them.
  if (ws === 4) tries.reverse();
  for (const [what, scan] of tries) {
    const r = decide(scan(), image, good, ws, what);
    if (r) return r;
  }
  return null;
}
