// model.csv: `kzbench pick`'s candidates for a board, one row each
// (docs/results.md lists the columns). Defined once here: pick writes it
// with modelCsvText, the report reads it with readModelCsv, both through
// these columns and this schema. The Pareto flag is pick's (its frontier
// over flash, RAM and boot time); readers take it as written.
import { existsSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { MiB, readInputText } from '../files.js';
import { cells, parseCsvTable, type TableRow } from './table.js';

export const MODEL_COLUMNS = [
  'board',
  'strategy',
  'algorithm',
  'setting',
  'flash_bytes',
  'ram_bytes',
  'boot_ms',
  'read_ms',
  'decompress_ms',
  'fits',
  'pareto',
  'recommended',
  'reason',
  'flash_headroom_bytes',
  'ram_headroom_bytes',
  'boot_headroom_ms',
  'boot_source',
  'unchecked',
  'basis',
  'boot_ms_low',
  'boot_ms_high',
  'read_ms_low',
  'read_ms_high',
  'decompress_ms_low',
  'decompress_ms_high',
  'boot_basis',
  'boot_rank',
  'boot_within_range_of',
] as const;
/** Columns every model.csv has had; those added since may be missing from older files. */
const REQUIRED_COLUMNS = MODEL_COLUMNS.slice(0, MODEL_COLUMNS.indexOf('basis') + 1);
export type ModelColumn = (typeof MODEL_COLUMNS)[number];

/** The values of one model.csv row (null: unknown, written as an empty field). */
export type ModelValues = Record<ModelColumn, string | number | boolean | null>;

/** model.csv's text: the header and one row per candidate; fractions kept to 3 decimals. */
export function modelCsvText(rows: readonly ModelValues[]): string {
  const values = rows.map((r) =>
    MODEL_COLUMNS.map((k) => {
      const v = r[k];
      return v === null ? '' : typeof v === 'boolean' ? String(v) : typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(3)) : v;
    }),
  );
  return stringify([[...MODEL_COLUMNS], ...values]);
}

const modelRow = z.object({
  board: z.string(),
  strategy: cells.text,
  algorithm: z.string(),
  setting: z.string(),
  flash_bytes: cells.optionalNumber,
  ram_bytes: cells.optionalNumber,
  boot_ms: cells.optionalNumber,
  read_ms: cells.optionalNumber,
  decompress_ms: cells.optionalNumber,
  fits: cells.bool,
  pareto: cells.bool,
  recommended: cells.bool,
  reason: z.string(),
  flash_headroom_bytes: cells.optionalNumber,
  ram_headroom_bytes: cells.optionalNumber,
  boot_headroom_ms: cells.optionalNumber,
  boot_source: z.string(),
  unchecked: z.string(),
  basis: z.string(),
  boot_ms_low: cells.optionalNumber.optional(),
  boot_ms_high: cells.optionalNumber.optional(),
  read_ms_low: cells.optionalNumber.optional(),
  read_ms_high: cells.optionalNumber.optional(),
  decompress_ms_low: cells.optionalNumber.optional(),
  decompress_ms_high: cells.optionalNumber.optional(),
  boot_basis: z.string().optional(),
  boot_rank: cells.optionalCount.optional(),
  boot_within_range_of: z.string().optional(),
});
export type ModelRow = TableRow<typeof modelRow>;

/** Largest model.csv read (pick writes a few KiB). */
const MAX_MODEL_CSV = 64 * MiB;

/** Check model.csv text: every column pick writes, each row by the schema. */
export function parseModelCsv(text: string, file = 'model.csv'): ModelRow[] {
  return parseCsvTable(text, file, modelRow, { required: REQUIRED_COLUMNS });
}

/** FILE (a model.csv) if it exists, else null; read through files.ts (a FIFO is refused, not waited on). */
export function readModelCsv(file: string): ModelRow[] | null {
  if (!existsSync(file)) return null;
  return parseModelCsv(readInputText(file, 'model.csv', MAX_MODEL_CSV), file);
}
