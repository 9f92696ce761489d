// The types of runCells' cells, progress reports and summary.
import type { RunMachine } from '../measure/machine.js';
import type { CellMeasurement, WorkerFault } from '../pool/task.js';
import type { ResultRow } from '../results/schema.js';

export interface Unit {
  /** The `unit` column: 'whole', a section name, a partition name... */
  name: string;
  bytes: Uint8Array;
  /** The `unit_kind` column (e.g. 'whole', 'section'). */
  kind?: string;
  /** The `unit_offset` column: where the unit starts in what it was cut from. */
  offset?: number;
  /** Overrides RunCellsOptions.image for this unit. */
  image?: { path: string; sha256: string };
  /** A block unit: compress the bytes as independent blocks ending at these offsets (CellTask.blocks). */
  blocks?: readonly number[];
  /** Bytes the worker also compresses as one stream (size only, verified): CellTask.alongside. */
  alongside?: Uint8Array;
  /**
   * Extra or overriding columns for this unit's rows, from the measurement
   * (null for a failed cell). Runs in the main thread, after the cell.
   */
  columns?: (m: CellMeasurement | null) => Partial<ResultRow>;
}

export interface Cell {
  unit: Unit;
  /** A setting spec parseSetting accepts ("xz", "xz:preset=9,bcj=x86", ...). */
  setting: string;
}

export interface RunningCell {
  unit: string;
  setting: string;
  attempt: number;
}

export interface RunProgress {
  /** Cells finished in this invocation (verified or failed). */
  done: number;
  /** Cells to run in this invocation (after resume skipped some). */
  total: number;
  failed: number;
  /** Cells skipped because a resumed results.csv already has them verified. */
  skipped: number;
  /** Cells running now, one per busy worker. */
  running: RunningCell[];
  /** The row just written, when this report follows a cell finishing. */
  finished?: ResultRow;
}

/** Test hook: make matching cells' workers fail mid-cell on their first attempts. */
export interface FaultInjection {
  match: (cell: Cell, index: number) => boolean;
  /** 'exit': process.exit() in the worker (the worker dies); 'throw': the task throws. Default 'exit'. */
  mode?: WorkerFault;
  /** Fault on this many first attempts (default 1: the retry succeeds; 2: the cell fails). */
  attempts?: number;
}

export interface RunSummary {
  /** Rows produced by this invocation, in completion order (failed cells included). */
  rows: ResultRow[];
  failed: number;
  skipped: number;
  /** True when the signal aborted the run: some cells have no row. */
  interrupted: boolean;
  workers: number;
  memoryBudgetBytes: number;
  /** run.json's `machine`: state before, load seen during, busy verdict (src/measure/machine.ts). */
  machine?: RunMachine;
  resultsPath?: string;
  runJsonPath?: string;
}
