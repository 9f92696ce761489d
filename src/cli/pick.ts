// kzbench pick --board NAME|FILE (--image FILE | --results DIR) [--json] [--csv FILE]
//   [--out DIR] [--codec SPEC...] [--workers N] [--config FILE] [--system-map FILE]
// Every strategy x algorithm x setting for a board from measured payloads,
// the Pareto frontier and one recommendation (src/model/pick.ts).

import { KzError } from '../errors.js';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseWorkers, ResultsDirLock, writeFileAtomic } from '../results/dir.js';
import { MODEL_COLUMNS, modelCsvText, type ModelValues } from '../results/model-csv.js';
import { runCells, type Cell } from '../run/index.js';
import { asFlags, attachKernelDecoders, expandSuite, flagSettings, flagSuite, resolveImages, type SuiteImage } from '../plan/index.js';
import type { ResultRow } from '../results/schema.js';
import {
  boardArch,
  kernelFacts,
  loadBoard,
  loadStubTable,
  payloadsFromRows,
  pick,
  rowsFromResults,
  xipDataFromRows,
  XIP_DATA_UNIT,
  type Candidate,
  type PickResult,
} from '../model/index.js';
import { createProgress } from './progress.js';
import { table } from './format.js';
import { UsageError } from './usage.js';

export interface PickOptions {
  board?: string;
  image?: string;
  results?: string;
  json?: boolean;
  csv?: string;
  out?: string;
  codec?: string[];
  workers?: string;
  config?: string;
  systemMap?: string;
  minRuns?: string;
  minTime?: string;
  overwrite?: boolean;
  decoder?: string;
  kernelSource?: string;
}

function wholeNumber(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${v}: expected a whole number of at least ${min}`);
  return n;
}

/** model.csv's rows (src/results/model-csv.ts): each candidate, and which one is recommended. */
export function modelCsv(result: PickResult): string {
  return modelCsvText(
    result.candidates.map((c) => {
      const values = {
        ...c,
        recommended: c === result.recommendation,
        unchecked: c.unchecked.join('; '),
        boot_within_range_of: c.boot_within_range_of.join('; '),
      } as Record<string, unknown>;
      return Object.fromEntries(MODEL_COLUMNS.map((k) => [k, (values[k] ?? null) as ModelValues[typeof k]])) as ModelValues;
    }),
  );
}

const n = (v: number | null) => (v === null ? '-' : Math.round(v).toLocaleString('en-US'));
const ms = (v: number) => (v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en-US'));

/** "412 (301-655)": boot time and its range, "-" when unknown. */
function bootText(c: Candidate): string {
  if (c.boot_ms === null) return '-';
  const lo = c.boot_ms_low ?? c.boot_ms;
  const hi = c.boot_ms_high ?? c.boot_ms;
  return hi > lo ? `${ms(c.boot_ms)} (${ms(lo)}-${ms(hi)})` : ms(c.boot_ms);
}

function text(result: PickResult, image: string): string {
  const rows = result.candidates.map((c: Candidate) => [
    `${c.pareto ? '*' : ' '}${c === result.recommendation ? '>' : ' '}`,
    c.strategy,
    c.algorithm,
    c.setting.length > 44 ? c.setting.slice(0, 43) + '…' : c.setting,
    n(c.flash_bytes),
    n(c.ram_bytes),
    bootText(c),
    c.fits ? 'yes' : 'no',
    c.reason,
  ]);
  const lines = [
    `board ${result.board}, kernel ${image}`,
    table(['', 'strategy', 'algorithm', 'setting', 'flash bytes', 'RAM bytes', 'boot ms', 'fits', 'reason'], rows, [
      false,
      false,
      false,
      false,
      true,
      true,
      true,
      false,
      false,
    ]),
    '* = Pareto frontier over flash, RAM and boot time among candidates that fit; > = recommended',
  ];
  const r = result.recommendation;
  if (r) {
    lines.push(
      '',
      `recommendation: ${r.strategy} ${r.algorithm} (${r.setting || 'no compression'})`,
      `  flash ${n(r.flash_bytes)} bytes${r.flash_headroom_bytes !== null ? ` (${n(r.flash_headroom_bytes)} to spare)` : ''}, RAM ${n(r.ram_bytes)} bytes${r.ram_headroom_bytes !== null ? ` (${n(r.ram_headroom_bytes)} to spare)` : ''}, boot ${r.boot_ms === null ? 'unknown' : `${bootText(r)} ms`}`,
      `  why: ${result.why}`,
      `  flash: ${r.basis}`,
    );
    if (r.unchecked.length) lines.push(`  not checked: ${r.unchecked.join(', ')}`);
  } else lines.push('', `no recommendation: ${result.why}`);
  for (const note of result.notes) lines.push(`note: ${note}`);
  return lines.join('\n') + '\n';
}

export async function pickCommand(opts: PickOptions): Promise<number> {
  // --out is a results directory this command writes (results.csv, run.json,
  // model.csv): one writer, locked for the whole command, at once when it exists.
  const early = opts.out !== undefined && existsSync(opts.out) ? ResultsDirLock.acquire(opts.out, 'pick') : undefined;
  try {
    const checked = checkOptions(opts);
    const lock = opts.out !== undefined ? ResultsDirLock.acquire(opts.out, 'pick') : undefined;
    try {
      return await pickLocked(opts, checked);
    } finally {
      lock?.release();
    }
  } finally {
    early?.release();
  }
}

/** The flags, checked before anything is read or written. */
function checkOptions(opts: PickOptions) {
  if (!opts.board) throw new UsageError('pick needs --board NAME|FILE (data/boards/*.yaml, or your own file)');
  if (!opts.image && !opts.results) throw new UsageError('pick needs --image FILE or --results DIR (a kzbench run with whole-kernel rows)');
  flagSettings(opts.codec, 'kernel');
  const workers = parseWorkers(opts.workers);
  const minRuns = wholeNumber(opts.minRuns, '--min-runs', 1);
  const minTimeMs = wholeNumber(opts.minTime, '--min-time', 0);
  if (opts.out && opts.results)
    throw new UsageError('--out goes with --image (where the measurement is written); with --results, model.csv goes into that directory or --csv FILE');
  return { workers, minRuns, minTimeMs };
}

/** Is FILE's directory DIR (both existing)? */
function isIn(file: string, dir: string): boolean {
  try {
    return realpathSync(dirname(file)) === realpathSync(dir);
  } catch {
    return false;
  }
}

async function pickLocked(opts: PickOptions, { workers, minRuns, minTimeMs }: ReturnType<typeof checkOptions>): Promise<number> {
  const board = loadBoard(opts.board!);
  const stubs = loadStubTable();
  const log = (s: string) => process.stderr.write(s + '\n');

  // --image: the one-entry suite the flags mean (its whole unit x settings, and with an XIP
  // board the data load image as a unit of its own), planned and measured like any run.
  // --results: that run's rows; only a missing XIP data row is measured now.
  const found = opts.results ? rowsFromResults(opts.results, opts.image) : undefined;
  const imagePath = found?.image ?? opts.image!;
  const request = (units: string[]) =>
    flagSuite({
      images: [
        {
          path: imagePath,
          flag: found ? `${opts.results}'s image` : '--image',
          ...(opts.config ? { config: opts.config } : {}),
          ...(opts.systemMap ? { systemMap: opts.systemMap } : {}),
        },
      ],
      units,
      ...(opts.codec ? { codecs: opts.codec } : {}),
      ...(opts.decoder !== undefined ? { decoder: opts.decoder } : {}),
      ...(opts.kernelSource !== undefined ? { kernelSource: opts.kernelSource } : {}),
    });
  const suite = request(['whole']);
  let image: SuiteImage;
  try {
    image = asFlags(suite, () => resolveImages(suite))[0]!;
  } catch (e) {
    // --results names the image it was measured on: say which file failed, not the directory.
    throw opts.results && e instanceof KzError && e.aboutInput ? e.about(imagePath) : e;
  }
  const img = image.image;
  if (boardArch(img.arch) !== board.arch) throw new UsageError(`board ${board.name} is ${board.arch}, the kernel is ${boardArch(img.arch)} (${imagePath})`);
  const facts = kernelFacts(img);
  const xip = board.xip && facts.arch === 'arm';
  const plan = (units: string[]) => {
    const s = units.length === 1 && units[0] === 'whole' ? suite : request(units);
    const cells = asFlags(s, () => expandSuite(s, [image])).cells;
    // --decoder kernel: each payload also decoded (verified and timed) by the kernel's own decompressor, in results.csv;
    // the board's time comes from the board model (docs/boot-model.md), not from this machine
    if (s.suite.decoder === 'kernel')
      asFlags(s, () => attachKernelDecoders(cells, [image], { ...(opts.kernelSource ? { tree: opts.kernelSource } : {}), log }));
    return cells;
  };
  const timing = { ...(minRuns !== undefined ? { minRuns } : {}), ...(minTimeMs !== undefined ? { minTimeMs } : {}) };
  const measure = async (cells: Cell[], outDir: string | undefined): Promise<ResultRow[] | undefined> => {
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    const progress = createProgress();
    try {
      const summary = await runCells(cells, {
        workers,
        command: 'pick',
        timing,
        outDir,
        existing: opts.overwrite ? 'overwrite' : 'error',
        image: { path: imagePath, sha256: image.sha256 },
        runInfo: { command: process.argv.slice(2), purpose: 'kzbench pick', board: board.name },
        signal: controller.signal,
        onProgress: (p) => progress.update(p),
      });
      return summary.interrupted ? undefined : summary.rows;
    } finally {
      progress.stop();
      process.removeListener('SIGINT', onSigint);
    }
  };

  let rows = found?.rows;
  if (!rows) {
    const cells = plan(xip ? ['whole', XIP_DATA_UNIT] : ['whole']);
    const xipBytes = cells.find((c) => c.unit.kind === XIP_DATA_UNIT)?.unit.bytes.length;
    log(
      `measuring ${cells.length} cell(s) of ${imagePath} (${cells[0]!.unit.bytes.length.toLocaleString('en-US')} bytes${xipBytes ? `, and the ${xipBytes.toLocaleString('en-US')}-byte XIP data load image` : ''})${opts.out ? ` -> ${opts.out}/results.csv` : ''}`,
    );
    rows = await measure(cells, opts.out);
  } else if (xip && !xipDataFromRows(rows)) {
    // A results directory from `kzbench run` has no XIP data row: measure that one cell now (not written into another run's results).
    const cells = plan([XIP_DATA_UNIT]);
    log(
      `measuring the XIP data load image of ${imagePath} (${cells[0]!.unit.bytes.length.toLocaleString('en-US')} bytes, ${cells[0]!.setting}): ${opts.results} has no ${XIP_DATA_UNIT} row`,
    );
    const more = await measure(cells, undefined);
    rows = more ? [...rows, ...more] : undefined;
  }
  if (!rows) {
    log('interrupted: no recommendation from a partial measurement');
    return 130;
  }
  const xipMeasured = xipDataFromRows(rows);
  if (xipMeasured) facts.xipData = xipMeasured;
  const measured = payloadsFromRows(rows);
  if (measured.length === 0) throw new UsageError(`${imagePath}: no verified whole-kernel measurement to pick from`);
  const result = pick({ board, facts, measured, stubs });
  const csvText = modelCsv(result);
  const csvPath = opts.csv ?? (opts.out ? join(opts.out, 'model.csv') : opts.results ? join(opts.results, 'model.csv') : undefined);
  if (csvPath) {
    mkdirSync(dirname(csvPath), { recursive: true });
    // Into a results directory (--out, --results): under its lock.
    const dir = opts.out ?? (opts.results && isIn(csvPath, opts.results) ? opts.results : undefined);
    const lock = dir ? ResultsDirLock.acquire(dir, 'pick') : undefined;
    try {
      writeFileAtomic(csvPath, csvText);
    } finally {
      lock?.release();
    }
  }
  if (opts.json) {
    const { recommendation, candidates, why, notes } = result;
    process.stdout.write(
      JSON.stringify(
        { board: board.name, board_file: board.file, image: imagePath, recommendation, why, candidates, notes, model_csv: csvPath ?? null },
        null,
        2,
      ) + '\n',
    );
  } else {
    process.stdout.write(text(result, imagePath));
    if (csvPath) process.stdout.write(`model.csv: ${csvPath}\n`);
  }
  return 0;
}
