// __ksymtab with absolute words, step 1: the (value, name) word pairs whose
// value is a kallsyms address.

import { bswap32, HOST_LITTLE_ENDIAN, int32Words } from '../bytes.js';
import { flood } from './scan.js';
import type { Symbols } from './types.js';

export interface Pairs {
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
export function findPairs(b: Uint8Array, symbols: Symbols, ws: 4 | 8, le: boolean): Pairs {
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
