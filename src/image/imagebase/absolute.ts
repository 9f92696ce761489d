// __ksymtab with absolute words, step 2: a few long names searched in the
// Image give candidate bases; every pair then votes for the candidates under
// which its name word points at its symbol's name.

import { Buffer } from 'node:buffer';
import { findPairs } from './pairs.js';
import { MIN_VOTES, type Symbols } from './types.js';
import { newTally, vote, type Tally } from './vote.js';

/** Offsets kept per string in the absolute layout (a name is rarely in the Image more than twice). */
const MAX_OFFSETS = 8;

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

export function scanAbsolute(b: Uint8Array, symbols: Symbols, ws: 4 | 8, le: boolean): Tally {
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
