// Keeps kzbench's own concurrency out of its timing. A cell (compression,
// verification, then the timed decompression loop) runs only while it holds
// a slot of this gate, and there are only as many slots as there are cores
// nobody else is using. On a quiet machine with a core per worker every
// worker runs at once (the quiet 2-worker run was as fast per cell
// as --workers 1, and twice as fast in wall time); with another process busy
// on one of two cores, one cell of ours runs at a time, on the free core, so
// neither our own second worker nor the other process shares that core with
// a timed decode. A slot is held for the whole cell, not only its timed
// loop: a worker compressing beside a timing one would otherwise take the
// core the timing one needs as soon as the machine has none to spare.
//
// The gate is a SharedArrayBuffer shared with every worker (piscina
// workerData): Int32 [slots, in use, others' load in milli-cores, holder flags...]. Workers block on
// Atomics.wait (allowed in worker threads). Each task carries a holder index
// whose flag says it holds a slot, so when a worker dies or is terminated
// while holding one, the pool gives the slot back as the task settles
// (releaseHolder). The main thread's GateMonitor re-reads the machine's
// load every interval and resizes the gate.

import { availableParallelism, cpus } from 'node:os';
import { BUSY_CORES, loadReading, loadShare, readLoadAverage, type LoadShare, type ObservedLoad } from '../measure/machine.js';

const SLOTS = 0;
const IN_USE = 1;
/** Other processes' CPU use over the monitor's last interval, in thousandths of a core. */
const OTHERS = 2;
const HOLDERS = 3;

/** How long a waiting worker sleeps before it looks again even without a wake-up (ms). */
const WAIT_MS = 50;

/** A gate for `holders` concurrent tasks (each task gets a holder index below it). */
export function newGateBuffer(slots: number, holders = 256): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(4 * (HOLDERS + holders));
  Atomics.store(new Int32Array(sab), SLOTS, Math.max(1, slots));
  return sab;
}

/** Both sides: take a slot (blocking), give it back, resize. */
export class TimingGate {
  readonly #a: Int32Array;
  constructor(sab: SharedArrayBuffer) {
    this.#a = new Int32Array(sab);
  }
  get holders(): number {
    return this.#a.length - HOLDERS;
  }
  /** Take a slot, waiting for one; `holder` (a task's index, or -1) records who holds it. */
  acquire(holder = -1): void {
    for (;;) {
      const used = Atomics.load(this.#a, IN_USE);
      if (used < Atomics.load(this.#a, SLOTS)) {
        if (Atomics.compareExchange(this.#a, IN_USE, used, used + 1) === used) {
          if (holder >= 0) Atomics.store(this.#a, HOLDERS + holder, 1);
          return;
        }
        continue;
      }
      Atomics.wait(this.#a, IN_USE, used, WAIT_MS);
    }
  }
  release(holder = -1): void {
    if (holder >= 0) {
      this.releaseHolder(holder);
      return;
    }
    Atomics.sub(this.#a, IN_USE, 1);
    Atomics.notify(this.#a, IN_USE);
  }
  /** Give back the slot `holder` holds, if it holds one (a no-op otherwise): true when it did. */
  releaseHolder(holder: number): boolean {
    if (Atomics.compareExchange(this.#a, HOLDERS + holder, 1, 0) !== 1) return false;
    Atomics.sub(this.#a, IN_USE, 1);
    Atomics.notify(this.#a, IN_USE);
    return true;
  }
  /** Run fn holding a slot. */
  hold<T>(fn: () => T, holder = -1): T {
    this.acquire(holder);
    try {
      return fn();
    } finally {
      this.release(holder);
    }
  }
  get slots(): number {
    return Atomics.load(this.#a, SLOTS);
  }
  get inUse(): number {
    return Atomics.load(this.#a, IN_USE);
  }
  setSlots(n: number): void {
    Atomics.store(this.#a, SLOTS, Math.max(1, n));
    Atomics.notify(this.#a, IN_USE);
  }
  /** Cores other processes (and steal) used over the monitor's last interval. */
  get othersCores(): number {
    return Atomics.load(this.#a, OTHERS) / 1000;
  }
  setOthersCores(cores: number): void {
    Atomics.store(this.#a, OTHERS, Math.max(0, Math.round(cores * 1000)));
  }
}

/**
 * Timing slots for `workers` workers on `cores` cores when others use
 * `othersCores`: the cores left, a core counting as taken when others use
 * at least half of it (BUSY_CORES), at least 1 and at most `workers`.
 */
export function timingSlots(workers: number, cores: number, othersCores: number): number {
  const free = cores - Math.floor(othersCores + BUSY_CORES);
  return Math.max(1, Math.min(workers, free));
}

/** What the monitor saw over the run, for run.json's machine.load (measure/machine.ts ObservedLoad, with cores and workers always known). */
export type GateLoad = ObservedLoad & { cores: number; workers: number };

/** Re-reads the machine's load every `intervalMs` and resizes the gate. */
export class GateMonitor {
  readonly gate: TimingGate;
  readonly sab: SharedArrayBuffer;
  readonly #first: ReturnType<typeof loadReading>;
  #last: ReturnType<typeof loadReading>;
  #timer: NodeJS.Timeout | undefined;
  #max: number | null = null;
  readonly #start: number;
  #minSlots: number;

  constructor(
    readonly workers: number,
    readonly cores: number = availableParallelism(),
    intervalMs = 500,
    readonly root = '/',
    /** CPUs /proc/stat sums over (all online ones; `cores` may be fewer under taskset). */
    readonly machineCores: number = Math.max(cores, cpus().length),
  ) {
    // Until the first interval: the processes runnable right now, less the
    // reader itself (/proc/loadavg's running count), as others' load.
    const la = readLoadAverage(root);
    const othersNow = la ? Math.max(0, la.runnable - 1) : 0;
    this.#start = timingSlots(workers, cores, othersNow);
    this.#minSlots = this.#start;
    this.sab = newGateBuffer(this.#start);
    this.gate = new TimingGate(this.sab);
    this.gate.setOthersCores(othersNow);
    this.#first = this.#last = loadReading(root);
    if (this.#first && intervalMs > 0) {
      this.#timer = setInterval(() => this.tick(), intervalMs);
      this.#timer.unref();
    }
  }

  /** One monitor step (the timer's; tests call it directly). */
  tick(): LoadShare | null {
    const now = loadReading(this.root);
    const share = this.#last && now ? loadShare(this.#last, now, this.machineCores) : null;
    if (now) this.#last = now;
    if (!share) return null;
    const taken = share.othersCores + (share.stealCores ?? 0);
    this.#max = Math.max(this.#max ?? 0, taken);
    const slots = timingSlots(this.workers, this.cores, taken);
    this.#minSlots = Math.min(this.#minSlots, slots);
    this.gate.setSlots(slots);
    this.gate.setOthersCores(taken);
    return share;
  }

  /** Stop the timer and say what the run saw. */
  stop(): GateLoad {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const end = loadReading(this.root);
    const whole = this.#first && end ? loadShare(this.#first, end, this.machineCores) : null;
    return {
      others_cores_mean: whole ? whole.othersCores : null,
      others_cores_max: this.#max,
      steal_cores_mean: whole ? whole.stealCores : null,
      timing_slots_min: this.#minSlots,
      timing_slots_start: this.#start,
      seconds: whole ? whole.seconds : 0,
      cores: this.cores,
      workers: this.workers,
    };
  }
}
