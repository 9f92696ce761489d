// Recover the kernel's symbol table from its own kallsyms tables.
//
// scripts/kallsyms.c emits these tables into .rodata with no header; each
// label is aligned to the word size (".balign 8" on 64-bit, 4 on 32-bit):
//
//   5.x .. 6.1   [addresses | offsets, relative_base] num_syms names markers
//                token_table token_index
//   6.2 .. 6.3   [addresses | offsets, relative_base] num_syms names markers
//                seqs_of_names token_table token_index
//   6.4+         num_syms names markers token_table token_index
//                [addresses | offsets, relative_base] seqs_of_names
//
//   kallsyms_num_syms      .long n
//   kallsyms_names         n entries: length (ULEB128, 1 or 2 bytes since
//                          6.1; 1 byte before) then that many token indexes
//   kallsyms_markers       ceil(n/256) .long: offset in names of every 256th
//   kallsyms_seqs_of_names n entries, 3 bytes big-endian each (a .long each
//                          in the first 6.2 development versions)
//   kallsyms_token_table   256 NUL-terminated strings
//   kallsyms_token_index   256 .short offsets into token_table
//   kallsyms_addresses     n words (absolute)
//   kallsyms_offsets       n .long, plus kallsyms_relative_base (a word):
//                          address = base + (u32)off, or with
//                          --absolute-percpu: off >= 0 ? off : base - 1 - off
//
// The 6.2 order also appears in 6.1.y stable kernels that carry the
// seqs_of_names backport (Debian 12's 6.1.176/6.1.192 do), so the era in
// KallsymsResult.layout names the table order, not the kernel version.
// Since 6.4 the order is the one of commit 404bad70fcf7 ("scripts/kallsyms:
// change the output order"). Not handled: the place-relative offsets with
// no relative_base proposed in 2026 ("kallsyms: Get rid of kallsyms
// relative base"), which need the tables' own virtual address.
//
// Layout is found, not told: we anchor on token_table + token_index (256
// NUL-terminated strings whose one-character entries sit in their own
// slots, and 256 offsets that match them); markers end right before
// token_table (or, 6.2-6.3, before seqs_of_names, whose size gives n);
// names end right before markers, num_syms right before names, and every
// marker must agree with the name lengths; the address table is then
// tried after token_index (6.4+, with seqs_of_names after it as a checked
// permutation) and before num_syms, relative (plain or absolute_percpu,
// told apart by the first offset being 0 or the first negative one -1)
// before absolute, and must be ascending (98% of neighbours at least).
// Offsets are taken as word-aligned from the start of `image` (true of an
// ELF file's .rodata and of raw Images).

import { KzError } from '../errors.js';
import { ByteView, hex, uint32Words } from './bytes.js';
export interface KallsymsSymbol {
  name: string;
  type: string;
  address: bigint;
}
export interface KallsymsHints {
  wordSize: 4 | 8;
  littleEndian: boolean;
}
export interface KallsymsResult {
  symbols: KallsymsSymbol[];
  /** e.g. "6.4+ relative, seqs_of_names" */
  layout: string;
  /** Offset in the image of the lowest kallsyms table found. */
  tablesOffset: number;
}

export class KallsymsError extends KzError {
  constructor(message: string) {
    super(message);
    this.name = 'KallsymsError';
  }
}

/** Longest token a real token table holds is far below this. */
const MAX_TOKEN = 256;
/** A compressed name is at most KSYM_NAME_LEN (512) token bytes plus a 2-byte length. */
const MAX_ENTRY = 514;
/** Bytes of names between two markers: 256 entries of 2..MAX_ENTRY bytes. */
const MIN_MARKER_STEP = 256 * 2;
const MAX_MARKER_STEP = 256 * MAX_ENTRY;

interface TokenTables {
  tokenTable: number;
  tokenIndex: number;
  tokens: string[];
  /** Residue of the tables' alignment: label offsets are == phase mod word. */
  phase: number;
}

interface NameTables {
  numSymsOff: number;
  names: number;
  markers: number;
  markerValues: number[];
  n: number;
  /** kallsyms_seqs_of_names between markers and token_table (6.2/6.3). */
  seqs?: { off: number; width: 3 | 4 };
}

// ---------------------------------------------------------------------------
// Step 1: token_table + token_index

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

function findTokenTables(r: ByteView): TokenTables[] {
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

// ---------------------------------------------------------------------------
// Step 2: markers and names, located backwards from the token table

class Aligner {
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
function readMarkers(r: ByteView, off: number, count: number): number[] | undefined {
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
function markersBefore(r: ByteView, al: Aligner, end: number): { off: number; values: number[] } | undefined {
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
function skipEntry(b: Uint8Array, o: number, limit: number): number {
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
function markersAgree(b: Uint8Array, names: number, markers: number[], limit: number): boolean {
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
function findNames(
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

function badNumSyms(r: ByteView, al: Aligner, names: number, n: number): string {
  const at = names - al.algn;
  return `kallsyms_num_syms at ${hex(at)} reads ${r.u32At(at)}, but kallsyms_names/kallsyms_markers ` + `before kallsyms_token_table hold ${n} symbols`;
}

function locateNoSeqs(r: ByteView, al: Aligner, tt: TokenTables): NameTables | string {
  const mk = markersBefore(r, al, tt.tokenTable);
  if (!mk) return `no kallsyms_markers table right before kallsyms_token_table at ${hex(tt.tokenTable)}`;
  const found = findNames(r, al, mk.off, mk.values, undefined);
  if (!found) {
    const loose = findNames(r, al, mk.off, mk.values, undefined, true);
    if (loose) return badNumSyms(r, al, loose.names, loose.n);
    return `kallsyms_markers at ${hex(mk.off)} (${mk.values.length} entries) has no matching ` + 'kallsyms_num_syms/kallsyms_names before it';
  }
  return {
    numSymsOff: found.names - al.algn,
    names: found.names,
    markers: mk.off,
    markerValues: mk.values,
    n: found.n,
  };
}

/**
 * 6.2/6.3: seqs_of_names (n entries) sits between markers and token_table.
 * Strict: the seqs must be a permutation and num_syms must read n. Loose
 * (for diagnosis): neither is required; a description of what is wrong is
 * returned instead.
 */
function locateSeqsBetween(r: ByteView, al: Aligner, tt: TokenTables, width: 3 | 4, strict: boolean): NameTables | string | undefined {
  const T = tt.tokenTable;
  const maxN = Math.floor(T / (width + 2));
  for (let n = 1; n <= maxN; n++) {
    const q = al.down(T - width * n);
    if (q < 0) break;
    const M = (n + 255) >>> 8;
    const mo = al.down(q - 4 * M);
    if (mo < 0) break;
    if (r.u32At(mo) !== 0) continue;
    if (M > 1) {
      const m1 = r.u32At(mo + 4);
      if (m1 < MIN_MARKER_STEP || m1 > MAX_MARKER_STEP) continue;
    }
    // Padding between markers and seqs, and between seqs and token_table, is zero.
    let pad = true;
    for (let o = mo + 4 * M; o < q && pad; o++) if (r.bytes[o] !== 0) pad = false;
    for (let o = q + width * n; o < T && pad; o++) if (r.bytes[o] !== 0) pad = false;
    if (!pad) continue;
    const markers = readMarkers(r, mo, M);
    if (!markers) continue;
    if (strict) {
      if (!checkSeqs(r, q, width, n)) continue;
      const found = findNames(r, al, mo, markers, n);
      if (!found) continue;
      return {
        numSymsOff: found.names - al.algn,
        names: found.names,
        markers: mo,
        markerValues: markers,
        n,
        seqs: { off: q, width },
      };
    }
    const found = findNames(r, al, mo, markers, n, true);
    if (!found) continue;
    if (r.u32At(found.names - al.algn) !== n) return badNumSyms(r, al, found.names, n);
    if (!checkSeqs(r, q, width, n)) {
      return `kallsyms_seqs_of_names at ${hex(q)} is not a permutation of the ${n} symbols`;
    }
  }
  return undefined;
}

function readSeq(r: ByteView, off: number, width: 3 | 4, i: number): number {
  if (width === 4) return r.u32At(off + 4 * i);
  const o = off + 3 * i;
  if (o + 3 > r.length) return -1;
  return (r.bytes[o] << 16) | (r.bytes[o + 1] << 8) | r.bytes[o + 2];
}

/** seqs_of_names must be a permutation of 0..n-1. */
function checkSeqs(r: ByteView, off: number, width: 3 | 4, n: number): boolean {
  if (off < 0 || off + width * n > r.length) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = readSeq(r, off, width, i);
    if (s < 0 || s >= n || seen[s]) return false;
    seen[s] = 1;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Step 3: names

function decodeNames(r: ByteView, tt: TokenTables, nt: NameTables): string[] {
  const b = r.bytes;
  const limit = nt.markers;
  const out: string[] = new Array(nt.n);
  // Token bytes, to expand names into a scratch buffer and make one string each.
  const tokStart = new Int32Array(256);
  const tokLen = new Int32Array(256);
  let pos = 0;
  for (let i = 0; i < 256; i++) {
    tokStart[i] = pos;
    tokLen[i] = tt.tokens[i].length;
    pos += tokLen[i];
  }
  const tok = Buffer.from(tt.tokens.join(''), 'latin1');
  const scratch = Buffer.allocUnsafe(0x4000 * MAX_TOKEN);
  let o = nt.names;
  for (let i = 0; i < nt.n; i++) {
    if ((i & 0xff) === 0 && o - nt.names !== nt.markerValues[i >> 8]) {
      throw new KallsymsError(`kallsyms_markers[${i >> 8}] is ${nt.markerValues[i >> 8]} but symbol ${i} starts at ` + `${o - nt.names} in kallsyms_names`);
    }
    if (o >= limit) throw new KallsymsError(`kallsyms_names overruns its table at symbol ${i}`);
    let len = b[o++];
    if (len & 0x80) {
      if (o >= limit) throw new KallsymsError(`kallsyms_names overruns its table at symbol ${i}`);
      len = (len & 0x7f) | (b[o++] << 7);
    }
    if (len === 0 || o + len > limit) {
      throw new KallsymsError(`kallsyms_names entry ${i} at ${hex(o)} has bad length ${len}`);
    }
    let k = 0;
    for (const e = o + len; o < e; o++) {
      const t = b[o];
      const l = tokLen[t];
      if (l === 1) scratch[k++] = tok[tokStart[t]];
      else for (let q = tokStart[t], qe = q + l; q < qe; q++) scratch[k++] = tok[q];
    }
    if (k < 2) {
      throw new KallsymsError(`kallsyms_names entry ${i} decodes to "${scratch.toString('latin1', 0, k)}", too short`);
    }
    out[i] = scratch.toString('latin1', 0, k);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Step 4: addresses

interface AddrChoice {
  /** Address of symbol i. */
  get: (i: number) => bigint;
  kind: string;
  start: number;
  end: number;
  sorted: number;
}

const MIN_SORTED = 0.98;

function tryAbsolute(r: ByteView, off: number, n: number): AddrChoice | undefined {
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
function tryRelative(r: ByteView, off: number, baseOff: number, n: number, arm64Fixup: boolean): AddrChoice | undefined {
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

/**
 * arm64 Images are linked -pie with relocations left unapplied: the word at
 * kallsyms_relative_base is 0 in the file and its value is the addend of an
 * R_AARCH64_RELATIVE entry in .rela.dyn whose r_offset is the word's link
 * address. The image's link address B is unknown: a candidate B comes from
 * each RELATIVE entry whose r_offset - baseOff is page-aligned, and the true
 * B is the one for which the targets of the other entries are also zero
 * words in the file (they are all unapplied).
 */
function relaAddend(r: ByteView, baseOff: number): bigint | undefined {
  if (r.wordSize !== 8 || !r.littleEndian) return undefined;
  const b = r.bytes;
  const len = BigInt(b.length);
  const entries: number[] = [];
  for (let o = 0; o + 24 <= b.length; o += 8) {
    // r_info == R_AARCH64_RELATIVE (1027), symbol 0
    if (b[o + 8] !== 0x03 || b[o + 9] !== 0x04) continue;
    if (r.u32At(o + 8) !== 0x403 || r.u32At(o + 12) !== 0) continue;
    entries.push(o);
  }
  if (entries.length === 0) return undefined;
  const sample: bigint[] = [];
  const step = Math.max(1, Math.floor(entries.length / 64));
  for (let i = 0; i < entries.length; i += step) sample.push(r.wordAt(entries[i])!);
  const answers = new Set<bigint>();
  const bo = BigInt(baseOff);
  for (const o of entries) {
    if (((r.u32At(o) - baseOff) & 0xfff) !== 0) continue; // r_offset - baseOff is not page-aligned
    const rOff = r.wordAt(o)!;
    const imgBase = rOff - bo;
    if (imgBase < 0n || (imgBase & 0xfffn) !== 0n) continue;
    const addend = r.wordAt(o + 16)!;
    if (addend < imgBase || addend >= imgBase + len) continue;
    // Stray byte patterns can look like entries: ask that most, not all, fit.
    let good = 0;
    for (const s of sample) {
      const t = s - imgBase;
      if (t >= 0n && t + 8n <= len && r.wordAt(Number(t)) === 0n) good++;
    }
    if (good >= 0.9 * sample.length) answers.add(addend);
  }
  return answers.size === 1 ? [...answers][0] : undefined;
}

// ---------------------------------------------------------------------------

function checkedLength(n: number, r: ByteView, what: string): void {
  if (!Number.isInteger(n) || n <= 0 || n > r.length) {
    throw new KallsymsError(`${what} is ${n}, impossible for a ${r.length}-byte image`);
  }
}

function locate(r: ByteView, tt: TokenTables): KallsymsResult {
  const al = new Aligner(r.wordSize, tt.phase);
  const isArm64 = r.wordSize === 8 && r.littleEndian;

  let nt: NameTables | undefined;
  let era: string;
  const noSeqs = locateNoSeqs(r, al, tt);
  if (typeof noSeqs !== 'string') {
    nt = noSeqs;
    era = '';
  } else {
    const strict = (w: 3 | 4): NameTables | undefined => {
      const x = locateSeqsBetween(r, al, tt, w, true);
      return typeof x === 'string' ? undefined : x;
    };
    nt = strict(3) ?? strict(4);
    if (!nt) {
      // Say what is wrong: a 6.2/6.3 layout with a bad num_syms or seqs, or
      // whatever the search without seqs_of_names ran into.
      const why = locateSeqsBetween(r, al, tt, 3, false) ?? locateSeqsBetween(r, al, tt, 4, false);
      throw new KallsymsError(typeof why === 'string' ? why : noSeqs);
    }
    era = '6.2-6.3';
  }
  const n = nt.n;
  checkedLength(n, r, 'kallsyms_num_syms');
  const names = decodeNames(r, tt, nt);

  const w = r.wordSize;
  let addr: AddrChoice | undefined;
  let seqs: { off: number; width: 3 | 4 } | undefined = nt.seqs;
  const afterIndex = al.up(tt.tokenIndex + 512);
  const oldLayout = (): AddrChoice | undefined => {
    const rb = nt!.numSymsOff - w;
    return tryRelative(r, al.down(rb - 4 * n), rb, n, isArm64) ?? tryAbsolute(r, nt!.numSymsOff - w * n, n);
  };
  if (!seqs) {
    // 6.4+: addresses after token_index, then seqs_of_names.
    const rel = tryRelative(r, afterIndex, al.up(afterIndex + 4 * n), n, isArm64);
    const relSeqs = rel && al.up(rel.end);
    if (rel && relSeqs !== undefined && checkSeqs(r, relSeqs, 3, n)) {
      addr = rel;
      seqs = { off: relSeqs, width: 3 };
    } else {
      const abs = tryAbsolute(r, afterIndex, n);
      const absSeqs = abs && al.up(abs.end);
      if (abs && absSeqs !== undefined && checkSeqs(r, absSeqs, 3, n)) {
        addr = abs;
        seqs = { off: absSeqs, width: 3 };
      }
    }
    if (addr) era = '6.4+';
    else {
      addr = oldLayout();
      era = '5.x-6.1';
      if (!addr && (rel ?? tryAbsolute(r, afterIndex, n))) {
        throw new KallsymsError(
          `kallsyms addresses follow kallsyms_token_index as in 6.4+, but the kallsyms_seqs_of_names ` + `after them is not a permutation of the ${n} symbols`,
        );
      }
    }
  } else {
    addr = oldLayout();
  }
  if (!addr) {
    throw new KallsymsError(
      `found ${n} kallsyms names at ${hex(nt.names)}, but no kallsyms_offsets/kallsyms_addresses ` + 'table with mostly ascending addresses next to them',
    );
  }
  const symbols: KallsymsSymbol[] = new Array(n);
  for (let i = 0; i < n; i++) {
    symbols[i] = { name: names[i].slice(1), type: names[i][0], address: addr.get(i) };
  }
  const layout = `${era} ${addr.kind}${seqs ? ', seqs_of_names' : ''}` + (seqs && seqs.width === 4 ? ' (u32)' : '');
  const tablesOffset = Math.min(addr.start, nt.numSymsOff, tt.tokenTable);
  return { symbols, layout, tablesOffset };
}

/**
 * Find and decode the kallsyms tables in a decompressed kernel (ELF vmlinux
 * contents or a raw Image). Returns null when no token table is found at
 * all; throws KallsymsError when tables are found but are inconsistent.
 */
export function readKallsyms(image: Uint8Array, hints: KallsymsHints): KallsymsResult | null {
  if (hints.wordSize !== 4 && hints.wordSize !== 8) {
    throw new KallsymsError(`word size must be 4 or 8, not ${String(hints.wordSize)}`);
  }
  const r = new ByteView(image, hints.littleEndian, hints.wordSize);
  const anchors = findTokenTables(r);
  if (anchors.length === 0) return null;
  // Each anchor is a full 256-entry token table; more than a few is not a kernel.
  if (anchors.length > 16) anchors.length = 16;
  let firstError: KallsymsError | undefined;
  for (const tt of anchors) {
    try {
      return locate(r, tt);
    } catch (e) {
      if (e instanceof KallsymsError) {
        firstError ??= e;
        continue;
      }
      // A bug, not bad input: still report it as a kallsyms failure, labelled.
      const msg = e instanceof Error ? e.message : String(e);
      firstError ??= new KallsymsError(`internal error while reading kallsyms: ${msg}`);
    }
  }
  throw firstError!;
}
