// --shard I/N: a deterministic share of a suite's cells, chosen by cell_id
// (a hash of image sha256, unit and setting key), so shard membership does
// not depend on cell order, the machine, or which other cells exist. Shards
// are numbered 1..N (a CI matrix or an array job's index + 1).

import { KzError } from '../errors.js';
export interface Shard {
  index: number;
  count: number;
}

export class ShardError extends KzError {
  override name = 'ShardError';
}

export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ShardError(`--shard ${text}: expected I/N, e.g. 1/4 (shards are numbered 1 to N)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new ShardError(`--shard ${text}: I must be 1 to N and N at least 1`);
  return { index, count };
}

/** Which shard (1..count) a cell belongs to. */
export function shardOf(cellId: string, count: number): number {
  if (!/^[0-9a-f]{8,}$/i.test(cellId)) throw new ShardError(`cell_id ${cellId}: expected hex digits`);
  return Number(BigInt(`0x${cellId}`) % BigInt(count)) + 1;
}

export function inShard(cellId: string, shard: Shard | undefined): boolean {
  return !shard || shardOf(cellId, shard.count) === shard.index;
}

export function shardText(s: Shard): string {
  return `${s.index}/${s.count}`;
}
