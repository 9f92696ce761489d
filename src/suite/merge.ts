// kzbench merge DIR... --out DIR: join shard runs into one run. Shards of
// different suites (suite_hash), different images, or different tool
// versions (kzbench and codec backends) are refused: their rows would not
// answer the same question.
import { KzError } from '../errors.js';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { headerLine, rowLine } from '../results/csv.js';
import { ResultsDirLock, writeFileAtomic } from '../results/dir.js';
import { forEachResultRow, MAX_RESULTS_FILE, ownString } from '../results/reader.js';
import { checkInputFile, MAX_TEXT_FILE } from '../files.js';
import { readRunJson, writeRunJson, type RunJson } from '../results/run-json.js';
import { canonicalJson } from './load.js';
import { shardText, type Shard } from './shard.js';

export class MergeError extends KzError {
  override name = 'MergeError';
}

export interface MergeSummary {
  rows: number;
  verified: number;
  failed: number;
  /** Cells that appeared in more than one input (the verified or first row kept). */
  duplicates: number;
  /** Shard numbers of the suite that no input covers. */
  missingShards: number[];
  /** Inputs that did not finish (interrupted or still running). */
  unfinished: string[];
  resultsPath: string;
  runJsonPath: string;
}

interface Input {
  dir: string;
  run: RunJson;
  /** Its results.csv: read twice, streamed (which row wins each cell, then the winners), never held whole. */
  csv: string;
  shard: Shard | null;
}

function readInput(dir: string): Input {
  const runPath = join(dir, 'run.json');
  const csvPath = join(dir, 'results.csv');
  if (!existsSync(runPath)) throw new MergeError(`${dir}: no run.json: not a kzbench results directory`);
  if (!existsSync(csvPath)) throw new MergeError(`${dir}: no results.csv`);
  const run = readRunJson(runPath)!;
  const shard = (run.shard as Shard | null | undefined) ?? null;
  return { dir, run, csv: csvPath, shard };
}

/**
 * Which row wins each cell: the first row of the cell, replaced by a later
 * verified one when it is not verified itself. A winner is (input, row) as
 * one number, negative when the row is not verified; only cell ids and
 * these numbers are held, not rows.
 */
function pickWinners(inputs: readonly Input[]): { winners: Map<string, number>; duplicates: number; rowsRead: number[] } {
  const winners = new Map<string, number>();
  let duplicates = 0;
  const rowsRead = inputs.map((input, k) => {
    let n = 0;
    forEachResultRow(input.csv, (r) => {
      const ref = (k * ROWS_PER_INPUT + n++ + 1) * (r.verified ? 1 : -1);
      const prev = winners.get(r.cell_id);
      if (prev === undefined) winners.set(ownString(r.cell_id), ref);
      else {
        duplicates++;
        if (prev < 0 && r.verified) winners.set(r.cell_id, ref);
      }
    });
    return n;
  });
  return { winners, duplicates, rowsRead };
}

/** Rows an input may have: (input, row) pairs fit a double exactly for 2^20 inputs of 2^32 rows. */
const ROWS_PER_INPUT = 2 ** 32;

/** Write the winning rows to PATH in input order, in 1 MiB writes; returns the rows written. */
function writeWinners(path: string, inputs: readonly Input[], winners: ReadonlyMap<string, number>, rowsRead: readonly number[]): number {
  // A new file beside it ('wx' follows no link), renamed over it at the end: a link at PATH is replaced, never followed.
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx');
  let pending: string[] = [headerLine()];
  let pendingBytes = 0;
  let written = 0;
  const flush = () => {
    writeSync(fd, pending.join(''));
    pending = [];
    pendingBytes = 0;
  };
  try {
    inputs.forEach((input, k) => {
      let n = 0;
      forEachResultRow(input.csv, (r) => {
        // Rows appended since the first read (a shard still running) are not part of this merge.
        if (n >= rowsRead[k]!) return;
        const ref = k * ROWS_PER_INPUT + n++ + 1;
        if (Math.abs(winners.get(r.cell_id) ?? 0) !== ref) return;
        const line = rowLine(r);
        pending.push(line);
        pendingBytes += line.length;
        written++;
        if (pendingBytes >= 1 << 20) flush();
      });
    });
    flush();
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  return written;
}

/** The same value in every input, else a MergeError naming who differs. */
function same(inputs: Input[], what: string, get: (r: RunJson) => unknown, why: string): void {
  const first = canonicalJson(get(inputs[0]!.run) ?? null);
  for (const i of inputs.slice(1)) {
    const v = canonicalJson(get(i.run) ?? null);
    if (v !== first) throw new MergeError(`${i.dir} and ${inputs[0]!.dir} differ in ${what} (${shorten(v)} vs ${shorten(first)}): ${why}`);
  }
}

const shorten = (s: string) => (s.length > 80 ? s.slice(0, 77) + '...' : s);

export function mergeRuns(
  dirs: readonly string[],
  out: string,
  options: { overwrite?: boolean; commandLine?: string[]; allowMixedCpus?: boolean } = {},
): MergeSummary {
  if (dirs.length === 0) throw new MergeError('name the results directories to merge');
  const outAbs = resolve(out);
  if (dirs.some((d) => resolve(d) === outAbs)) throw new MergeError(`--out ${out} is one of the inputs: write the merged run elsewhere`);
  const inputs = dirs.map(readInput);
  for (const i of inputs) {
    if (!i.run.suite_hash)
      throw new MergeError(`${i.dir}: not a suite run (no suite_hash in run.json); merge joins shards of a suite (kzbench run SUITE.yaml --shard I/N)`);
  }
  same(inputs, 'suite', (r) => r['suite_hash'], 'shards of different suites cannot be merged');
  same(inputs, 'kzbench version', (r) => r.kzbench_version, 'rerun the shards with one kzbench version');
  same(inputs, 'codec backend versions', (r) => r.backend_versions, 'rerun the shards with the same libraries');
  same(
    inputs,
    'images',
    (r) => ((r['images'] as { ref: string; sha256: string }[] | undefined) ?? []).map((x) => ({ ref: x.ref, sha256: x.sha256 })),
    'the shards measured different kernels (a corpus package moved on? fetch once and share the cache)',
  );
  same(inputs, 'timing', (r) => r['timing'], 'the shards timed decompression differently');
  const cpus = [...new Set(inputs.map((i) => i.run.cpu_model))];
  if (cpus.length > 1 && !options.allowMixedCpus) {
    throw new MergeError(
      `the shards ran on different CPUs (${cpus.join('; ')}): their decompression times cannot be compared; rerun on one kind of machine, or give --allow-mixed-cpus (sizes are unaffected, run.json lists each shard's CPU)`,
    );
  }
  const counts = new Set(inputs.map((i) => i.shard?.count ?? 1));
  if (counts.size > 1) throw new MergeError(`the inputs split the suite differently (shard counts ${[...counts].join(', ')})`);
  const count = [...counts][0]!;
  const seenShards = new Map<number, string>();
  for (const i of inputs) {
    const idx = i.shard?.index ?? 1;
    if (seenShards.has(idx) && count > 1) throw new MergeError(`${i.dir} and ${seenShards.get(idx)} are both shard ${idx}/${count}`);
    seenShards.set(idx, i.dir);
  }
  const missingShards = count > 1 ? Array.from({ length: count }, (_, k) => k + 1).filter((k) => !seenShards.has(k)) : [];

  // --out is written by this merge alone, from the check of what is there to the last file.
  const lock = ResultsDirLock.acquire(out, 'merge');
  try {
    return writeMerged(inputs, out, missingShards, options);
  } finally {
    lock.release();
  }
}

function writeMerged(inputs: Input[], out: string, missingShards: number[], options: { overwrite?: boolean; commandLine?: string[] }): MergeSummary {
  const resultsPath = join(out, 'results.csv');
  const runJsonPath = join(out, 'run.json');
  // Stat, not read: a FIFO or a directory there is refused, a big file is not read whole.
  if (existsSync(resultsPath) && checkInputFile(resultsPath, 'results file', MAX_RESULTS_FILE) > 0 && !options.overwrite) {
    throw new MergeError(`${resultsPath} already exists: choose another --out or add --overwrite`);
  }

  const ordered = [...inputs].sort((a, b) => (a.shard?.index ?? 1) - (b.shard?.index ?? 1));
  const { winners, duplicates, rowsRead } = pickWinners(ordered);
  let failedRows = 0;
  for (const ref of winners.values()) if (ref < 0) failedRows++;
  mkdirSync(out, { recursive: true });
  const written = writeWinners(resultsPath, ordered, winners, rowsRead);

  const unfinished = inputs.filter((i) => !i.run.end).map((i) => i.dir);
  const base = inputs[0]!.run;
  const starts = inputs.map((i) => i.run.start).sort();
  const ends = inputs
    .map((i) => i.run.end ?? i.run.stopped ?? '')
    .filter(Boolean)
    .sort();
  const merged: RunJson = {
    ...base,
    command_line: options.commandLine ?? [...process.argv],
    start: starts[0]!,
    ...(ends.length ? { end: ends.at(-1)! } : {}),
    shard: null,
    ...(new Set(inputs.map((i) => i.run.cpu_model)).size > 1 ? { mixed_cpu_models: [...new Set(inputs.map((i) => i.run.cpu_model))] } : {}),
    cells_total: inputs.reduce((n, i) => n + (i.run.cells_total ?? 0), 0),
    cells_done: written,
    cells_failed: failedRows,
    cells_skipped: 0,
    merged_from: inputs.map((i) => ({
      dir: resolve(i.dir),
      shard: i.shard ? shardText(i.shard) : null,
      start: i.run.start,
      end: i.run.end ?? null,
      interrupted: i.run.interrupted ?? false,
      cpu_model: i.run.cpu_model,
      workers: i.run.workers,
      cells_total: i.run.cells_total,
      cells_done: i.run.cells_done,
    })),
    ...(missingShards.length ? { missing_shards: missingShards } : {}),
  };
  delete merged.interrupted;
  delete merged.stopped;
  delete merged['previous_runs'];
  writeRunJson(runJsonPath, merged);
  const suiteCopy = inputs.map((i) => join(i.dir, 'suite.yaml')).find((p) => existsSync(p));
  if (suiteCopy) {
    checkInputFile(suiteCopy, 'suite file', MAX_TEXT_FILE);
    writeFileAtomic(join(out, 'suite.yaml'), readFileSync(suiteCopy));
  }
  return {
    rows: written,
    verified: written - failedRows,
    failed: failedRows,
    duplicates,
    missingShards,
    unfinished,
    resultsPath,
    runJsonPath,
  };
}
