// Distinct trace entries in order of first appearance, and the stack frames
// that are added to them outermost first.
import type { TraceEntry } from '../types.js';
import { hexKey } from './text.js';
import type { Sym } from './symbol.js';

export class Collector {
  readonly entries: TraceEntry[] = [];
  private readonly byName = new Map<string, TraceEntry>();
  private readonly byAddr = new Map<string, TraceEntry>();
  /** Characters of the names and address keys held: with entries.length, what the trace costs in memory. */
  chars = 0;
  /** Stack frames read but not added yet (a stack is added when it ends). */
  pendingFrames = 0;

  add(name: string | null, hex: string | null, count: number): void {
    let e: TraceEntry | undefined;
    if (hex !== null) {
      const key = hexKey(hex);
      e = this.byAddr.get(key);
      if (e === undefined) {
        e = { name, address: BigInt('0x' + key), count: 0, first: this.entries.length };
        this.byAddr.set(key, e);
        this.entries.push(e);
        this.chars += key.length + (name?.length ?? 0);
      } else if (e.name === null && name !== null) {
        e.name = name;
        this.chars += name.length;
      }
    } else if (name !== null) {
      e = this.byName.get(name);
      if (e === undefined) {
        e = { name, address: null, count: 0, first: this.entries.length };
        this.byName.set(name, e);
        this.entries.push(e);
        this.chars += name.length;
      }
    } else return;
    e.count += count;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }
}

/** Stack frames are printed innermost first; they are added outermost first, as they ran. */
export class ChainBuffer {
  private syms: Sym[] = [];
  constructor(private readonly collector: Collector) {}
  push(s: Sym): void {
    this.collector.pendingFrames = this.syms.push(s);
  }
  flush(): void {
    for (let i = this.syms.length - 1; i >= 0; i--) this.collector.add(this.syms[i]!.name, this.syms[i]!.hex, 1);
    this.syms = [];
    this.collector.pendingFrames = 0;
  }
}
