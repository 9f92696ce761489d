// Row <-> CSV line. Every record is exactly one physical line: text fields
// have CR/LF replaced by spaces before quoting, so "one line = one row"
// holds and a torn final line can be dropped by looking for the last '\n'.

import { stringify } from 'csv-stringify/sync';
import { COLUMNS, type ResultRow } from './schema.js';

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return '';
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v).replace(/[\r\n]+/g, ' ');
}

export function headerLine(): string {
  return stringify([COLUMNS as unknown as string[]], { record_delimiter: 'unix' });
}

/** One whole CSV line (with its trailing '\n') for a row. */
export function rowLine(row: ResultRow): string {
  const rec = row as unknown as Record<string, unknown>;
  return stringify([COLUMNS.map((c) => cell(rec[c]))], { record_delimiter: 'unix' });
}
