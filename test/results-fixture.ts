// results.csv fixtures built in code: a realistic row, a results directory
// (results.csv and run.json) that merge and report accept, and a generator
// of large files written in chunks (for the memory tests; never committed).
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { headerLine } from '../src/results/csv.js';
import { cellId, paramColumns, type ResultRow } from '../src/results/schema.js';

export const SHA = 'ab'.repeat(32);

export function sampleRow(over: Partial<ResultRow> = {}): ResultRow {
  const setting = over.setting ?? 'xz:bcj=x86,check=crc32,dict_bytes=33554432';
  const unit = over.unit ?? 'whole';
  return {
    image: '/boot/vmlinuz-6.1.0-56-amd64',
    image_sha256: SHA,
    unit,
    unit_bytes: 65_906_612,
    algorithm: 'xz',
    setting,
    backend: 'liblzma',
    compressed_bytes: 8_122_476,
    ratio: 8.11413,
    compress_ms: 31234.5679,
    decompress_ms_median: 612.25,
    decompress_ms_mad: 3.5,
    decompress_runs: 5,
    decompress_mb_s: 107.646,
    verified: true,
    ...paramColumns({ bcj: 'x86', check: 'crc32', dict_bytes: 33554432, size_append: true }),
    unit_kind: unit === 'whole' ? 'whole' : 'section',
    unit_offset: 0,
    error: '',
    attempts: 1,
    worker: 3,
    cell_id: cellId(SHA, unit, setting),
    started_at: '2025-11-28T03:00:00.000Z',
    finished_at: '2025-11-28T03:00:40.000Z',
    ...over,
  };
}

/** A run.json merge accepts (a shard of a suite run, finished). */
export function runJsonFor(shard: { index: number; count: number } | null = null): Record<string, unknown> {
  return {
    kzbench_version: '0.1.0',
    node_version: process.version,
    platform: 'linux',
    arch: 'x64',
    os_release: 'test',
    cpu_model: 'test',
    cpu_count: 2,
    total_memory_bytes: 1,
    backend_versions: { liblzma: '5.4.1' },
    command_line: ['node', 'kzbench', 'run'],
    start: '2025-11-28T03:00:00.000Z',
    end: '2025-11-28T03:10:00.000Z',
    suite_hash: 'f'.repeat(64),
    shard,
    images: [{ ref: 'bzImage', sha256: SHA }],
    timing: { min_runs: 1 },
  };
}

/** DIR with a results.csv of CSV (text as given) and a run.json; returns DIR. */
export function resultsDir(dir: string, csv: string, run: Record<string, unknown> | string = runJsonFor()): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.csv'), csv);
  writeFileSync(join(dir, 'run.json'), typeof run === 'string' ? run : JSON.stringify(run));
  return dir;
}

/**
 * Write a results.csv of N rows to PATH in 4 MiB writes: LINE(i) gives row
 * i's whole line (with its '\n'). Returns the bytes written. Memory stays
 * at one batch whatever N is.
 */
export function writeBigResults(path: string, n: number, line: (i: number) => string): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    let batch = headerLine();
    for (let i = 0; i < n; i++) {
      batch += line(i);
      if (batch.length > 4 << 20) {
        bytes += writeSync(fd, batch);
        batch = '';
      }
    }
    bytes += writeSync(fd, batch);
  } finally {
    closeSync(fd);
  }
  return bytes;
}
