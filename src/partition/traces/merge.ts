// Several traces of one workload as one.
import { basename } from 'node:path';
import type { Trace, TraceEntry } from '../types.js';
import { TraceError } from './trace-error.js';

/**
 * Several traces of one workload as one (e.g. ftrace's list and QEMU's
 * translated blocks, which each see what the other misses): distinct entries
 * in order of first appearance, the first trace's first; counts summed;
 * events, skipped lines and lost events added; other provenance kept from the
 * first trace that has it. `file` names them all, joined by "+", each by its
 * base name after the first (unit names use the base name).
 */
export function mergeTraces(traces: readonly Trace[]): Trace {
  if (traces.length === 0) throw new TraceError('no trace to merge', 'merge');
  if (traces.length === 1) return traces[0]!;
  const byKey = new Map<string, TraceEntry>();
  const entries: TraceEntry[] = [];
  const provenance: Record<string, string> = {};
  let events = 0;
  let skippedLines = 0;
  let lost = 0;
  for (const t of traces) {
    events += t.events;
    skippedLines += t.skippedLines;
    lost += Number(t.provenance['lost_events'] ?? 0) || 0;
    for (const [k, v] of Object.entries(t.provenance)) if (!(k in provenance)) provenance[k] = v;
    for (const e of t.entries) {
      const key = e.address !== null ? `a${e.address}` : `n${e.name}`;
      const seen = byKey.get(key);
      if (seen) seen.count += e.count;
      else {
        const copy = { ...e, first: entries.length };
        byKey.set(key, copy);
        entries.push(copy);
      }
    }
  }
  if (lost > 0 || 'lost_events' in provenance) provenance['lost_events'] = String(lost);
  provenance['merged_from'] = traces.map((t) => `${t.file} (${t.format}, ${t.entries.length} entries)`).join(' + ');
  const formats = [...new Set(traces.map((t) => t.format))];
  return {
    file: traces.map((t, i) => (i === 0 ? t.file : basename(t.file))).join('+'),
    format: formats.length === 1 ? formats[0]! : 'list',
    entries,
    events,
    skippedLines,
    provenance,
  };
}
