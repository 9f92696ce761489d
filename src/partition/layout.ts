// How the cold functions are laid out before they are cut into blocks. Every
// layout is deterministic (ties broken by address) and holds exactly the
// partition's cold ranges, each once, code bytes only (no holes):
//
// - address:   in address order, as the linker placed them.
// - neighbour: by distance (in functions, within the section) to the nearest
//              hot function, then address. Code next to code that ran is
//              likely to come from the same source file and to run in a
//              workload close to the traced one, so it is packed into the
//              first blocks; uses no trace other than the partition's own.
// - trace:     the cold functions that a separate *layout trace* ran, in its
//              order of first appearance, then the rest in address order.
//              The layout trace must not be the held-out trace (that would
//              grade the layout on what it was built from).
import type { KernelImage } from '../image/index.js';
import { hotRanges, type Partition } from './partition.js';
import type { HotSet } from './types.js';

import type { LayoutName } from '../units/cold.js';
export { LAYOUTS, type LayoutName } from '../units/cold.js';

export interface Layout {
  name: LayoutName;
  /** Cold range indices in layout order. */
  order: number[];
  /** Offset of each laid-out range in `bytes` (same index as `order`), plus the total at the end. */
  starts: number[];
  /** The cold code, concatenated, in a SharedArrayBuffer (one copy shared by every block size and worker). */
  bytes: Uint8Array;
}

function neighbourOrder(p: Partition): number[] {
  const ranges = p.code.ranges;
  const dist = new Map<number, number>();
  // Two sweeps over address order, restarting at each section boundary.
  let lastHot = -Infinity;
  let section = '';
  for (let i = 0; i < ranges.length; i++) {
    if (ranges[i]!.section !== section) {
      section = ranges[i]!.section;
      lastHot = -Infinity;
    }
    if (p.hot[i]) lastHot = i;
    else dist.set(i, i - lastHot);
  }
  let nextHot = Infinity;
  section = '';
  for (let i = ranges.length - 1; i >= 0; i--) {
    if (ranges[i]!.section !== section) {
      section = ranges[i]!.section;
      nextHot = Infinity;
    }
    if (p.hot[i]) nextHot = i;
    else dist.set(i, Math.min(dist.get(i)!, nextHot - i));
  }
  return [...p.coldRanges].sort((a, b) => dist.get(a)! - dist.get(b)! || a - b);
}

function traceOrder(p: Partition, layoutTrace: HotSet): number[] {
  const cold = new Set(p.coldRanges);
  const out: number[] = [];
  const placed = new Set<number>();
  for (const f of layoutTrace.order) {
    const r = p.code.rangeOf[f];
    if (r === undefined || r < 0 || !cold.has(r) || placed.has(r)) continue;
    placed.add(r);
    out.push(r);
  }
  for (const r of p.coldRanges) if (!placed.has(r)) out.push(r);
  return out;
}

/** Lay out the partition's cold code. `layoutTrace` is required for (and only used by) the trace layout. */
export function layoutCold(img: KernelImage, p: Partition, name: LayoutName, layoutTrace?: HotSet): Layout {
  let order: number[];
  if (name === 'address') order = [...p.coldRanges];
  else if (name === 'neighbour') order = neighbourOrder(p);
  else {
    if (!layoutTrace) throw new Error('the trace layout needs a layout trace');
    hotRanges(p.code, layoutTrace); // checks its indices belong to this image
    order = traceOrder(p, layoutTrace);
  }
  const starts: number[] = [];
  let at = 0;
  for (const i of order) {
    starts.push(at);
    at += p.code.ranges[i]!.code;
  }
  starts.push(at);
  const bytes = new Uint8Array(new SharedArrayBuffer(at));
  order.forEach((i, k) => {
    const r = p.code.ranges[i]!;
    bytes.set(img.kernel.subarray(r.offset!, r.offset! + r.code), starts[k]!);
  });
  return { name, order, starts, bytes };
}
