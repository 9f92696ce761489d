// run.json: what produced a results.csv. Written when a run starts (no
// `end`) and rewritten when it stops: `end` on completion, or
// `interrupted: true` and `stopped` (no `end`) when aborted. Each write goes
// to a temporary file renamed over run.json, so it is never half-written.
// On resume the previous run.json is kept under `previous_runs`.

import { existsSync, mkdirSync } from 'node:fs';
import { cpus, availableParallelism, totalmem, platform, arch, release } from 'node:os';
import { dirname } from 'node:path';
import { kzbenchVersion } from '../project.js';
import { KzError } from '../errors.js';
import { readInputText } from '../files.js';
import { writeFileAtomic } from './dir.js';
import { z } from 'zod';
import type { TimingOptions } from '../measure/timing.js';

/**
 * What a run computes, recorded so `--resume` continues only the same job:
 * the images (sha256), unit names and setting keys of all its cells (sorted,
 * before resume skips any) and the resolved timing.
 */
export interface RunJob {
  image_sha256: string[];
  units: string[];
  settings: string[];
  timing: Record<string, unknown>;
}

export interface RunJson {
  kzbench_version: string;
  node_version: string;
  platform: string;
  arch: string;
  os_release: string;
  cpu_model: string;
  cpu_count: number;
  total_memory_bytes: number;
  backend_versions: Record<string, string>;
  command_line: string[];
  start: string;
  end?: string;
  interrupted?: boolean;
  stopped?: string;
  job?: RunJob;
  /** The command's own arguments (run.json of run, pick, cold). */
  command?: string[];
  /** A flag run: what a bare `--resume DIR` needs to run the same job again. */
  cwd?: string;
  image?: string;
  image_config?: string | null;
  codec_args?: string[] | null;
  profile?: string;
  unit?: string;
  timing?: Partial<TimingOptions>;
  /** A suite run: the suite, its hash and the shard. */
  suite?: { name?: string; file?: string; description?: string | null };
  suite_hash?: string;
  shard?: { index: number; count: number; source?: string } | null;
  images?: Record<string, unknown>[];
  workers?: number;
  cells_total?: number;
  cells_done?: number;
  previous_runs?: unknown[];
  [extra: string]: unknown;
}

/**
 * The fields of run.json that kzbench reads back, checked: a field of the
 * wrong type is a one-line error naming it, not a cast that fails later.
 * Fields kzbench does not read back are kept as they are.
 */
const runJsonSchema = z.looseObject({
  command_line: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
  start: z.string().optional(),
  end: z.string().optional(),
  interrupted: z.boolean().optional(),
  cwd: z.string().optional(),
  image: z.string().optional(),
  image_config: z.string().nullable().optional(),
  codec_args: z.array(z.string()).nullable().optional(),
  profile: z.string().optional(),
  unit: z.string().optional(),
  timing: z.record(z.string(), z.unknown()).optional(),
  suite: z.looseObject({ name: z.string().optional(), file: z.string().optional(), description: z.string().nullable().optional() }).optional(),
  suite_hash: z.string().optional(),
  shard: z.looseObject({ index: z.number().int().min(1), count: z.number().int().min(1), source: z.string().optional() }).nullable().optional(),
  images: z.array(z.record(z.string(), z.unknown())).optional(),
  workers: z.number().optional(),
  cells_total: z.number().optional(),
  cells_done: z.number().optional(),
  previous_runs: z.array(z.unknown()).optional(),
  job: z
    .looseObject({ image_sha256: z.array(z.string()), units: z.array(z.string()), settings: z.array(z.string()), timing: z.record(z.string(), z.unknown()) })
    .optional(),
});

/** kzbench's version from its package.json (walking up from this file). */
export { kzbenchVersion };

/** The machine and tool part of run.json; the caller adds its own fields. */
export function describeRun(backendVersions: Record<string, string>, start: Date = new Date()): RunJson {
  const cpu = cpus()[0];
  return {
    kzbench_version: kzbenchVersion(),
    node_version: process.version,
    platform: platform(),
    arch: arch(),
    os_release: release(),
    cpu_model: cpu?.model.trim() ?? 'unknown',
    cpu_count: availableParallelism(),
    total_memory_bytes: totalmem(),
    backend_versions: backendVersions,
    command_line: [...process.argv],
    start: start.toISOString(),
  };
}

/**
 * The run.json at PATH, or undefined when there is none. It is read through
 * files.ts (a FIFO, a device or a directory is refused before it is opened,
 * and so is a file over MAX_TEXT_FILE); text that is not a JSON object is a
 * one-line KzError naming the file.
 */
export function readRunJson(path: string): RunJson | undefined {
  if (!existsSync(path)) return undefined;
  const text = readInputText(path, 'run.json');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // The parser's message may quote the text; only the position is kept.
    const at = /position (\d+)/.exec((e as Error).message)?.[1];
    throw new KzError(`not valid JSON${at ? ` (at character ${at})` : ''}: not a run.json kzbench wrote`, path);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new KzError(`not a JSON object: not a run.json kzbench wrote`, path);
  const checked = runJsonSchema.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new KzError(`field ${issue.path.join('.')}: ${issue.message}: not a run.json kzbench wrote`, path);
  }
  return checked.data as RunJson;
}

/** Write run.json whole (a temporary file renamed over it: never half-written, never through a symbolic link). */
export function writeRunJson(path: string, info: RunJson): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, JSON.stringify(info, null, 2) + '\n');
}
