// Read results.csv back into typed rows. A final line without '\n' (a row
// torn by a crash mid-write) is dropped, never half-parsed.

import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { COLD_COLUMNS, COLUMNS, NUMERIC_COLUMNS, PARAM_COLUMNS, type ParamValue, type ResultRow } from './schema.js';

export interface ParsedResults {
  rows: ResultRow[];
  /** True when an incomplete final line was dropped. */
  droppedPartialLine: boolean;
  /** Columns in the file that this version does not know (kept out of rows). */
  unknownColumns: string[];
}

const PARAMS: ReadonlySet<string> = new Set(PARAM_COLUMNS);
/** Optional in ResultRow: left out of a row when empty (every row but a cold cell's). */
const OPTIONAL: ReadonlySet<string> = new Set(COLD_COLUMNS);

function paramValue(s: string): ParamValue {
  if (s === '') return null;
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(s)) return Number(s);
  return s;
}

export function parseResults(text: string): ParsedResults {
  const end = text.lastIndexOf('\n');
  const complete = text.slice(0, end + 1);
  const droppedPartialLine = end + 1 < text.length;
  if (complete.trim() === '') return { rows: [], droppedPartialLine, unknownColumns: [] };
  const records = parse(complete, { columns: true, skip_empty_lines: true, relax_column_count: false }) as Record<string, string>[];
  const header = complete.slice(0, complete.indexOf('\n')).split(',').map((h) => h.replace(/^"|"$/g, ''));
  const known = new Set<string>(COLUMNS);
  const unknownColumns = header.filter((h) => !known.has(h));
  const rows = records.map((rec) => {
    const row: Record<string, unknown> = {};
    for (const c of COLUMNS) {
      const s = rec[c] ?? '';
      if (OPTIONAL.has(c) && s === '') continue;
      if (c === 'verified') row[c] = s === 'true';
      else if (NUMERIC_COLUMNS.has(c)) row[c] = s === '' ? null : Number(s);
      else if (PARAMS.has(c)) row[c] = paramValue(s);
      else row[c] = s;
    }
    if (row['attempts'] === null) row['attempts'] = 0;
    return row as unknown as ResultRow;
  });
  return { rows, droppedPartialLine, unknownColumns };
}

export function readResults(path: string): ParsedResults {
  return parseResults(readFileSync(path, 'utf8'));
}
