// The laid-out cold code cut into independently compressed blocks, the
// block index an on-demand loader needs, and the replay of a held-out trace
// against them. docs/cold.md describes the choices.
//
// Blocks are function-aligned: functions are packed in layout order and a
// function that does not fit in what is left of the current block starts a
// new one, so a function never spans blocks unless it is bigger than a
// block; then it starts a block and fills as many whole blocks as it needs
// (its last, partial block takes the functions that follow). No block is
// larger than the block size. A call to a cold function decompresses the
// blocks from its first byte to its last.
//
// The index, counted in the compressed size:
// - per block, plus one end entry: u32 offset of its compressed data and
//   u32 offset of its first byte in the laid-out code (8 bytes);
// - per cold function: u32 address (offset from the kernel's text base) and
//   u32 offset in the laid-out code (8 bytes), sorted by address, so a
//   loader finds a trapped address by binary search, then its block by
//   binary search on the blocks' uncompressed offsets.
import type { Layout } from './layout.js';
import type { Partition } from './partition.js';
import type { HotSet } from './types.js';

export { DEFAULT_BLOCK_SIZES } from '../units/cold.js';
export const INDEX_BLOCK_ENTRY_BYTES = 8;
export const INDEX_FUNCTION_ENTRY_BYTES = 8;

export interface BlockPlan {
  blockBytes: number;
  /** End offset (exclusive) of each block in the laid-out code; block b is [ends[b-1] ?? 0, ends[b]). */
  ends: number[];
  /** Per laid-out function (Layout.order index): its first and last block. */
  firstBlock: Int32Array;
  lastBlock: Int32Array;
  indexBytes: number;
  /** Raw bytes of the largest run of blocks one function needs (the smallest RAM a loader can decompress into). */
  maxSpanBytes: number;
}

/** The index's size for this many blocks and cold functions. */
export function indexBytes(blocks: number, functions: number): number {
  return blocks === 0 ? 0 : INDEX_BLOCK_ENTRY_BYTES * (blocks + 1) + INDEX_FUNCTION_ENTRY_BYTES * functions;
}

export function planBlocks(layout: Layout, blockBytes: number): BlockPlan {
  if (!Number.isInteger(blockBytes) || blockBytes < 1) throw new RangeError(`block size must be a whole number of bytes >= 1, got ${blockBytes}`);
  const n = layout.order.length;
  const ends: number[] = [];
  const firstBlock = new Int32Array(n);
  const lastBlock = new Int32Array(n);
  let blockStart = 0;
  for (let k = 0; k < n; k++) {
    const start = layout.starts[k]!;
    const end = layout.starts[k + 1]!;
    if (start > blockStart && end - blockStart > blockBytes) {
      ends.push(start);
      blockStart = start;
    }
    firstBlock[k] = ends.length;
    while (end - blockStart > blockBytes) {
      blockStart += blockBytes;
      ends.push(blockStart);
    }
    lastBlock[k] = end > blockStart ? ends.length : ends.length - 1;
  }
  const total = layout.starts[n] ?? 0;
  if (total > blockStart) ends.push(total);
  let maxSpanBytes = 0;
  for (let k = 0; k < n; k++) {
    const lo = firstBlock[k]! === 0 ? 0 : ends[firstBlock[k]! - 1]!;
    maxSpanBytes = Math.max(maxSpanBytes, ends[lastBlock[k]!]! - lo);
  }
  return { blockBytes, ends, firstBlock, lastBlock, indexBytes: indexBytes(ends.length, n), maxSpanBytes };
}

export interface Replay {
  trace: string;
  /** Functions (ranges) of the held-out trace that are cold in the partition. */
  functions: number;
  /** Distinct blocks they need, ascending. */
  blocks: number[];
  rawBytes: number;
}

/**
 * Replay a held-out trace: every range it ran that is cold here needs its
 * blocks decompressed; each block is counted once (it stays decompressed).
 */
export function replay(p: Partition, layout: Layout, plan: BlockPlan, holdout: HotSet): Replay {
  const position = new Map<number, number>();
  layout.order.forEach((r, k) => position.set(r, k));
  const ranges = new Set<number>();
  for (const f of holdout.hot) {
    const r = p.code.rangeOf[f];
    if (r !== undefined && r >= 0 && position.has(r)) ranges.add(r);
  }
  const blocks = new Set<number>();
  for (const r of ranges) {
    const k = position.get(r)!;
    for (let b = plan.firstBlock[k]!; b <= plan.lastBlock[k]!; b++) blocks.add(b);
  }
  const list = [...blocks].sort((a, b) => a - b);
  const rawBytes = list.reduce((n, b) => n + plan.ends[b]! - (b === 0 ? 0 : plan.ends[b - 1]!), 0);
  return { trace: holdout.trace, functions: ranges.size, blocks: list, rawBytes };
}
