// What every trace reader is: a line classifier over shared state. Each
// line is an event (it names functions), structure (headers, blank lines,
// markers, closers), skip (readable, but no kernel function: other events,
// user-space frames), or bad (not this format). Plus the markers and
// headers more than one format prints.
import type { Collector } from './collector.js';
import { isDigits } from './text.js';

export type Kind = 'event' | 'structure' | 'skip' | 'bad';

export interface Reader {
  /** Strict formats throw on every bad line; the others only before their first event. */
  readonly strict: boolean;
  line(text: string, no: number): Kind;
  /** Why the last line was bad. */
  reason: string;
  /** Called at the end, and by the driver when a sample or stack ends. */
  finish(): void;
}

export interface State {
  collector: Collector;
  provenance: Record<string, string>;
  events: number;
}

export function addProvenanceNumber(p: Record<string, string>, key: string, n: number): void {
  p[key] = String((Number(p[key] ?? '0') || 0) + n);
}

/** "CPU:0 [LOST 123 EVENTS]" or "CPU:0 [LOST EVENTS]": lost count, -1 when unstated, null when not a marker. */
export function lostEvents(line: string): number | null {
  const t = line.trim();
  if (!t.startsWith('CPU:') || !t.endsWith(' EVENTS]')) return null;
  const lb = t.indexOf(' [LOST');
  if (lb < 0 || !isDigits(t, 4, lb)) return null;
  const inner = t.slice(lb + 6, t.length - 8).trim();
  if (inner === '') return -1;
  return isDigits(inner) ? Number(inner) : null;
}

export function noteLost(state: State, n: number): void {
  if (n >= 0) addProvenanceNumber(state.provenance, 'lost_events', n);
  else addProvenanceNumber(state.provenance, 'lost_events_unstated', 1);
}

/** ftrace headers worth keeping: tracer, entries-in-buffer/entries-written, #P. */
export function ftraceHeader(line: string, p: Record<string, string>): void {
  const t = line.slice(1).trim();
  if (t.startsWith('tracer:')) p.tracer = t.slice(7).trim();
  else if (t.startsWith('entries-in-buffer/entries-written:')) {
    const m = /^entries-in-buffer\/entries-written: (\d+)\/(\d+)\s+#P:(\d+)/.exec(t);
    if (m) {
      p.entries_in_buffer = m[1]!;
      p.entries_written = m[2]!;
      p.cpus = m[3]!;
    }
  }
}
