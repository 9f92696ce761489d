// A million-row results.csv (~360 MB) through report, merge and pick
// --results, each in its own process under /usr/bin/time -v: they must
// finish and stay under 1 GiB of resident memory (the whole-file reader
// died of heap exhaustion at 4.5 GB). Slow: KZBENCH_SLOW=1. The files are
// generated here, in a temporary directory, and removed afterwards.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseSetting } from '../src/codecs/index.js';
import { rowLine } from '../src/results/csv.js';
import { cellId } from '../src/results/schema.js';
import { runJsonFor, sampleRow, writeBigResults } from './results-fixture.js';
import { bin, fixtureDir } from './suite-fixture.js';
import { realKernel } from './corpus.js';

const SLOW = process.env.KZBENCH_SLOW === '1';
const ROWS = Number(process.env.KZBENCH_BIG_ROWS ?? 1_000_000);
const LIMIT_KB = 1024 * 1024;
const haveTime = existsSync('/usr/bin/time');

/** Every algorithm's levels as canonical setting keys (what a level sweep writes). */
function settings(): { algorithm: string; key: string }[] {
  const out: { algorithm: string; key: string }[] = [];
  const levels: Record<string, number> = { gzip: 9, bzip2: 9, xz: 9, lzma: 9, lz4: 12, zstd: 19, lzo: 1 };
  for (const [algorithm, max] of Object.entries(levels)) for (let l = 1; l <= max; l++) out.push({ algorithm, key: parseSetting(`${algorithm}:${l}`).key });
  return out;
}

/** Peak RSS in KiB and the result of running the CLI under /usr/bin/time -v. */
function measured(...args: string[]) {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, bin, ...args], { encoding: 'utf8', timeout: 1_800_000, maxBuffer: 256 << 20 });
  const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  return { ...r, kb };
}

describe(
  `a ${ROWS.toLocaleString('en-US')}-row results.csv in bounded memory (KZBENCH_SLOW=1)`,
  { skip: !SLOW ? 'set KZBENCH_SLOW=1 (writes ~700 MB of temporary files, several minutes)' : !haveTime && '/usr/bin/time not installed' },
  () => {
    const root = mkdtempSync(join(tmpdir(), 'kzbench-big-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    // pick models the image the rows name: a real kernel when the cache has one.
    const real = realKernel('amd64')?.path;
    const image = real ?? fixtureDir('big').image;
    const sha = createHash('sha256').update(readFileSync(image)).digest('hex');
    const units = ['whole', ...Array.from({ length: 49 }, (_, k) => `.sec${k}`)];
    const keys = settings();
    // One line per cell, made once: the file repeats them (a long history of resumed runs) with every 7th attempt failed.
    const cells = units.flatMap((unit, u) =>
      keys.map(({ algorithm, key }) => {
        const row = sampleRow({
          image,
          image_sha256: sha,
          unit,
          unit_kind: unit === 'whole' ? 'whole' : 'section',
          unit_offset: u * 4096,
          unit_bytes: 1_000_000 + u,
          algorithm,
          setting: key,
          backend: 'test',
          cell_id: cellId(sha, unit, key),
          compressed_bytes: 300_000 + u * 10 + key.length,
        });
        return {
          ok: rowLine(row),
          failed: rowLine({
            ...row,
            verified: false,
            compressed_bytes: null,
            ratio: null,
            decompress_ms_median: null,
            decompress_mb_s: null,
            error: 'attempt 1: worker exited',
          }),
        };
      }),
    );

    it('report, merge and pick --results stay under 1 GiB', () => {
      const a = join(root, 'a');
      const b = join(root, 'b');
      mkdirSync(a);
      mkdirSync(b);
      const bytes = writeBigResults(join(a, 'results.csv'), ROWS, (i) => (i % 7 === 3 ? cells[i % cells.length]!.failed : cells[i % cells.length]!.ok));
      writeFileSync(join(a, 'run.json'), JSON.stringify({ ...runJsonFor({ index: 1, count: 2 }), images: [] }));
      // Shard 2: a million distinct cells (the cell map is what merge must hold).
      const distinct = (i: number) => cells[i % cells.length]!.ok.replace(/,[0-9a-f]{16},2025-/, `,${i.toString(16).padStart(16, '0')},2025-`);
      writeBigResults(join(b, 'results.csv'), ROWS, distinct);
      writeFileSync(join(b, 'run.json'), JSON.stringify({ ...runJsonFor({ index: 2, count: 2 }), images: [] }));
      console.log(`results.csv: ${ROWS} rows, ${(bytes / 1e6).toFixed(0)} MB, ${cells.length} distinct cells (shard 2: ${ROWS} distinct)`);

      const report = measured('report', a, '--out', join(root, 'report.html'));
      assert.equal(report.status, 0, report.stderr.slice(-2000));
      assert.match(report.stdout, new RegExp(`${cells.length} verified cell`));
      const merge = measured('merge', a, b, '--out', join(root, 'merged'));
      assert.equal(merge.status, 0, merge.stderr.slice(-2000));
      assert.match(merge.stderr, new RegExp(`${ROWS + cells.length} rows`));
      const runs: Record<string, ReturnType<typeof measured>> = { report, merge };
      if (real) {
        runs['pick'] = measured('pick', '--board', 'x86-pc', '--results', a, '--json');
        assert.equal(runs['pick'].status, 0, runs['pick'].stderr.slice(-2000));
      } else console.log('pick left out: no real amd64 kernel in the cache (scripts/fetch-test-kernels)');
      for (const [what, r] of Object.entries(runs)) {
        console.log(`${what}: max RSS ${(r.kb / 1024).toFixed(0)} MiB, ${/Elapsed \(wall clock\) time.*: (.*)/.exec(r.stderr)?.[1]} wall`);
        assert.ok(r.kb < LIMIT_KB, `${what} peaked at ${r.kb} KiB`);
      }
    });
  },
);
