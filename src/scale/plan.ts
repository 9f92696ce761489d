// What a batch scheduler needs to run a suite as N shards: the cells, each
// shard's estimated cost (the same longest-processing-time split every task
// computes with --shard), and per-task CPUs and memory from the cells'
// estimates. Job files for Slurm, Kubernetes and GitHub Actions are written
// from this (slurm.ts, kubernetes.ts, github.ts).
import { resolve } from 'node:path';
import { parseSetting } from '../codecs/index.js';
import { cacheDir } from '../corpus/debian.js';
import { DEFAULT_TIMING } from '../measure/timing.js';
import { estimateCellMemory } from '../pool/memory.js';
import { projectRoot } from '../project.js';
import { expandSuite, resolveImages } from '../plan/index.js';
import { balanceShards, MAX_SHARDS, ShardError, suiteCellCost, type LoadedSuite } from '../suite/index.js';

const MiB = 1024 * 1024;

export interface ShardEstimate {
  index: number;
  cells: number;
  /** Estimated relative cost (pool/cost.ts); only ratios between shards mean anything. */
  cost: number;
}

export interface JobPlan {
  suiteName: string;
  suiteFile: string;
  suiteText: string;
  suiteHash: string;
  shards: number;
  cells: number;
  perShard: ShardEstimate[];
  /** Worker threads per task, and the CPUs a task asks for. */
  cpusPerTask: number;
  /** Memory a task asks for: the largest cell's estimate per worker, plus Node and the images. */
  memPerTaskMiB: number;
  /** Corpus kernels the suite names: fetched once before the tasks start. */
  corpus: string[];
  /** The kzbench checkout the tasks run (its addon built for the compute nodes). */
  kzbenchDir: string;
  /** The kernel cache every task reads (KZBENCH_CACHE): on a shared filesystem. */
  cache: string;
  /** Where the shards and the merged run are written. */
  resultsDir: string;
}

/** Expand the suite as every task will and estimate its shards. */
export function planJobs(suite: LoadedSuite, shards: number, resultsDir: string, log: (s: string) => void = () => {}): JobPlan {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new ShardError(`--shards ${shards}: expected 1 to ${MAX_SHARDS}`);
  const images = resolveImages(suite, log);
  const { cells } = expandSuite(suite, images);
  const minTime = suite.suite.timing?.min_time_ms ?? DEFAULT_TIMING.minTimeMs;
  const cost = new Map(cells.map((c) => [c.id, suiteCellCost(c, minTime)]));
  const owner = balanceShards(
    cells.map((c) => ({ id: c.id, cost: cost.get(c.id)! })),
    shards,
  );
  const perShard: ShardEstimate[] = Array.from({ length: shards }, (_, k) => ({ index: k + 1, cells: 0, cost: 0 }));
  for (const c of cells) {
    const s = perShard[owner.get(c.id)! - 1]!;
    s.cells++;
    s.cost += cost.get(c.id)!;
  }
  const cpus = suite.suite.workers ?? 2;
  const largestCell = cells.reduce((m, c) => Math.max(m, estimateCellMemory(parseSetting(c.setting), c.unit.bytes.length)), 0);
  const imageBytes = images.reduce((n, i) => n + i.image.fileBytes + i.image.kernel.length, 0);
  // Node itself and the opened images, then one largest cell per worker; rounded up to 256 MiB.
  const mem = 512 * MiB + imageBytes + largestCell * Math.min(cpus, Math.max(1, cells.length));
  const root = projectRoot();
  if (!root) throw new ShardError('kzbench plan must run from a kzbench checkout (the job files name it)');
  return {
    suiteName: suite.name,
    suiteFile: resolve(suite.file),
    suiteText: suite.text,
    suiteHash: suite.hash,
    shards,
    cells: cells.length,
    perShard,
    cpusPerTask: cpus,
    memPerTaskMiB: Math.ceil(mem / (256 * MiB)) * 256,
    corpus: [...new Set(images.flatMap((i) => (i.corpus ? [i.corpus.name] : [])))],
    kzbenchDir: root,
    cache: cacheDir(),
    resultsDir: resolve(resultsDir),
  };
}

/** A safe name for jobs and files: the suite's name, lower case, [a-z0-9-]. */
export function jobName(p: JobPlan): string {
  return `kzbench-${
    p.suiteName
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'suite'
  }`;
}

/** 'text' quoted for a POSIX shell. */
export function shq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
