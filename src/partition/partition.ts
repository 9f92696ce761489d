// A hot/cold partition of an image's executable code at function
// granularity. Each function's extent (to the next symbol) is its code plus
// a trailing hole (padding, alignment); holes are neither hot nor cold, so
// shares are of real function bytes. docs/cold.md describes the measure.
//
// Symbols at the same address (aliases, marker labels) are one *range*: it
// is hot when any of its names ran. A range whose bytes are not stored in
// the decompressed kernel (no offset, or past its end) is counted apart.
import type { KernelImage } from '../image/index.js';
import { fillArch, type FillArch } from './fill.js';
import type { HotSet } from './types.js';

export interface FunctionRange {
  /** Name of the first symbol at this address (in KernelImage.functions order). */
  name: string;
  address: bigint;
  section: string;
  /** Offset of the first byte in the decompressed kernel, or null when not stored. */
  offset: number | null;
  extent: number;
  /** Code bytes: the symbol size, or the extent minus trailing fill; 0 when not stored. */
  code: number;
  /** extent - code for a stored range, 0 otherwise. */
  hole: number;
  /** How `code` was found. */
  source: 'size' | 'fill' | 'unstored';
  /** Indices into KernelImage.functions of every symbol at this address. */
  functions: number[];
}

/** Where each function's code ends: computed once per image, shared by every trace. */
export interface CodeMap {
  arch: string;
  fill: FillArch;
  /** Ranges in address order. */
  ranges: FunctionRange[];
  /** KernelImage.functions index -> range index. */
  rangeOf: Int32Array;
  /** Ranges whose code came from a symbol size / from fill stripping. */
  sized: number;
  stripped: number;
}

export interface Totals {
  /** Ranges (distinct function addresses). */
  functions: number;
  extentBytes: number;
  hotFunctions: number;
  hotBytes: number;
  coldFunctions: number;
  coldBytes: number;
  holeBytes: number;
  /** Ranges without stored bytes, and their extent (neither hot, cold nor hole). */
  unstoredFunctions: number;
  unstoredBytes: number;
}

export interface SectionTotals extends Totals {
  section: string;
}

export interface Partition {
  trace: string;
  code: CodeMap;
  /** Per range: true when it ran. Unstored ranges are never hot nor cold. */
  hot: Uint8Array;
  /** Range indices of hot / cold code, address order. */
  hotRanges: number[];
  coldRanges: number[];
  totals: Totals;
  sections: SectionTotals[];
}

/** Code and holes of every function of an image. */
export function codeMap(img: KernelImage): CodeMap {
  const fill = fillArch(img.arch, img.config?.thumb2 ?? false);
  const sizes = new Map<string, number>();
  if (img.symbols.source === 'symtab') {
    for (const s of img.symbols.list) {
      if (s.size !== null && s.size > 0) {
        const k = `${s.address}:${s.name}`;
        sizes.set(k, Math.max(sizes.get(k) ?? 0, s.size));
      }
    }
  }
  const order = img.functions
    .map((_, i) => i)
    .sort((a, b) => {
      const x = img.functions[a]!.address;
      const y = img.functions[b]!.address;
      return x < y ? -1 : x > y ? 1 : a - b;
    });
  const ranges: FunctionRange[] = [];
  const rangeOf = new Int32Array(img.functions.length).fill(-1);
  let sized = 0;
  let stripped = 0;
  for (const i of order) {
    const f = img.functions[i]!;
    const last = ranges.at(-1);
    if (last && last.address === f.address) {
      last.functions.push(i);
      rangeOf[i] = ranges.length - 1;
      continue;
    }
    rangeOf[i] = ranges.length;
    ranges.push({
      name: f.name,
      address: f.address,
      section: f.section,
      offset: f.offset,
      extent: f.extent + (f.hole ?? 0),
      code: 0,
      hole: 0,
      source: 'unstored',
      functions: [i],
    });
  }
  for (const r of ranges) {
    if (r.offset === null || r.offset < 0 || r.offset + r.extent > img.kernel.length || r.extent === 0) {
      r.offset = null;
      continue;
    }
    let size = 0;
    for (const i of r.functions) size = Math.max(size, sizes.get(`${r.address}:${img.functions[i]!.name}`) ?? 0);
    if (size > 0) {
      r.code = Math.min(size, r.extent);
      r.source = 'size';
      sized++;
    } else {
      // the image reader already cut the extent at the code's end (src/image/fill.ts)
      r.code = Math.min(img.functions[r.functions[0]!]!.extent, r.extent);
      r.source = 'fill';
      stripped++;
    }
    r.hole = r.extent - r.code;
  }
  return { arch: img.arch, fill, ranges, rangeOf, sized, stripped };
}

function zero(): Totals {
  return { functions: 0, extentBytes: 0, hotFunctions: 0, hotBytes: 0, coldFunctions: 0, coldBytes: 0, holeBytes: 0, unstoredFunctions: 0, unstoredBytes: 0 };
}

/** Range indices (address order) whose functions ran in the trace. */
export function hotRanges(code: CodeMap, set: HotSet): Uint8Array {
  const hot = new Uint8Array(code.ranges.length);
  for (const i of set.hot) {
    const r = code.rangeOf[i];
    if (r === undefined || r < 0) throw new RangeError(`HotSet ${set.trace}: function index ${i} is not a function of this image`);
    if (code.ranges[r]!.source !== 'unstored') hot[r] = 1;
  }
  return hot;
}

/**
 * Split the image's code by a trace: hot = ranges with a function that ran,
 * cold = every other stored range with code. Invariant (tested):
 * hotBytes + coldBytes + holeBytes + unstoredBytes == extentBytes.
 */
export function partition(img: KernelImage, set: HotSet, code: CodeMap = codeMap(img)): Partition {
  const hot = hotRanges(code, set);
  const totals = zero();
  const bySection = new Map<string, SectionTotals>();
  const hotList: number[] = [];
  const coldList: number[] = [];
  code.ranges.forEach((r, i) => {
    let s = bySection.get(r.section);
    if (!s) bySection.set(r.section, (s = { section: r.section, ...zero() }));
    for (const t of [totals, s]) {
      t.functions++;
      t.extentBytes += r.extent;
      if (r.source === 'unstored') {
        t.unstoredFunctions++;
        t.unstoredBytes += r.extent;
        continue;
      }
      t.holeBytes += r.hole;
      if (hot[i]) {
        t.hotFunctions++;
        t.hotBytes += r.code;
      } else {
        t.coldFunctions++;
        t.coldBytes += r.code;
      }
    }
    if (r.source === 'unstored') return;
    (hot[i] ? hotList : coldList).push(i);
  });
  return { trace: set.trace, code, hot, hotRanges: hotList, coldRanges: coldList, totals, sections: [...bySection.values()] };
}

/** The hot code bytes, concatenated in address order (what XIP flash or RAM holds). */
export function hotBytes(img: KernelImage, p: Partition): Uint8Array {
  const out = new Uint8Array(p.totals.hotBytes);
  let at = 0;
  for (const i of p.hotRanges) {
    const r = p.code.ranges[i]!;
    out.set(img.kernel.subarray(r.offset!, r.offset! + r.code), at);
    at += r.code;
  }
  return out;
}
