// Memory-aware admission: which pending cell may start now.
// Pure bookkeeping, no pool and no clock, so it can be property-tested.
//
// Rule: at most `maxConcurrent` cells run at once, and the estimates of the
// running cells never sum above `budget`, except that a cell whose estimate
// alone exceeds the budget may start when nothing else runs (it then runs
// alone: nothing else is admitted until it finishes).
// Pending cells are scanned in order and the first that fits starts
// (first-fit backfill): a big cell waiting for room lets smaller ones
// behind it run. The pending list is finite, so the big cell runs at the
// latest when the others are done.

export class MemoryScheduler {
  #used = 0;
  #running = 0;

  constructor(
    readonly budget: number,
    readonly maxConcurrent: number,
  ) {
    if (!(budget > 0)) throw new RangeError(`memory budget must be > 0 bytes, got ${budget}`);
    if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
      throw new RangeError(`concurrency must be an integer >= 1, got ${maxConcurrent}`);
    }
  }

  get used(): number {
    return this.#used;
  }

  get running(): number {
    return this.#running;
  }

  /** Could a cell with this estimate start now? */
  fits(estimate: number): boolean {
    if (this.#running >= this.maxConcurrent) return false;
    if (this.#running === 0) return true;
    return this.#used + estimate <= this.budget;
  }

  /** Index of the first pending estimate that fits now, or -1. */
  pick(pending: readonly number[]): number {
    if (this.#running >= this.maxConcurrent) return -1;
    for (let i = 0; i < pending.length; i++) if (this.fits(pending[i]!)) return i;
    return -1;
  }

  start(estimate: number): void {
    if (!this.fits(estimate))
      throw new Error(`scheduler: cell of ${estimate} bytes does not fit (used ${this.#used} of ${this.budget}, ${this.#running} running)`);
    this.#used += estimate;
    this.#running++;
  }

  finish(estimate: number): void {
    if (this.#running < 1) throw new Error('scheduler: finish() without start()');
    this.#running--;
    this.#used = this.#running === 0 ? 0 : this.#used - estimate;
  }
}
