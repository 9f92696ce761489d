// notebooks/kzbench.ipynb executed headless by scripts/run-notebook against a
// results directory the real CLI has just written (whole unit and sections
// of a fixture bzImage), as CI does with a real kernel: a results.csv change
// that breaks the notebook fails here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COLUMNS } from '../src/results/schema.js';
import { smallKernel } from './fixtures/images.js';

const repo = new URL('../../', import.meta.url).pathname;
const bin = join(repo, 'bin/kzbench.js');
const script = join(repo, 'scripts/run-notebook');

/** The interpreter scripts/run-notebook would pick, or why there is none. */
function notebookPython(): string | undefined {
  for (const p of [process.env['KZBENCH_PYTHON'], '/usr/bin/python3', 'python3']) {
    if (!p) continue;
    const r = spawnSync(p, ['-c', 'import pandas, matplotlib, nbconvert, ipykernel'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return undefined;
}
const python = notebookPython();

interface NotebookOutput {
  output_type: string;
  ename?: string;
  evalue?: string;
  data?: Record<string, unknown>;
}

describe(
  'notebooks/kzbench.ipynb',
  {
    skip: python
      ? false
      : 'no python3 with pandas, matplotlib, nbconvert and ipykernel (Debian: python3-pandas python3-matplotlib python3-nbconvert python3-ipykernel)',
  },
  () => {
    it('executes headless on a fresh run and draws its figures', () => {
      const dir = mkdtempSync(join(tmpdir(), 'kzbench-notebook-'));
      const image = join(dir, 'bzImage');
      writeFileSync(image, smallKernel([120_000, 40_000, 20_000]).bzImage);
      const out = join(dir, 'results');
      // Whole kernel and sections in one run: a suite names both units (a
      // --resume with another --unit is refused: it would be another job).
      const suite = join(dir, 'notebook.yaml');
      writeFileSync(
        suite,
        [
          'images: [./bzImage]',
          'units: [whole, sections]',
          'settings:',
          '  - setting: ["gzip:1", "lz4:1,legacy", "zstd:1"]',
          '  - profile: kernel',
          '    algorithms: [xz]',
          'timing: { min_runs: 1, min_time_ms: 0 }',
          'workers: 1',
          '',
        ].join('\n'),
      );
      const run = spawnSync(process.execPath, [bin, 'run', suite, '--out', out], { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      const csv = readFileSync(join(out, 'results.csv'), 'utf8');
      assert.match(csv, /,whole,/);
      assert.match(csv, /,\.rodata,/);

      const executed = join(dir, 'executed.ipynb');
      const r = spawnSync(script, [out, executed], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, KZBENCH_PYTHON: python! } });
      assert.equal(r.status, 0, `scripts/run-notebook failed:\n${r.stdout}\n${r.stderr}`);
      assert.ok(existsSync(executed));
      const nb = JSON.parse(readFileSync(executed, 'utf8')) as { cells: { cell_type: string; outputs?: NotebookOutput[] }[] };
      const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
      const errors = outputs.filter((o) => o.output_type === 'error');
      assert.deepEqual(
        errors.map((e) => `${e.ename}: ${e.evalue}`),
        [],
      );
      const figures = outputs.filter((o) => o.data && 'image/png' in o.data);
      assert.equal(figures.length, 2, 'ratio/speed and per-section figures');
    });

    it('refuses a directory without results.csv, with the command to make one', () => {
      const r = spawnSync(script, [tmpdir() + '/kzbench-no-such-results'], { encoding: 'utf8' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /no results\.csv/);
    });
  },
);

describe('docs/results.md', () => {
  it('documents every results.csv column of schema.ts with a type, and no column that does not exist', () => {
    const doc = readFileSync(join(repo, 'docs/results.md'), 'utf8').split('\n## run.json')[0]!;
    const typed = new Map<string, string>();
    for (const line of doc.split('\n')) {
      if (!line.startsWith('| `')) continue;
      const cells = line.split('|').map((c) => c.trim());
      for (const m of cells[1]!.matchAll(/`([^`]+)`/g)) typed.set(m[1]!, cells[2]!);
    }
    assert.deepEqual(
      COLUMNS.filter((c) => !typed.has(c)),
      [],
      'undocumented columns',
    );
    assert.deepEqual(
      [...typed.keys()].filter((c) => !(COLUMNS as readonly string[]).includes(c)),
      [],
      'documented columns that do not exist',
    );
    assert.deepEqual(
      [...typed].filter(([, type]) => type === '').map(([c]) => c),
      [],
      'columns without a type',
    );
  });
});
