// A fixed-size piscina pool of cell workers. piscina replaces a worker that
// exits or is terminated, and rejects only the task that worker was running:
// that is what lets a dead worker fail only its cell.

import { Piscina } from 'piscina';
import type { CellMeasurement, CellTask } from './task.js';

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
}

export class CellPool {
  readonly #piscina: Piscina<CellTask, CellMeasurement>;

  constructor(options: CellPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`workers must be an integer >= 1, got ${options.workers}`);
    }
    this.#piscina = new Piscina<CellTask, CellMeasurement>({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      workerData: { codecModule: options.codecModule },
    });
    this.#piscina.on('error', (e: unknown) => options.onError?.(e instanceof Error ? e : new Error(String(e))));
  }

  get workers(): number {
    return this.#piscina.maxThreads;
  }

  run(task: CellTask, signal?: AbortSignal): Promise<CellMeasurement> {
    return this.#piscina.run(task, signal ? { signal } : {});
  }

  /** Terminate every worker (running tasks are rejected). */
  async destroy(): Promise<void> {
    await this.#piscina.destroy();
  }
}
