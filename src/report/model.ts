// The model's results in a run directory: DIR/model.csv as `kzbench pick`
// wrote it (src/results/model-csv.ts defines and checks it). The report
// charts the candidates with flash and boot figures and takes pick's Pareto
// flag as written: it does not compute a frontier of its own.
import { readModelCsv as readModelRows, type ModelRow } from '../results/model-csv.js';

export interface ModelPoint {
  board: string;
  strategy: string;
  algorithm: string;
  setting: string;
  flashBytes: number;
  ramBytes: number | null;
  bootMs: number;
  fits: boolean;
  /** On pick's Pareto frontier over flash, RAM and boot time. */
  frontier: boolean;
}

export interface ModelResults {
  path: string;
  points: ModelPoint[];
  /** Rows left out of the chart, with why (one line each). */
  skipped: string[];
}

/** The chartable candidates of model.csv rows: those with both flash and boot figures. */
export function modelPoints(rows: readonly ModelRow[], path: string): ModelResults {
  const skipped: string[] = [];
  const points: ModelPoint[] = [];
  for (const r of rows) {
    if (r.flash_bytes === null || r.boot_ms === null) {
      skipped.push(
        `${path} line ${r.line}: ${r.strategy} ${r.algorithm} has no ${r.flash_bytes === null ? 'flash_bytes' : 'boot_ms'} (${r.reason || 'unknown'})`,
      );
      continue;
    }
    points.push({
      board: r.board,
      strategy: r.strategy,
      algorithm: r.algorithm,
      setting: r.setting,
      flashBytes: r.flash_bytes,
      ramBytes: r.ram_bytes,
      bootMs: r.boot_ms,
      fits: r.fits,
      frontier: r.pareto,
    });
  }
  return { path, points, skipped };
}

/** DIR/model.csv's chartable candidates if the file is there, else null. */
export function readModelCsv(path: string): ModelResults | null {
  const rows = readModelRows(path);
  return rows ? modelPoints(rows, path) : null;
}
