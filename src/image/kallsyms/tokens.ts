// Step 1: find kallsyms_token_table + kallsyms_token_index, the anchor of
// every layout: 256 NUL-terminated strings whose one-character entries sit
// in their own slots, and 256 u16 offsets that match them.

import { ByteView, uint32Words } from '../bytes.js';
import { MAX_TOKEN, type TokenTables } from './types.js';

function isTokenChar(c: number): boolean {
  return c > 0x20 && c < 0x7f;
}

/** Word indexes i in [from, to) where a token_index could start (u16 0, then 1..MAX_TOKEN). */
function filterLE(words: Uint32Array, from: number, to: number, cand: Int32Array): number {
  let c = 0;
  for (let i = from; i < to; i++) {
    const w = words[i];
    if ((w & 0xffff) !== 0) continue;
    const d = w >>> 16;
    if (d < 1 || d > MAX_TOKEN) continue;
    if (c < cand.length) cand[c] = i;
    c++;
  }
  return c;
}

function filterBE(words: Uint32Array, from: number, to: number, cand: Int32Array): number {
  let c = 0;
  for (let i = from; i < to; i++) {
    const w = words[i];
    if ((w & 0xffff) !== 0) continue;
    const d = (w >>> 24) | ((w >>> 8) & 0xff00);
    if (d < 1 || d > MAX_TOKEN) continue;
    if (c < cand.length) cand[c] = i;
    c++;
  }
  return c;
}

export function findTokenTables(r: ByteView): TokenTables[] {
  const b = r.bytes;
  const out: TokenTables[] = [];
  const idx = new Int32Array(256);
  // token_index is word-aligned (relative to the image start, as it is in
  // vmlinux and in raw Images): test every 4th offset. A cheap first pass
  // over a 32-bit view collects offsets where index[0] == 0 and
  // 1 <= index[1] <= MAX_TOKEN; the full 256-entry check runs on those.
  const words = uint32Words(b);
  const last = Math.floor((b.length - 512) / 4); // last word index with 512 bytes after it
  const cand = new Int32Array(1 << 16);
  const CHUNK = 1 << 18;
  const filter = r.littleEndian ? filterLE : filterBE;
  for (let from = 0; from <= last; from += CHUNK) {
    const to = Math.min(last + 1, from + CHUNK);
    const c = filter(words, from, to, cand);
    if (c > cand.length) {
      // Pathological data (e.g. a repeated pattern): check every offset of this chunk.
      for (let i = from; i < to; i++) if (checkIndex(r, 4 * i, idx)) tryMatch(4 * i);
      continue;
    }
    for (let j = 0; j < c; j++) {
      const p = 4 * cand[j];
      if (checkIndex(r, p, idx)) tryMatch(p);
    }
  }
  return out;

  function tryMatch(p: number): void {
    const found = matchTokenTable(r, p, idx, r.wordSize);
    if (found) out.push(found);
  }
}

/** 256 u16 at p: 0, then increasing by 1..MAX_TOKEN each. Fills idx. */
function checkIndex(r: ByteView, p: number, idx: Int32Array): boolean {
  const b = r.bytes;
  if (p < 0 || p + 512 > b.length) return false;
  const le = r.littleEndian;
  if (b[p] !== 0 || b[p + 1] !== 0) return false;
  let prev = 0;
  idx[0] = 0;
  for (let i = 1; i < 256; i++) {
    const q = p + 2 * i;
    const v = le ? b[q] | (b[q + 1] << 8) : (b[q] << 8) | b[q + 1];
    const d = v - prev;
    if (d < 1 || d > MAX_TOKEN) return false;
    idx[i] = v;
    prev = v;
  }
  return true;
}

function matchTokenTable(r: ByteView, p: number, idx: Int32Array, algn: number): TokenTables | undefined {
  const b = r.bytes;
  const last = idx[255];
  // The table is [tokens..., last token, NUL][pad < algn] then token_index at p.
  for (let t = p - last - 1; t >= 0 && t >= p - last - 1 - MAX_TOKEN - algn; t--) {
    if ((p - t) % algn !== 0) continue;
    // Last token runs from t+last to a NUL; then padding up to p.
    let e = t + last;
    while (e < p && b[e] !== 0) e++;
    if (e >= p || p - (e + 1) >= algn) continue;
    let ok = true;
    for (let q = e + 1; q < p; q++)
      if (b[q] !== 0) {
        ok = false;
        break;
      }
    if (!ok) continue;
    const tokens: string[] = new Array(256);
    let identity = 0;
    for (let i = 0; i < 256 && ok; i++) {
      const s = t + idx[i];
      const f = i === 255 ? e : t + idx[i + 1] - 1;
      if (b[f] !== 0) {
        ok = false;
        break;
      }
      let str = '';
      for (let q = s; q < f; q++) {
        const c = b[q];
        if (!isTokenChar(c)) {
          ok = false;
          break;
        }
        str += String.fromCharCode(c);
      }
      if (!ok) break;
      // A one-character token is a character of the names kept in its own slot.
      if (str.length === 1) {
        if (str.charCodeAt(0) !== i) {
          ok = false;
          break;
        }
        identity++;
      }
      tokens[i] = str;
    }
    if (!ok || identity < 2) continue;
    return { tokenTable: t, tokenIndex: p, tokens, phase: p % algn };
  }
  return undefined;
}
