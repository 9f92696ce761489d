// The model's results, when a run directory has them: DIR/model.csv, one row
// per candidate (strategy x algorithm x setting for a board), as `kzbench
// pick` writes them. The report needs flash_bytes and boot_ms; it uses
// strategy, algorithm, setting, ram_bytes, board, fits and a frontier flag
// (`pareto` or `frontier`) when present. pick always writes `pareto` (its
// frontier over flash, RAM and boot time, src/model/pick/frontier.ts), and
// the report takes it as written. Only a file without a frontier flag (made
// by hand or another tool) gets the flash/boot Pareto frontier computed here,
// over the candidates that fit.

import { KzError } from '../errors.js';
import { existsSync } from 'node:fs';
import { MiB, readInputText } from '../files.js';

/** Largest model.csv the report reads (pick writes a few KiB). */
const MAX_MODEL_CSV = 64 * MiB;
import { parse } from 'csv-parse/sync';

export interface ModelPoint {
  board: string;
  strategy: string;
  algorithm: string;
  setting: string;
  flashBytes: number;
  ramBytes: number | null;
  bootMs: number;
  fits: boolean;
  frontier: boolean;
}

export interface ModelResults {
  path: string;
  points: ModelPoint[];
  /** True when the frontier came from the file, false when the report computed it. */
  frontierFromFile: boolean;
  /** Rows left out, with why (one line each). */
  skipped: string[];
}

export class ModelCsvError extends KzError {
  override name = 'ModelCsvError';
}

const truthy = (s: string | undefined) => s !== undefined && /^(true|1|yes)$/i.test(s.trim());

/** Candidates no other fitting candidate beats on both flash bytes and boot time. */
export function flashBootFrontier(points: readonly Pick<ModelPoint, 'flashBytes' | 'bootMs' | 'fits'>[]): boolean[] {
  return points.map(
    (p) =>
      p.fits &&
      !points.some((q) => q !== p && q.fits && q.flashBytes <= p.flashBytes && q.bootMs <= p.bootMs && (q.flashBytes < p.flashBytes || q.bootMs < p.bootMs)),
  );
}

export function parseModelCsv(text: string, path = 'model.csv'): ModelResults {
  let records: Record<string, string>[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (e) {
    throw new ModelCsvError(`${path}: not a CSV file: ${(e as Error).message}`);
  }
  const header = records.length ? Object.keys(records[0]!) : [];
  for (const need of ['flash_bytes', 'boot_ms']) {
    if (records.length && !header.includes(need)) throw new ModelCsvError(`${path}: no ${need} column (has: ${header.join(', ')})`);
  }
  const flagColumn = header.includes('pareto') ? 'pareto' : header.includes('frontier') ? 'frontier' : undefined;
  const skipped: string[] = [];
  const points: ModelPoint[] = [];
  records.forEach((r, i) => {
    const flash = Number(r['flash_bytes']);
    const boot = Number(r['boot_ms']);
    if (r['flash_bytes'] === '' || r['boot_ms'] === '' || !Number.isFinite(flash) || !Number.isFinite(boot)) {
      skipped.push(`${path} line ${i + 2}: flash_bytes "${r['flash_bytes']}", boot_ms "${r['boot_ms']}" are not both numbers`);
      return;
    }
    const ram = r['ram_bytes'] === undefined || r['ram_bytes'] === '' ? null : Number(r['ram_bytes']);
    points.push({
      board: r['board'] ?? '',
      strategy: r['strategy'] ?? '',
      algorithm: r['algorithm'] ?? '',
      setting: r['setting'] ?? '',
      flashBytes: flash,
      ramBytes: ram !== null && Number.isFinite(ram) ? ram : null,
      bootMs: boot,
      fits: r['fits'] === undefined || r['fits'] === '' ? true : truthy(r['fits']),
      frontier: flagColumn ? truthy(r[flagColumn]) : false,
    });
  });
  if (!flagColumn) flashBootFrontier(points).forEach((f, i) => (points[i]!.frontier = f));
  return { path, points, frontierFromFile: flagColumn !== undefined, skipped };
}

/** DIR/model.csv if present, else null. */
export function readModelCsv(path: string): ModelResults | null {
  if (!existsSync(path)) return null;
  // Through files.ts: a FIFO there is refused, not waited on; model.csv is small (one row per candidate).
  return parseModelCsv(readInputText(path, 'model.csv', MAX_MODEL_CSV), path);
}
