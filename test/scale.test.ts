// kzbench plan: job files for Slurm, Kubernetes and GitHub Actions; and a real
// one-node Slurm cluster running a suite as an array job whose merged results
// equal a single-machine run (when Debian's Slurm is installed: .ci/run does).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { projectPath } from '../src/project.js';
import { kz } from './cli-helpers.js';
import { fixtureDir, writeSuite } from './suite-fixture.js';

const { dir } = fixtureDir('scale');
const suite = writeSuite(
  dir,
  'sweep.yaml',
  [
    'name: scale-test',
    'images: [bzImage]',
    'units: [whole, sections]',
    'settings:',
    '  - algorithm: xz',
    '    levels: [1, 6]',
    '  - algorithm: lz4',
    '    levels: [1, 9]',
    '  - setting: ["gzip:6", "zstd:3"]',
    'timing: {min_runs: 1, min_time_ms: 0}',
    'workers: 1',
  ].join('\n'),
);

function rowsOf(resultsDir: string): Map<string, { compressed_bytes: string; verified: string }> {
  const rows = parseCsv(readFileSync(join(resultsDir, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  return new Map(rows.map((r) => [r['cell_id']!, { compressed_bytes: r['compressed_bytes']!, verified: r['verified']! }]));
}

describe('kzbench plan', () => {
  const files = { slurm: join(dir, 'job.slurm.sh'), k8s: join(dir, 'job.k8s.yaml'), github: join(dir, 'job.github.yaml') };
  const r = kz('plan', suite, '--shards', '4', '--slurm', files.slurm, '--k8s', files.k8s, '--github', files.github, '--results', join(dir, 'out'));

  it('prints the cost-balanced shards and writes the three job files', () => {
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /suite scale-test: 24 cells in 4 shards balanced by estimated cost/);
    for (const f of Object.values(files)) assert.ok(existsSync(f), f);
  });

  it('the Kubernetes manifests validate against the ConfigMap and Job schemas', () => {
    const docs = parseAllDocuments(readFileSync(files.k8s, 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
    assert.deepEqual(
      docs.map((d) => d['kind']),
      ['ConfigMap', 'Job'],
    );
    new ConfigMap(docs[0] as ConstructorParameters<typeof ConfigMap>[0]).validate();
    const job = new Job(docs[1] as ConstructorParameters<typeof Job>[0]);
    job.validate();
    assert.equal(job.spec!.completionMode, 'Indexed');
    assert.equal(job.spec!.completions, 4);
    const c = job.spec!.template.spec!.containers[0]!;
    assert.ok(c.env!.some((e) => e.name === 'KZBENCH_SHARD_COUNT' && e.value === '4'));
    assert.match(c.command!.join(' '), /--shard auto/);
    // and a broken one does not validate: the validator is real
    const broken = structuredClone(docs[1]) as { spec: { completions: unknown } };
    broken.spec.completions = 'four';
    assert.throws(() => new Job(broken as ConstructorParameters<typeof Job>[0]).validate());
  });

  it('the GitHub workflow is YAML with a corpus job, a shard matrix of 1..N and a merge after it', () => {
    const w = parseYaml(readFileSync(files.github, 'utf8')) as {
      on: unknown;
      jobs: Record<string, { needs?: string; strategy?: { matrix: { shard: number[] } }; steps: { run?: string }[] }>;
    };
    assert.ok(w.on);
    assert.deepEqual(Object.keys(w.jobs), ['corpus', 'shard', 'merge']);
    assert.deepEqual(w.jobs['shard']!.strategy!.matrix.shard, [1, 2, 3, 4]);
    assert.equal(w.jobs['shard']!.needs, 'corpus');
    assert.equal(w.jobs['merge']!.needs, 'shard');
    assert.ok(w.jobs['shard']!.steps.some((s) => /--shard \$\{\{ matrix\.shard \}\}\/4/.test(s.run ?? '')));
  });

  it('the Slurm script submits an array of 4 and a merge that waits for it', () => {
    const text = readFileSync(files.slurm, 'utf8');
    assert.match(text, /sbatch --parsable --job-name=kzbench-scale-test --array=1-4 /);
    assert.match(text, /--dependency=afterok:\$array/);
    assert.equal(spawnSync('bash', ['-n', files.slurm]).status, 0, 'bash can parse it');
  });
});

const slurm = spawnSync('sh', ['-c', 'command -v sbatch slurmctld slurmd munged'], { encoding: 'utf8' }).status === 0 && process.getuid?.() === 0;
describe(
  'a suite on a one-node Slurm cluster',
  { skip: slurm ? false : 'Debian Slurm (slurmctld, slurmd, slurm-client, munge) not installed, or not root: .ci/run installs it' },
  () => {
    it('an array of 4 tasks and the dependent merge give the results of a single-machine run', { timeout: 600_000 }, () => {
      const cluster = join(dir, 'slurm');
      const script = join(dir, 'run.slurm.sh');
      const out = join(dir, 'on-slurm');
      const local = projectPath('scripts', 'slurm-local');
      const up = spawnSync(local, ['start', cluster], { encoding: 'utf8' });
      assert.equal(up.status, 0, up.stderr);
      const env = { ...process.env, SLURM_CONF: join(cluster, 'slurm.conf') };
      try {
        assert.equal(kz('plan', suite, '--shards', '4', '--slurm', script, '--results', out).status, 0);
        const submitted = spawnSync('bash', [script], { encoding: 'utf8', env });
        assert.equal(submitted.status, 0, submitted.stderr);
        const merged = join(out, 'merged', 'run.json');
        const deadline = Date.now() + 540_000;
        while (!existsSync(merged) && Date.now() < deadline) spawnSync('sleep', ['2']);
        const jobs = spawnSync('squeue', ['-h'], { encoding: 'utf8', env }).stdout;
        assert.ok(existsSync(merged), `no merged run after 9 minutes; queue: ${jobs}`);
        spawnSync('sleep', ['1']);
        const shards = [1, 2, 3, 4].map(
          (i) => JSON.parse(readFileSync(join(out, `shard-${i}`, 'run.json'), 'utf8')) as { shard: { index: number; count: number; source: string } },
        );
        assert.deepEqual(
          shards.map((s) => [s.shard.index, s.shard.count, s.shard.source]),
          [1, 2, 3, 4].map((i) => [i, 4, 'slurm']),
          'each task took its shard from SLURM_ARRAY_TASK_ID',
        );
        const single = join(dir, 'single');
        const alone = kz('run', suite, '--out', single);
        assert.equal(alone.status, 0, alone.stderr);
        assert.deepEqual([...rowsOf(join(out, 'merged'))].sort(), [...rowsOf(single)].sort(), 'same cell ids, sizes and verified flags');
      } finally {
        spawnSync(local, ['stop', cluster]);
      }
    });
  },
);
