// A fixed-size piscina pool of cell workers. piscina replaces a worker that
// exits or is terminated, and rejects only the task that worker was running:
// that is what lets a dead worker fail only its cell.

import { Piscina } from 'piscina';
import type { CellMeasurement, CellTask } from './task.js';
import { GateMonitor, type GateLoad } from './timing-gate.js';

export const WORKER_FILE: string = new URL('./worker.js', import.meta.url).href;

export interface CellPoolOptions {
  workers: number;
  /** Module URL with the codec API; default the real src/codecs. */
  codecModule?: string;
  /**
   * An error of the pool rather than of a task (piscina's 'error' event: a
   * worker that failed while idle, a result for a task already cancelled).
   * Without a listener it would be an uncaught exception with a stack.
   */
  onError?: (e: Error) => void;
  /**
   * Gate the timed decompression loops by the cores nobody else uses
   * (src/pool/timing-gate.ts); default true. false lets every worker time at once.
   */
  timingGate?: boolean;
}

export class CellPool {
  readonly #piscina: Piscina<CellTask, CellMeasurement>;
  readonly #monitor: GateMonitor | undefined;
  #load: GateLoad | undefined;

  constructor(options: CellPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`workers must be an integer >= 1, got ${options.workers}`);
    }
    this.#monitor = options.timingGate === false ? undefined : new GateMonitor(options.workers);
    this.#piscina = new Piscina<CellTask, CellMeasurement>({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      workerData: { codecModule: options.codecModule, timingGate: this.#monitor?.sab },
    });
    this.#piscina.on('error', (e: unknown) => options.onError?.(e instanceof Error ? e : new Error(String(e))));
  }

  get workers(): number {
    return this.#piscina.maxThreads;
  }

  run(task: CellTask, signal?: AbortSignal): Promise<CellMeasurement> {
    return this.#piscina.run(task, signal ? { signal } : {});
  }

  /** What the timing gate's monitor saw (others' load, steal, fewest slots), once the pool is destroyed; undefined without a gate. */
  get load(): GateLoad | undefined {
    return this.#load;
  }

  /** Terminate every worker (running tasks are rejected). */
  async destroy(): Promise<void> {
    this.#load ??= this.#monitor?.stop();
    await this.#piscina.destroy();
  }
}
