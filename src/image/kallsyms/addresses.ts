// Step 4: decode the address table: kallsyms_addresses (absolute words) or
// kallsyms_offsets with kallsyms_relative_base (plain or absolute_percpu),
// accepted only when mostly ascending.

import { ByteView } from '../bytes.js';
import { relaAddend } from './rela.js';

export interface AddrChoice {
  /** Address of symbol i. */
  get: (i: number) => bigint;
  kind: string;
  start: number;
  end: number;
  sorted: number;
}

const MIN_SORTED = 0.98;

export function tryAbsolute(r: ByteView, off: number, n: number): AddrChoice | undefined {
  const w = r.wordSize;
  if (off < 0 || off + w * n > r.length) return undefined;
  // Compare as (hi, lo) 32-bit halves: exact, no bigint per symbol.
  const hiOff = w === 4 ? -1 : r.littleEndian ? 4 : 0;
  const loOff = w === 4 ? 0 : r.littleEndian ? 0 : 4;
  let ok = 0;
  let pHi = -1,
    pLo = -1,
    allSame = true;
  for (let i = 0; i < n; i++) {
    const o = off + w * i;
    const hi = hiOff < 0 ? 0 : r.u32At(o + hiOff);
    const lo = r.u32At(o + loOff);
    if (i > 0) {
      if (hi > pHi || (hi === pHi && lo >= pLo)) ok++;
      if (hi !== pHi || lo !== pLo) allSame = false;
    }
    pHi = hi;
    pLo = lo;
  }
  if (n > 1 && allSame) return undefined; // zeros or filler, not a table
  const sorted = n > 1 ? ok / (n - 1) : 1;
  if (sorted < MIN_SORTED) return undefined;
  return { get: (i) => r.wordAt(off + w * i)!, kind: 'absolute', start: off, end: off + w * n, sorted };
}

/** Decode kallsyms_offsets at off with kallsyms_relative_base at baseOff. */
export function tryRelative(r: ByteView, off: number, baseOff: number, n: number, arm64Fixup: boolean): AddrChoice | undefined {
  if (off < 0 || off + 4 * n > r.length || n < 1) return undefined;
  let base = r.wordAt(baseOff);
  if (base === undefined) return undefined;
  const maxAddr = (1n << BigInt(8 * r.wordSize)) - 1n;
  const offs = new Uint32Array(n);
  let maxOff = 0;
  for (let i = 0; i < n; i++) {
    const v = r.u32At(off + 4 * i);
    offs[i] = v;
    if (v > maxOff) maxOff = v;
  }
  let note = '';
  let fixed = false;
  const fixBase = (): boolean => {
    if (fixed) return true;
    fixed = true;
    if (base === 0n && arm64Fixup) {
      const fromRela = relaAddend(r, baseOff);
      if (fromRela !== undefined) {
        base = fromRela;
        note = ' (relative_base from .rela.dyn)';
      }
    }
    if (base === 0n) note = ' (relative_base reads 0: addresses are offsets from an unknown base)';
    return true;
  };
  const end = baseOff + r.wordSize;
  let best: AddrChoice | undefined;
  // Plain: base + (u32)off; the first symbol is the base itself.
  if (offs[0] === 0) {
    let ok = 0;
    for (let i = 1; i < n; i++) if (offs[i] >= offs[i - 1]) ok++;
    const sorted = n > 1 ? ok / (n - 1) : 1;
    if (sorted >= MIN_SORTED && fixBase() && base + BigInt(maxOff) <= maxAddr) {
      const b0 = base;
      best = { get: (i) => b0 + BigInt(offs[i]), kind: 'relative', start: off, end, sorted };
    }
  }
  // --absolute-percpu: non-negative offsets are absolute; negative ones are
  // base - 1 - off, and the first of those (the base itself) is -1.
  let firstNeg = -1;
  for (let i = 0; i < n; i++)
    if (offs[i] & 0x80000000) {
      firstNeg = i;
      break;
    }
  if (firstNeg >= 0 && offs[firstNeg] === 0xffffffff && fixBase()) {
    const b0 = base;
    // Key: absolute value for v >= 0, distance above base for v < 0.
    let ok = 0;
    let valid = true;
    for (let i = 1; i < n && valid; i++) {
      const p = offs[i - 1] | 0,
        v = offs[i] | 0;
      if (p >= 0 && v >= 0) {
        if (v >= p) ok++;
      } else if (p < 0 && v < 0) {
        if (-1 - v >= -1 - p) ok++;
      } else if (p >= 0) {
        if (b0 - 1n - BigInt(v) >= BigInt(p)) ok++;
      } else if (BigInt(v) >= b0 - 1n - BigInt(p)) ok++;
    }
    let minNeg = 0;
    for (let i = 0; i < n; i++) {
      const v = offs[i] | 0;
      if (v < minNeg) minNeg = v;
    }
    if (b0 - 1n - BigInt(minNeg) > maxAddr) valid = false;
    const sorted = n > 1 ? ok / (n - 1) : 1;
    if (valid && sorted >= MIN_SORTED && (!best || sorted > best.sorted)) {
      best = {
        get: (i) => {
          const v = offs[i] | 0;
          return v >= 0 ? BigInt(v) : b0 - 1n - BigInt(v);
        },
        kind: 'relative absolute_percpu',
        start: off,
        end,
        sorted,
      };
    }
  }
  if (best) best.kind += note;
  return best;
}
