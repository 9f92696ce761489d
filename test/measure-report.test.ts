// The busy-machine warning and the CPU-time figure in `kzbench report`:
// a results directory whose run.json says busy and whose rows carry
// timing_quality gets one warning line in Markdown and HTML, and a disturbed
// setting shows its CPU-time MB/s beside the wall-clock one. A directory
// without the new columns and fields (older kzbench) gets neither.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, renderHtml, renderMarkdown } from '../src/report/index.js';
import { headerLine, rowLine } from '../src/results/csv.js';
import { PARAM_COLUMNS, type ResultRow } from '../src/results/schema.js';

const root = mkdtempSync(join(tmpdir(), 'kzbench-measure-report-'));

function row(algorithm: string, ms: number, extra: Partial<ResultRow> = {}): ResultRow {
  const params = Object.fromEntries(PARAM_COLUMNS.map((c) => [c, null])) as Record<(typeof PARAM_COLUMNS)[number], null>;
  const bytes = 10_000_000;
  return {
    image: '/nonexistent/vmlinuz',
    image_sha256: 'cd'.repeat(32),
    unit: 'whole',
    unit_bytes: bytes,
    algorithm,
    setting: `${algorithm}:level=9`,
    backend: 'lib',
    compressed_bytes: 2_000_000,
    ratio: 5,
    compress_ms: 10,
    decompress_ms_median: ms,
    decompress_ms_mad: 0.5,
    decompress_runs: 5,
    decompress_mb_s: bytes / 1e6 / (ms / 1000),
    verified: true,
    unit_kind: 'whole',
    unit_offset: 0,
    error: '',
    attempts: 1,
    worker: 1,
    cell_id: `whole|${algorithm}`,
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:01.000Z',
    ...params,
    ...extra,
  };
}

function dir(name: string, rows: ResultRow[], machine?: unknown): string {
  const d = join(root, name);
  mkdirSync(d);
  writeFileSync(join(d, 'results.csv'), headerLine() + rows.map(rowLine).join(''));
  writeFileSync(
    join(d, 'run.json'),
    JSON.stringify({ kzbench_version: '0', start: '2026-01-01T00:00:00Z', end: '2026-01-01T00:01:00Z', ...(machine ? { machine } : {}) }),
  );
  return d;
}

test('a busy run: one warning line, and the CPU-time figure beside a disturbed setting', async () => {
  const d = dir(
    'busy',
    [
      row('xz', 200, {
        decompress_cpu_ms_median: 100,
        decompress_cpu_mb_s: 100,
        decompress_samples: 10,
        decompress_disturbed: 10,
        timing_quality: 'disturbed',
      }),
      row('lz4', 5, { decompress_cpu_ms_median: 5, decompress_cpu_mb_s: 2000, decompress_samples: 10, decompress_disturbed: 0, timing_quality: 'ok' }),
    ],
    { busy: true, observed: { others_cores_mean: 1.1, steal_cores_mean: null }, samples: 20, samples_disturbed: 10 },
  );
  const report = buildReport(d, { readImages: false });
  assert.deepEqual(report.timingQuality, { measured: 2, disturbed: 1, wide: 0, shared: 0 });
  const md = renderMarkdown(report);
  const warnings = md.split('\n').filter((l) => l.includes('warning:'));
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /busy machine \(other processes used 1\.1 cores on average, 10 of 20 timed decodes were preempted\); 1 cell of 2 had too few undisturbed decodes/,
  );
  assert.match(md, /50\.0 \(CPU 100, disturbed\)/);
  assert.doesNotMatch(md, /2,?000 \(CPU/, 'an undisturbed setting shows its figure alone');
  const html = await renderHtml(report);
  assert.equal(html.match(/class="warning"/g)?.length, 1);
});

test('results from before the timing columns: no warning, figures unchanged', () => {
  const d = dir('old', [row('xz', 200), row('lz4', 5)]);
  const report = buildReport(d, { readImages: false });
  assert.equal(report.timingWarning, undefined);
  const md = renderMarkdown(report);
  assert.doesNotMatch(md, /warning:|\(CPU /);
  assert.match(md, /\b50\.0\b/);
});
