// The one reader for kzbench's small CSV tables (model.csv, and data/*.csv:
// stubs, format rules, decompressor formats, XIP measurements): a header
// line, one record per row, each record checked by a zod schema. Every
// mistake is `FILE:LINE: column NAME: problem`, one line, quoting nothing of
// the file beyond a short excerpt. results.csv, which can be gigabytes, has
// its own streaming reader (reader.ts, docs/decisions/0001).
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { excerpt, KzError } from '../errors.js';

export class CsvTableError extends KzError {
  override name = 'CsvTableError';
}

export interface TableOptions {
  /** Columns that must be in the header (default: none beyond what the schema needs). */
  required?: readonly string[];
  /** csv-parse's relax_column_count etc. are never set: a short or long row is an error. */
  trim?: boolean;
}

/** A row as the schema made it, with its 1-based line in the file (the header is line 1). */
export type TableRow<S extends z.ZodType> = z.infer<S> & { line: number };

/** Check TEXT, a CSV table named FILE, row by row against ROW. */
export function parseCsvTable<S extends z.ZodType>(text: string, file: string, row: S, options: TableOptions = {}): TableRow<S>[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, { columns: true, skip_empty_lines: true, trim: options.trim ?? true, info: true }) as typeof records;
  } catch (e) {
    // csv-parse's message may quote a field; keep its own position only.
    const err = e as { code?: string; lines?: number };
    throw new CsvTableError(`${err.lines ? `line ${err.lines}: ` : ''}not a CSV table (${err.code ?? 'parse error'})`, file);
  }
  const header = records.length ? Object.keys(records[0]!.record) : [];
  const missing = (options.required ?? []).filter((c) => !header.includes(c));
  if (records.length && missing.length) throw new CsvTableError(`no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''} (has: ${header.join(', ')})`, file);
  return records.map(({ record, info }) => {
    const r = row.safeParse(record);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const column = String(issue.path[0] ?? '?');
      const value = record[column];
      throw new CsvTableError(`${file}:${info.lines}: column ${column}: ${issue.message}${value !== undefined && value !== '' ? ` (got ${excerpt(value, 40)})` : ''}`, file);
    }
    return { ...(r.data as object), line: info.lines } as TableRow<S>;
  });
}

/** Cell types shared by the tables. */
export const cells = {
  text: z.string().min(1, 'must not be empty'),
  count: z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform((s) => Number(s)),
  optionalCount: z
    .string()
    .regex(/^(\d+)?$/, 'expected a whole number or nothing')
    .transform((s) => (s === '' ? null : Number(s))),
  number: z
    .string()
    .regex(/^-?\d+(\.\d+)?(e[-+]?\d+)?$/i, 'expected a number')
    .transform((s) => Number(s)),
  optionalNumber: z
    .string()
    .regex(/^(-?\d+(\.\d+)?(e[-+]?\d+)?)?$/i, 'expected a number or nothing')
    .transform((s) => (s === '' ? null : Number(s))),
  bool: z.enum(['true', 'false'], { error: 'expected true or false' }).transform((s) => s === 'true'),
};
