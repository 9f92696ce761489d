// --shard I/N: a deterministic share of a suite's cells, balanced by estimated
// cost. Every shard expands the whole suite and computes the same partition
// on its own: cells sorted by estimated cost (heaviest first, cell_id breaking
// ties), each given to the shard with the least cost so far (longest
// processing time first). The split is a pure function of the suite's cells,
// not of the machine or the order the images were read. Shards are numbered
// 1..N (a CI matrix or an array job's index + 1); `--shard auto` takes I and N
// from the batch scheduler's environment.

import { KzError } from '../errors.js';
import { parseSetting } from '../codecs/index.js';
import { estimateCellCost } from '../pool/cost.js';

/** Where a shard's I and N came from. */
export type ShardSource = 'flag' | 'slurm' | 'kubernetes';

export interface Shard {
  index: number;
  count: number;
  /** Absent for a shard given as I/N (older run.json files have none). */
  source?: ShardSource;
}

export class ShardError extends KzError {
  override name = 'ShardError';
}

/** Largest N: far beyond any array job kzbench is meant for, small enough to refuse typos like 1/4000000. */
export const MAX_SHARDS = 10_000;

const wholeNumber = (v: string | undefined): number | undefined => (v !== undefined && /^\s*\d{1,9}\s*$/.test(v) ? Number(v) : undefined);

function checked(index: number, count: number, text: string, source: ShardSource): Shard {
  if (count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw new ShardError(`--shard ${text}: I must be 1 to N and N 1 to ${MAX_SHARDS.toLocaleString('en-US')} (got ${index}/${count})`);
  }
  return { index, count, source };
}

/**
 * The shard of an array task, from the scheduler's environment:
 * - Slurm job arrays: SLURM_ARRAY_TASK_ID within SLURM_ARRAY_TASK_MIN..MAX
 *   (or SLURM_ARRAY_TASK_COUNT tasks), step 1;
 * - Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX (0-based) with the count
 *   from `auto/N` or KZBENCH_SHARD_COUNT.
 */
export function shardFromEnvironment(text: string, env: NodeJS.ProcessEnv): Shard {
  const given = /^\s*auto\s*(?:\/\s*(\d{1,9})\s*)?$/.exec(text);
  if (!given) throw new ShardError(`--shard ${text}: expected I/N (e.g. 1/4) or auto`);
  const countGiven = given[1] !== undefined ? Number(given[1]) : wholeNumber(env['KZBENCH_SHARD_COUNT']);
  const slurmId = wholeNumber(env['SLURM_ARRAY_TASK_ID']);
  if (slurmId !== undefined) {
    const step = wholeNumber(env['SLURM_ARRAY_TASK_STEP']) ?? 1;
    if (step !== 1) throw new ShardError(`--shard auto: the Slurm array has step ${step}; submit it as --array=1-N (step 1)`);
    const min = wholeNumber(env['SLURM_ARRAY_TASK_MIN']) ?? 1;
    const max = wholeNumber(env['SLURM_ARRAY_TASK_MAX']);
    const count = wholeNumber(env['SLURM_ARRAY_TASK_COUNT']) ?? (max !== undefined ? max - min + 1 : countGiven);
    if (count === undefined)
      throw new ShardError('--shard auto: SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_MAX nor SLURM_ARRAY_TASK_COUNT: give --shard auto/N');
    if (max !== undefined && max - min + 1 !== count)
      throw new ShardError(`--shard auto: the Slurm array ${min}-${max} has gaps (${count} tasks); submit it as --array=1-N`);
    return checked(slurmId - min + 1, count, `auto (SLURM_ARRAY_TASK_ID=${slurmId})`, 'slurm');
  }
  const k8sIndex = wholeNumber(env['JOB_COMPLETION_INDEX']);
  if (k8sIndex !== undefined) {
    if (countGiven === undefined)
      throw new ShardError(
        "--shard auto: JOB_COMPLETION_INDEX is set but not the number of shards: give --shard auto/N or KZBENCH_SHARD_COUNT (the Job's completions)",
      );
    return checked(k8sIndex + 1, countGiven, `auto (JOB_COMPLETION_INDEX=${k8sIndex})`, 'kubernetes');
  }
  throw new ShardError(
    '--shard auto: no array task index in the environment (SLURM_ARRAY_TASK_ID of a Slurm job array, or JOB_COMPLETION_INDEX of a Kubernetes Indexed Job)',
  );
}

/** `I/N`, or `auto[/N]` read from the environment. */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard {
  if (/^\s*auto\b/.test(text)) return shardFromEnvironment(text, env);
  const m = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(text);
  if (!m) throw new ShardError(`--shard ${text}: expected I/N, e.g. 1/4 (shards are numbered 1 to N), or auto`);
  return checked(Number(m[1]), Number(m[2]), text, 'flag');
}

export interface CostedCell {
  id: string;
  /** Estimated relative cost (estimateCellCost); only the ratios matter. */
  cost: number;
}

/** Shard (1..count) of every cell, by cell_id: longest processing time first over the estimated costs. */
export function balanceShards(cells: readonly CostedCell[], count: number): Map<string, number> {
  const order = [...cells].sort((a, b) => b.cost - a.cost || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const load = new Array<number>(count).fill(0);
  const out = new Map<string, number>();
  for (const c of order) {
    if (out.has(c.id)) continue;
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s]! < load[best]!) best = s;
    load[best]! += c.cost;
    out.set(c.id, best + 1);
  }
  return out;
}

/** A suite cell's estimated cost: compression by its setting and size, plus the timing loop. */
export function suiteCellCost(cell: { unit: { bytes: Uint8Array }; setting: string }, minTimeMs: number): number {
  return estimateCellCost(parseSetting(cell.setting), cell.unit.bytes.length, minTimeMs);
}

/** The cells of SHARD (all of them without one), in their suite order. */
export function cellsOfShard<T extends { id: string }>(cells: readonly T[], shard: Shard | undefined, cost: (c: T) => number): T[] {
  if (!shard) return [...cells];
  const owner = balanceShards(
    cells.map((c) => ({ id: c.id, cost: cost(c) })),
    shard.count,
  );
  return cells.filter((c) => owner.get(c.id) === shard.index);
}

export function shardText(s: Shard): string {
  return `${s.index}/${s.count}`;
}
