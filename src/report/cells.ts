// The rows a report needs, collected while results.csv streams past: per
// cell, the last usable row (a resumed run may have re-run it) and the last
// failed one, each cut down to the columns the summary, tables and charts
// use, with repeated strings (image, unit, setting, ...) stored once. Memory
// grows with the distinct cells of the file, not with its rows or bytes:
// the report is per setting and per section, so it needs one row per cell,
// and keeping the summed fields as a small object (rather than aggregating
// further while streaming) keeps summary.ts one pure function of rows.

import { ownString } from '../results/reader.js';
import { COLD_COLUMNS, type ColdColumns, type ResultRow } from '../results/schema.js';

/** The columns of a row the report uses. A ResultRow is one. */
export type SummaryRow = Pick<
  ResultRow,
  | 'image'
  | 'image_sha256'
  | 'unit'
  | 'unit_kind'
  | 'unit_bytes'
  | 'unit_offset'
  | 'algorithm'
  | 'setting'
  | 'backend'
  | 'compressed_bytes'
  | 'ratio'
  | 'compress_ms'
  | 'decompress_ms_median'
  | 'decompress_ms_mad'
  | 'decompress_runs'
  | 'decompress_mb_s'
  | 'verified'
  | 'error'
  | 'attempts'
  | 'cell_id'
  | 'timing_quality'
  | 'decompress_cpu_ms_median'
> &
  ColdColumns;

/** A measured row that can be summed and charted. */
export function usable(r: SummaryRow): boolean {
  return r.verified && r.compressed_bytes !== null && r.compressed_bytes > 0 && r.decompress_ms_median !== null;
}

/** The cell a row measures: its id, or what it is made of when the id is missing. */
export const cellKey = (r: SummaryRow) => r.cell_id || `${r.image_sha256}\0${r.unit}\0${r.setting}`;

/** One stored copy of each distinct string, not sharing memory with the line it came from. */
class Strings {
  #seen = new Map<string, string>();
  get(s: string): string {
    let v = this.#seen.get(s);
    if (v === undefined) this.#seen.set((v = ownString(s)), v);
    return v;
  }
}

/** Rows in (in file order), the cells a summary needs out. */
export class CellCollector {
  readonly #strings = new Strings();
  /** The last usable row of each cell, in the order cells first appeared. */
  readonly verified = new Map<string, SummaryRow>();
  /** Per cell: the last row that is not usable and how many there were. */
  readonly #failed = new Map<string, { row: SummaryRow; count: number }>();
  /** Image path per sha256, from the first verified row of each (where the image facts are looked for). */
  readonly images = new Map<string, string>();

  #slim(r: SummaryRow): SummaryRow {
    const s = (x: string) => this.#strings.get(x);
    const out: SummaryRow = {
      image: s(r.image),
      image_sha256: s(r.image_sha256),
      unit: s(r.unit),
      unit_kind: s(r.unit_kind),
      unit_bytes: r.unit_bytes,
      unit_offset: r.unit_offset,
      algorithm: s(r.algorithm),
      setting: s(r.setting),
      backend: s(r.backend),
      compressed_bytes: r.compressed_bytes,
      ratio: r.ratio,
      compress_ms: r.compress_ms,
      decompress_ms_median: r.decompress_ms_median,
      decompress_ms_mad: r.decompress_ms_mad,
      decompress_runs: r.decompress_runs,
      decompress_mb_s: r.decompress_mb_s,
      verified: r.verified,
      error: r.error === '' ? '' : ownString(r.error),
      attempts: r.attempts,
      cell_id: ownString(r.cell_id),
      ...(r.timing_quality ? { timing_quality: s(r.timing_quality) } : {}),
      ...(r.decompress_cpu_ms_median != null ? { decompress_cpu_ms_median: r.decompress_cpu_ms_median } : {}),
    };
    if (r.unit_kind === 'cold') {
      const cold = out as Record<string, unknown>;
      const from = r as Record<string, unknown>;
      for (const c of COLD_COLUMNS) if (from[c] !== undefined) cold[c] = typeof from[c] === 'string' ? s(from[c] as string) : from[c];
    }
    return out;
  }

  add(r: SummaryRow): void {
    if (r.verified && !this.images.has(r.image_sha256)) this.images.set(this.#strings.get(r.image_sha256), this.#strings.get(r.image));
    const key = cellKey(r);
    if (usable(r)) {
      // Map.set keeps the cell's first place and takes the last row.
      this.verified.set(this.verified.has(key) ? key : ownString(key), this.#slim(r));
      return;
    }
    const prev = this.#failed.get(key);
    if (prev) {
      prev.row = this.#slim(r);
      prev.count++;
    } else this.#failed.set(ownString(key), { row: this.#slim(r), count: 1 });
  }

  /** Cells whose every row failed, in first-seen order, and the failed rows of cells that later succeeded. */
  failures(): { failed: SummaryRow[]; recovered: number } {
    const failed: SummaryRow[] = [];
    let recovered = 0;
    for (const [key, f] of this.#failed) {
      if (this.verified.has(key)) recovered += f.count;
      else failed.push(f.row);
    }
    return { failed, recovered };
  }
}
