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
  [extra: string]: unknown;
}

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
  return value as RunJson;
}

/** Write run.json whole (a temporary file renamed over it: never half-written, never through a symbolic link). */
export function writeRunJson(path: string, info: RunJson): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, JSON.stringify(info, null, 2) + '\n');
}
