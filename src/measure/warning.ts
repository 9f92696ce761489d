// The one plain warning the terminal (kzbench run) and the report print when
// decompression figures were taken on a busy machine or some cells' timing
// is not to be trusted. Pure: rows and run.json's machine in, a line out.

/** What the warning reads from a results row (a ResultRow fits). */
export interface QualityRow {
  verified: boolean;
  timing_quality?: string | null;
}

/** What it reads from run.json's machine (src/measure/machine.ts RunMachine fits). */
export interface BusyMachine {
  busy?: boolean | null;
  observed?: { others_cores_mean: number | null; steal_cores_mean?: number | null } | null;
  samples?: number;
  samples_disturbed?: number;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Measured cells, and how many of them are 'disturbed' or 'wide'. */
export interface QualityCounts {
  measured: number;
  disturbed: number;
  wide: number;
  /** Timed while other processes used half a core or more (disturbance.ts SHARED_CORES). */
  shared: number;
}

export function qualityCounts(rows: Iterable<QualityRow>): QualityCounts {
  const c: QualityCounts = { measured: 0, disturbed: 0, wide: 0, shared: 0 };
  for (const r of rows) {
    if (!r.verified) continue;
    c.measured++;
    if (r.timing_quality === 'disturbed') c.disturbed++;
    else if (r.timing_quality === 'wide') c.wide++;
    else if (r.timing_quality === 'shared') c.shared++;
  }
  return c;
}

/** run.json's machine as far as the warning needs it, from an unchecked JSON value. */
export function busyMachine(value: unknown): BusyMachine | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as BusyMachine) : null;
}

/**
 * One line, or undefined when there is nothing to say: the machine was busy,
 * and/or how many measured cells were disturbed (too few clean samples:
 * their wall-clock speed is low by however long the thread waited) or have
 * a wide spread. Rows from files without timing_quality say nothing.
 */
export function timingWarning(rows: readonly QualityRow[] | QualityCounts, machine?: BusyMachine | null): string | undefined {
  const { measured, disturbed, wide, shared = 0 } = Array.isArray(rows) ? qualityCounts(rows as readonly QualityRow[]) : (rows as QualityCounts);
  const busy = machine?.busy === true;
  if (!busy && disturbed === 0 && wide === 0 && shared === 0) return undefined;
  const parts: string[] = [];
  if (busy) {
    const o = machine?.observed;
    const took = o && o.others_cores_mean !== null ? (o.others_cores_mean ?? 0) + (o.steal_cores_mean ?? 0) : null;
    const share = machine?.samples ? `, ${machine.samples_disturbed ?? 0} of ${machine.samples} timed decodes were preempted` : '';
    parts.push(
      `figures were taken on a busy machine (other processes used ${took === null ? 'an unknown share' : `${took.toFixed(1)} cores`} on average${share})`,
    );
  }
  if (disturbed)
    parts.push(
      `${plural(disturbed, 'cell')} of ${measured} had too few undisturbed decodes: their decompress_mb_s is wall-clock time with waits in it; decompress_cpu_mb_s is the thread's own CPU time`,
    );
  if (wide) parts.push(`${plural(wide, 'cell')} of ${measured} had a wide spread (MAD over 5% of the median)`);
  if (shared)
    parts.push(
      `${plural(shared, 'cell')} of ${measured} ${shared === 1 ? 'was' : 'were'} timed while other processes used half a core or more: nothing was descheduled, but a busy neighbour slows a decode through shared caches and memory (timing_quality shared)`,
    );
  return `warning: ${parts.join('; ')}. Rerun on a quiet machine for wall-clock figures to act on.`;
}
