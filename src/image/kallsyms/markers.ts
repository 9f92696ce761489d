// Step 2, the pieces: label alignment, kallsyms_markers, walking the
// kallsyms_names entries, and kallsyms_seqs_of_names.

import { ByteView } from '../bytes.js';
import { MAX_ENTRY, MAX_MARKER_STEP, MIN_MARKER_STEP } from './types.js';

export class Aligner {
  constructor(
    readonly algn: number,
    readonly phase: number,
  ) {}
  down(x: number): number {
    const m = (((x - this.phase) % this.algn) + this.algn) % this.algn;
    return x - m;
  }
  up(x: number): number {
    const d = this.down(x);
    return d === x ? x : d + this.algn;
  }
}

/** Read and check ceil(n/256) markers at off; undefined when implausible. */
export function readMarkers(r: ByteView, off: number, count: number): number[] | undefined {
  if (off < 0 || off + 4 * count > r.length) return undefined;
  if (r.u32At(off) !== 0) return undefined;
  const m: number[] = [0];
  for (let i = 1; i < count; i++) {
    const v = r.u32At(off + 4 * i);
    const d = v - m[i - 1];
    if (d < MIN_MARKER_STEP || d > MAX_MARKER_STEP) return undefined;
    m.push(v);
  }
  return m;
}

/** Markers ending right before `end` (modulo alignment): walk backwards to markers[0] == 0. */
export function markersBefore(r: ByteView, al: Aligner, end: number): { off: number; values: number[] } | undefined {
  for (const tail of al.algn === 8 ? [end, end - 4] : [end]) {
    if (tail !== end && r.u32At(tail) !== 0) continue; // the pad must be zero
    const vals: number[] = [];
    let o = tail - 4;
    let prev = -1;
    while (o >= 0) {
      const v = r.u32At(o);
      if (prev >= 0) {
        const d = prev - v;
        if (d < MIN_MARKER_STEP || d > MAX_MARKER_STEP) break;
      }
      vals.push(v);
      prev = v;
      if (v === 0) break;
      o -= 4;
    }
    if (prev !== 0 || vals.length === 0) continue;
    const off = tail - 4 * vals.length;
    if (al.down(off) !== off) continue;
    if (al.up(off + 4 * vals.length) !== end) continue;
    return { off, values: vals.reverse() };
  }
  return undefined;
}

/** Position after one names entry at o, or -1. */
export function skipEntry(b: Uint8Array, o: number, limit: number): number {
  if (o >= limit) return -1;
  let len = b[o++];
  if (len & 0x80) {
    if (o >= limit) return -1;
    len = (len & 0x7f) | (b[o++] << 7);
  }
  if (len === 0) return -1;
  o += len;
  return o > limit ? -1 : o;
}

/**
 * Do the name entries starting at `names` agree with every marker? Walks
 * entry lengths only. Stops at `limit`.
 */
export function markersAgree(b: Uint8Array, names: number, markers: number[], limit: number): boolean {
  let o = names;
  for (let k = 1; k < markers.length; k++) {
    for (let i = 0; i < 256; i++) {
      o = skipEntry(b, o, limit);
      if (o < 0) return false;
    }
    if (o - names !== markers[k]) return false;
  }
  return true;
}

/**
 * Find kallsyms_names given its markers: names end (padded) at `markersOff`
 * and num_syms sits one aligned slot before names. With `n` undefined, any
 * count consistent with the marker count is accepted; with `ignoreNumSyms`
 * the value stored in num_syms is not consulted (to diagnose a bad one).
 */
export function findNames(
  r: ByteView,
  al: Aligner,
  markersOff: number,
  markers: number[],
  n: number | undefined,
  ignoreNumSyms = false,
): { names: number; n: number } | undefined {
  const M = markers.length;
  const last = markers[M - 1];
  const lo = 256 * (M - 1) + 1;
  const hi = 256 * M;
  if (n !== undefined && (n < lo || n > hi)) return undefined;
  const b = r.bytes;
  const algn = al.algn;
  const startMax = al.down(markersOff - last - 2);
  const startMin = Math.max(ignoreNumSyms ? 0 : algn, markersOff - last - 256 * MAX_ENTRY - algn);
  for (let N = startMax; N >= startMin; N -= algn) {
    let count = n === undefined ? undefined : n - 256 * (M - 1);
    if (!ignoreNumSyms) {
      const v = r.u32At(N - algn);
      if (n !== undefined ? v !== n : v < lo || v > hi) continue;
      if (algn === 8 && r.u32At(N - 4) !== 0) continue;
      count = v - 256 * (M - 1);
    }
    // Walk the last block: it must end exactly where markers begin (modulo
    // zero padding); then every earlier marker must agree.
    let o = N + last;
    const want = count ?? 256;
    for (let i = 1; i <= want; i++) {
      o = skipEntry(b, o, markersOff);
      if (o < 0) break;
      if ((count === undefined || i === count) && al.up(o) === markersOff) {
        let pad = true;
        for (let q = o; q < markersOff; q++)
          if (b[q] !== 0) {
            pad = false;
            break;
          }
        if (pad && markersAgree(b, N, markers, markersOff)) return { names: N, n: 256 * (M - 1) + i };
      }
    }
  }
  return undefined;
}

export function readSeq(r: ByteView, off: number, width: 3 | 4, i: number): number {
  if (width === 4) return r.u32At(off + 4 * i);
  const o = off + 3 * i;
  if (o + 3 > r.length) return -1;
  return (r.bytes[o] << 16) | (r.bytes[o + 1] << 8) | r.bytes[o + 2];
}

/** seqs_of_names must be a permutation of 0..n-1. */
export function checkSeqs(r: ByteView, off: number, width: 3 | 4, n: number): boolean {
  if (off < 0 || off + width * n > r.length) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = readSeq(r, off, width, i);
    if (s < 0 || s >= n || seen[s]) return false;
    seen[s] = 1;
  }
  return true;
}
