// Matching a trace onto an image's functions: addresses by containment in
// [address, address + extent), names through a name index. Every entry ends
// up matched or in `unmatched` with a reason; nothing is dropped silently.
// Rules and reasons: docs/traces.md.
import type { KernelFunction } from '../image/symbols.js';
import { moduleOf } from './traces.js';
import type { HotSet, Trace, TraceEntry } from './types.js';

export interface MapOptions {
  /**
   * Runtime minus link-time address (KASLR) of the trace's addresses. When
   * absent it is inferred from entries that carry both a name and an address
   * (0 when they agree as they are, or when there are none).
   */
  kaslrOffset?: bigint;
}

/** A HotSet with what the matching decided on the way. */
export interface TraceMatch extends HotSet {
  /** The offset subtracted from every trace address. */
  kaslrOffset: bigint;
  /** True when kaslrOffset was inferred from name/address pairs, not given. */
  kaslrInferred: boolean;
  /** Entries matched by address whose name names none of the functions there (the address decided). */
  mismatched: number;
  /** Entries whose address is in no function but whose name matched (the name decided). */
  byName: number;
  /** What a user should know: the inferred offset, mismatches, truncated names. */
  notes: string[];
}

/** KASLR granularity assumed for inference: x86-64 moves the kernel in 2 MiB steps, arm64 in 64 KiB. */
const KASLR_STEP = 0x10000n;
/** trace_stat prints names with "%-30.30s": longer names are cut to 30 characters. */
const STAT_NAME_WIDTH = 30;

function hex(a: bigint): string {
  return a < 0n ? `-0x${(-a).toString(16)}` : `0x${a.toString(16)}`;
}

/** Lookup structures over one functions array; indices are into that array. */
export class FunctionIndex {
  private readonly order: number[];
  private readonly starts: BigUint64Array;
  private readonly names = new Map<string, number[]>();
  private llvm: Map<string, number[]> | null = null;
  private sortedNames: string[] | null = null;

  constructor(readonly functions: readonly KernelFunction[]) {
    this.order = functions
      .map((_, i) => i)
      .sort((a, b) => {
        const x = functions[a]!.address;
        const y = functions[b]!.address;
        return x < y ? -1 : x > y ? 1 : a - b;
      });
    this.starts = BigUint64Array.from(this.order.map((i) => BigInt.asUintN(64, functions[i]!.address)));
    functions.forEach((f, i) => {
      const list = this.names.get(f.name);
      if (list) list.push(i);
      else this.names.set(f.name, [i]);
    });
  }

  /** Every function whose [address, address + extent) holds `address` (aliases share their bytes). */
  at(address: bigint): number[] {
    if (address < 0n || address >= 1n << 64n) return [];
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid]! <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const out: number[] = [];
    for (let k = found; k >= 0 && s[k] === s[found]; k--) {
      const i = this.order[k]!;
      const f = this.functions[i]!;
      if (address < f.address + BigInt(f.extent)) out.push(i);
    }
    return out.reverse();
  }

  /** Functions of this exact kallsyms name. */
  exact(name: string): readonly number[] {
    return this.names.get(name) ?? [];
  }

  /**
   * Functions of a trace's name: exact; else without an ftrace "+off/len";
   * else a clang LTO "name.llvm.NNN" the trace spells without the suffix.
   */
  byName(name: string): readonly number[] {
    let r = this.exact(name);
    if (r.length > 0) return r;
    const plus = name.indexOf('+');
    if (plus > 0) {
      r = this.exact(name.slice(0, plus));
      if (r.length > 0) return r;
      name = name.slice(0, plus);
    }
    if (this.llvm === null) {
      this.llvm = new Map();
      this.functions.forEach((f, i) => {
        const at = f.name.indexOf('.llvm.');
        if (at <= 0) return;
        const key = f.name.slice(0, at);
        const list = this.llvm!.get(key);
        if (list) list.push(i);
        else this.llvm!.set(key, [i]);
      });
    }
    return this.llvm.get(name) ?? [];
  }

  /** Functions whose name starts with `prefix` (for names trace_stat cut short). */
  withPrefix(prefix: string): number[] {
    if (this.sortedNames === null) this.sortedNames = [...this.names.keys()].sort();
    const names = this.sortedNames;
    let lo = 0;
    let hi = names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (names[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let k = lo; k < names.length && names[k]!.startsWith(prefix); k++) out.push(...this.names.get(names[k]!)!);
    return out.sort((a, b) => a - b);
  }
}

/** floor(d / step) * step, for negative d too. */
function bucket(d: bigint, step: bigint): bigint {
  const r = ((d % step) + step) % step;
  return d - r;
}

/** The KASLR offset that the most name/address pairs agree on, and how many do. */
function inferOffset(entries: readonly TraceEntry[], index: FunctionIndex): { offset: bigint; votes: number; samples: number } {
  const votes = new Map<bigint, number>();
  let samples = 0;
  for (const e of entries) {
    if (e.address === null || e.name === null || moduleOf(e.name) !== null) continue;
    const fs = index.byName(e.name);
    if (fs.length !== 1) continue;
    samples++;
    const b = bucket(e.address - index.functions[fs[0]!]!.address, KASLR_STEP);
    votes.set(b, (votes.get(b) ?? 0) + 1);
  }
  let offset = 0n;
  let best = 0;
  for (const [b, n] of votes) {
    if (n > best || (n === best && b === 0n)) {
      best = n;
      offset = b;
    }
  }
  return { offset, votes: best, samples };
}

/**
 * Match a trace onto an image's functions (KernelImage.functions). Indices
 * in the result are into `functions` as given.
 *
 * - An address matches the function(s) whose [address, address + extent)
 *   holds it, after subtracting the KASLR offset. When the entry also has a
 *   name that names none of them, the address still decides; the entry is
 *   counted in `mismatched`.
 * - A name matches exactly (kallsyms keeps .isra.0, .constprop.0, .cold),
 *   else without an ftrace "+off/len", else as a clang "name.llvm.NNN"; a
 *   trace_stat name of 30 characters (its column width) also matches every
 *   function it is a prefix of. A name of several functions (static
 *   functions of the same name) marks all of them and counts in `ambiguous`.
 * - An entry with an address in no function falls back to its name (counted
 *   in `byName`); only when neither matches is it unmatched.
 * - Unmatched reasons: 'module' (a "name [module]" entry: code outside the
 *   image), 'not in text' (an address in no function), 'unknown name'.
 */
export function mapTrace(trace: Trace, functions: readonly KernelFunction[], options: MapOptions = {}): TraceMatch {
  const index = new FunctionIndex(functions);
  const notes: string[] = [];
  let kaslrOffset = options.kaslrOffset ?? 0n;
  let kaslrInferred = false;
  if (options.kaslrOffset === undefined) {
    const inf = inferOffset(trace.entries, index);
    if (inf.samples > 0 && inf.offset !== 0n) {
      if (inf.votes * 2 >= inf.samples) {
        kaslrOffset = inf.offset;
        kaslrInferred = true;
        notes.push(
          `trace addresses are ${hex(inf.offset)} above the image's (KASLR): inferred from ${inf.votes} of ${inf.samples} entries with a name and an address`,
        );
      } else {
        notes.push(
          `trace addresses and names do not agree on one offset (best ${hex(inf.offset)}: ${inf.votes} of ${inf.samples}); addresses taken as they are: a trace of another build?`,
        );
      }
    }
  }

  const hot = new Set<number>();
  const order: number[] = [];
  const unmatched: HotSet['unmatched'] = [];
  let matched = 0;
  let ambiguous = 0;
  let mismatched = 0;
  let byName = 0;
  let truncated = 0;
  const mismatchExamples: string[] = [];
  const mark = (list: readonly number[]): void => {
    for (const i of list) {
      if (hot.has(i)) continue;
      hot.add(i);
      order.push(i);
    }
  };
  const nameMatches = (name: string): readonly number[] => {
    const r = index.byName(name);
    if (r.length > 0 || trace.format !== 'trace-stat' || name.length !== STAT_NAME_WIDTH) return r;
    const p = index.withPrefix(name);
    if (p.length > 0) truncated++;
    return p;
  };

  for (const e of trace.entries) {
    const unmatch = (why: string): void => {
      unmatched.push({ name: e.name, address: e.address, count: e.count, why });
    };
    if (e.name !== null && moduleOf(e.name) !== null) {
      unmatch('module');
      continue;
    }
    if (e.address !== null) {
      const at = index.at(e.address - kaslrOffset);
      if (at.length > 0) {
        if (e.name !== null && !at.some((i) => sameName(functions[i]!.name, e.name!))) {
          mismatched++;
          if (mismatchExamples.length < 3) mismatchExamples.push(`${e.name} at ${hex(e.address)} is in ${functions[at[0]!]!.name}`);
        }
        mark(at);
        matched++;
        continue;
      }
    }
    if (e.name !== null) {
      const r = nameMatches(e.name);
      if (r.length > 0) {
        mark(r);
        matched++;
        if (r.length > 1) ambiguous++;
        if (e.address !== null) byName++;
        continue;
      }
    }
    unmatch(e.address !== null ? 'not in text' : 'unknown name');
  }

  if (mismatched > 0)
    notes.push(`${mismatched} entries name another function than the one at their address; the address decided (${mismatchExamples.join('; ')})`);
  if (byName > 0) notes.push(`${byName} entries have an address in no function of the image; their name matched`);
  if (truncated > 0) notes.push(`${truncated} trace_stat names cut at ${STAT_NAME_WIDTH} characters matched by prefix`);
  return { trace: trace.file, hot, order, matched, unmatched, ambiguous, kaslrOffset, kaslrInferred, mismatched, byName, notes };
}

/** The trace's name is this function's: exactly, or without a clang ".llvm.NNN" suffix. */
function sameName(fn: string, traced: string): boolean {
  if (fn === traced) return true;
  const at = fn.indexOf('.llvm.');
  return at > 0 && fn.slice(0, at) === traced;
}
