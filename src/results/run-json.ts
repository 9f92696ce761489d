// run.json: what produced a results.csv. Written when a run starts (no
// `end`) and rewritten when it stops: `end` on completion, or
// `interrupted: true` and `stopped` (no `end`) when aborted. Each write goes
// to a temporary file renamed over run.json, so it is never half-written.
// On resume the previous run.json is kept under `previous_runs`.

import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { cpus, availableParallelism, totalmem, platform, arch, release } from 'node:os';
import { dirname } from 'node:path';
import { kzbenchVersion } from '../project.js';
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

/** Read a run.json if present and well-formed, else undefined. */
export function readRunJson(path: string): RunJson | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunJson;
  } catch {
    return undefined;
  }
}

/** Write run.json whole (a temporary file renamed over it: never half-written, never through a symbolic link). */
export function writeRunJson(path: string, info: RunJson): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, JSON.stringify(info, null, 2) + '\n');
}
