// The function profiler's trace_stat files: "Function Hit Time Avg s^2"
// then one "FUNCTION HIT [TIME us AVG us S^2 us]" line per function.
import { excerpt } from '../../errors.js';
import type { Kind, Reader, State } from './reader.js';
import { parseKernelSymbol } from './symbol.js';
import { isDigits } from './text.js';

/** "  Function   Hit   Time   Avg   s^2" (or only Function and Hit). */
export function isStatHeader(t: string): boolean {
  return t.startsWith('Function') && /^Function\s+Hit(\s|$)/.test(t);
}

export class StatReader implements Reader {
  readonly strict = true;
  reason = '';
  constructor(private readonly state: State) {}
  line(text: string): Kind {
    const t = text.trim();
    if (t === '' || t.charCodeAt(0) === 35) return 'structure';
    if (isStatHeader(t)) return 'structure';
    if (t.startsWith('---') && /^-+(\s+-+)*$/.test(t)) return 'structure';
    const f = t.split(/\s+/);
    const name = f[0]!;
    if (f.length !== 2 && f.length !== 8) {
      this.reason = 'expected "FUNCTION HIT" or "FUNCTION HIT TIME us AVG us S^2 us"';
      return 'bad';
    }
    if (!isDigits(f[1]!)) {
      this.reason = `the hit count ${excerpt(f[1]!)} is not a number`;
      return 'bad';
    }
    if (f.length === 8) {
      for (let i = 2; i < 8; i += 2) {
        if (!/^\d+(\.\d+)?$/.test(f[i]!) || f[i + 1] !== 'us') {
          this.reason = 'expected "TIME us AVG us S^2 us" after the hit count';
          return 'bad';
        }
      }
    }
    const sym = parseKernelSymbol(name);
    if (!sym) {
      this.reason = `${excerpt(name)} is not a symbol name`;
      return 'bad';
    }
    this.state.collector.add(sym.name, sym.hex, Number(f[1]));
    this.state.events++;
    return 'event';
  }
  finish(): void {}
}
