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
   * Run only as many cells at once as there are cores nobody else uses
   * (src/pool/timing-gate.ts); default true. false lets every worker run at once.
   */
  timingGate?: boolean;
  /** A fixed number of gate slots instead of the cores others leave free (tests). */
  gateSlots?: number;
}

export class CellPool {
  readonly #piscina: Piscina<CellTask, CellMeasurement>;
  readonly #monitor: GateMonitor | undefined;
  #load: GateLoad | undefined;
  /** Gate holder indices not given to a task in flight. */
  readonly #freeHolders: number[] = [];

  constructor(options: CellPoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) {
      throw new RangeError(`workers must be an integer >= 1, got ${options.workers}`);
    }
    this.#monitor = options.timingGate === false ? undefined : new GateMonitor(options.workers, undefined, options.gateSlots === undefined ? undefined : 0);
    if (options.gateSlots !== undefined) this.#monitor?.gate.setSlots(options.gateSlots);
    this.#piscina = new Piscina<CellTask, CellMeasurement>({
      filename: WORKER_FILE,
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      workerData: { codecModule: options.codecModule, timingGate: this.#monitor?.sab },
    });
    if (this.#monitor) for (let i = this.#monitor.gate.holders - 1; i >= 0; i--) this.#freeHolders.push(i);
    this.#piscina.on('error', (e: unknown) => options.onError?.(e instanceof Error ? e : new Error(String(e))));
  }

  get workers(): number {
    return this.#piscina.maxThreads;
  }

  run(task: CellTask, signal?: AbortSignal): Promise<CellMeasurement> {
    const gate = this.#monitor?.gate;
    const holder = gate ? this.#freeHolders.pop() : undefined;
    const p = this.#piscina.run(holder === undefined ? task : { ...task, gateHolder: holder }, signal ? { signal } : {});
    if (holder === undefined) return p;
    // The worker gives its slot back itself; one that died or was terminated
    // holding it cannot, and the slot is given back here.
    const done = () => {
      gate!.releaseHolder(holder);
      this.#freeHolders.push(holder);
    };
    return p.then(
      (m) => (done(), m),
      (e: unknown) => {
        done();
        throw e;
      },
    );
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
