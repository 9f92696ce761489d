// A GitHub Actions workflow for a suite: a `corpus` job fetches the kernels
// once into the Actions cache, a `shard` matrix job runs one shard each
// (--shard I/N from the matrix) and uploads its results directory, and a
// `merge` job joins them. Every job runs in Node 20 on Debian 12 (the
// node:20-bookworm image), the system the codec addon and scripts/install are
// made for.
import { relative } from 'node:path';
import { jobName, type JobPlan } from './plan.js';

export function githubWorkflow(p: JobPlan): Record<string, unknown> {
  const name = jobName(p);
  const suite = relative(p.kzbenchDir, p.suiteFile);
  const container = { image: 'node:20-bookworm' };
  const cacheKey = `kzbench-corpus-${p.suiteHash.slice(0, 12)}`;
  const cache = { path: '~/.cache/kzbench', key: cacheKey };
  const setup = [{ uses: 'actions/checkout@v4' }, { name: 'install', run: 'scripts/install' }];
  const shards = Array.from({ length: p.shards }, (_, k) => k + 1);
  return {
    name: `kzbench ${p.suiteName}`,
    on: { workflow_dispatch: {} },
    jobs: {
      corpus: {
        'runs-on': 'ubuntu-latest',
        container,
        steps: [
          ...setup,
          { uses: 'actions/cache@v4', with: cache },
          { name: 'fetch the corpus once', run: p.corpus.length ? `node bin/kzbench.js corpus fetch ${p.corpus.join(' ')}` : 'true' },
        ],
      },
      shard: {
        needs: 'corpus',
        'runs-on': 'ubuntu-latest',
        container,
        strategy: { 'fail-fast': false, matrix: { shard: shards } },
        steps: [
          ...setup,
          { uses: 'actions/cache/restore@v4', with: { ...cache, 'fail-on-cache-miss': p.corpus.length > 0 } },
          {
            name: 'run one shard',
            run: `node bin/kzbench.js run ${suite} --shard \${{ matrix.shard }}/${p.shards} --workers ${p.cpusPerTask} --out results/shard-\${{ matrix.shard }}`,
          },
          { uses: 'actions/upload-artifact@v4', with: { name: `${name}-shard-\${{ matrix.shard }}`, path: `results/shard-\${{ matrix.shard }}` } },
        ],
      },
      merge: {
        needs: 'shard',
        'runs-on': 'ubuntu-latest',
        container,
        steps: [
          ...setup,
          { uses: 'actions/download-artifact@v4', with: { pattern: `${name}-shard-*`, path: 'results' } },
          { name: 'merge the shards', run: `node bin/kzbench.js merge ${shards.map((s) => `results/${name}-shard-${s}`).join(' ')} --out results/merged` },
          { uses: 'actions/upload-artifact@v4', with: { name: `${name}-merged`, path: 'results/merged' } },
        ],
      },
    },
  };
}
