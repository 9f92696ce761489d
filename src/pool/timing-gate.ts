// Keeps kzbench's own concurrency out of its timing. Compression is not
// timed for the speed columns and runs on every worker at once; the timed
// decompression loops take a slot of this gate first, and there are only as
// many slots as there are cores nobody else is using. On a quiet machine
// with a core per worker every worker times at once (the quiet
// 2-worker run was as fast per cell as --workers 1, and twice as fast in
// wall time); with another process busy on one of two cores, one worker
// times while the other compresses, so two of ours never share the one free
// core while timing.
//
// The gate is a SharedArrayBuffer of two Int32 (slots, in use) shared with
// every worker (piscina workerData); workers block on Atomics.wait, which is
// allowed in worker threads. The main thread's GateMonitor re-reads the
// machine's load every interval and resizes the gate.

import { availableParallelism, cpus } from 'node:os';
import { BUSY_CORES, loadReading, loadShare, readLoadAverage, type LoadShare } from '../measure/machine.js';

const SLOTS = 0;
const IN_USE = 1;

/** How long a waiting worker sleeps before it looks again even without a wake-up (ms). */
const WAIT_MS = 50;

export function newGateBuffer(slots: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(8);
  Atomics.store(new Int32Array(sab), SLOTS, Math.max(1, slots));
  return sab;
}

/** Worker side: take a slot (blocking), give it back. */
export class TimingGate {
  readonly #a: Int32Array;
  constructor(sab: SharedArrayBuffer) {
    this.#a = new Int32Array(sab);
  }
  acquire(): void {
    for (;;) {
      const used = Atomics.load(this.#a, IN_USE);
      if (used < Atomics.load(this.#a, SLOTS)) {
        if (Atomics.compareExchange(this.#a, IN_USE, used, used + 1) === used) return;
        continue;
      }
      Atomics.wait(this.#a, IN_USE, used, WAIT_MS);
    }
  }
  release(): void {
    Atomics.sub(this.#a, IN_USE, 1);
    Atomics.notify(this.#a, IN_USE);
  }
  /** Run fn holding a slot. */
  hold<T>(fn: () => T): T {
    this.acquire();
    try {
      return fn();
    } finally {
      this.release();
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

/** What the monitor saw over the run, for run.json's machine.load. */
export interface GateLoad {
  /** Others' mean CPU use over the whole run, in cores; null when /proc/stat is unreadable. */
  others_cores_mean: number | null;
  /** Highest over one monitor interval. */
  others_cores_max: number | null;
  /** Hypervisor steal over the run, in cores; null when the kernel does not report it. */
  steal_cores_mean: number | null;
  /** Fewest timing slots the gate had during the run. */
  timing_slots_min: number;
  timing_slots_start: number;
  seconds: number;
}

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
    };
  }
}
