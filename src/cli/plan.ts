// kzbench plan SUITE [--shards N] [--slurm FILE] [--k8s FILE] [--github FILE] [--results DIR]
// How a suite splits into N cost-balanced shards, and ready job files for a
// batch scheduler: a Slurm submission script (array + dependent merge), a
// Kubernetes Indexed Job, a GitHub Actions matrix. docs/scale.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadSuite } from '../suite/index.js';
import { planJobs } from '../scale/plan.js';
import { slurmScript } from '../scale/slurm.js';
import { DEFAULT_KUBERNETES, kubernetesManifests } from '../scale/kubernetes.js';
import { githubWorkflow } from '../scale/github.js';
import { table } from './format.js';
import { UsageError } from './usage.js';

export interface PlanOptions {
  shards?: string;
  slurm?: string;
  k8s?: string;
  k8sImage?: string;
  github?: string;
  results?: string;
}

export function planCommand(suiteFile: string, opts: PlanOptions): number {
  const shards = opts.shards === undefined ? 4 : Number(opts.shards);
  if (!Number.isInteger(shards) || shards < 1) throw new UsageError(`--shards ${opts.shards}: expected a whole number of at least 1`);
  const suite = loadSuite(suiteFile);
  const log = (s: string) => process.stderr.write(s + '\n');
  const p = planJobs(suite, shards, opts.results ?? join('results', `${suite.name}-shards`), log);
  const mean = p.perShard.reduce((t, s) => t + s.cost, 0) / p.shards;
  process.stdout.write(
    `suite ${p.suiteName}: ${p.cells} cells in ${p.shards} shards balanced by estimated cost; each task ${p.cpusPerTask} CPUs, ${p.memPerTaskMiB} MiB\n`,
  );
  process.stdout.write(
    table(
      ['shard', 'cells', 'estimated cost', 'x mean'],
      p.perShard.map((s) => [String(s.index), String(s.cells), Math.round(s.cost).toLocaleString('en-US'), (s.cost / mean).toFixed(2)]),
      [false, true, true, true],
    ) + '\n',
  );
  const wrote = (what: string, file: string, text: string) => {
    writeFileSync(file, text);
    process.stdout.write(`${what}: ${file}\n`);
  };
  if (opts.slurm) wrote('Slurm submission script (bash FILE)', opts.slurm, slurmScript(p));
  if (opts.k8s) {
    const docs = kubernetesManifests(p, { ...DEFAULT_KUBERNETES, ...(opts.k8sImage ? { image: opts.k8sImage } : {}) });
    wrote('Kubernetes ConfigMap and Indexed Job (kubectl apply -f FILE)', opts.k8s, docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n'));
  }
  if (opts.github) wrote('GitHub Actions workflow (.github/workflows/)', opts.github, stringify(githubWorkflow(p), { lineWidth: 0 }));
  return 0;
}
