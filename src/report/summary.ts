// What a results directory says, as numbers a person can act on: per image,
// every verified setting summed over the comparison basis, the best setting
// per algorithm, and each setting relative to the kernel's default (the
// kernel profile of the algorithm the image ships). Pure: rows and context
// in, a Report out; reading files is load.ts, drawing is markdown.ts/html.ts.
//
// Definitions (also printed in the report):
// - basis: the `whole` unit when the image has verified whole rows, else the
//   sum over its sections, counting only settings verified on every section.
// - smallest: fewest compressed_bytes on the basis (tie: faster decompression).
// - fastest: highest decompression MB/s on the basis, i.e. basis bytes over
//   the summed median decompression times (tie: fewer bytes).
// - kernel default: the row whose setting is kernelProfile(shipped algorithm,
//   image arch and release); backends are ignored when matching keys, so a
//   gzip profile measured with zlib on a machine without gzip still counts.

import { ALGORITHMS, kernelProfile, type Algorithm } from '../codecs/index.js';
import { CellCollector, type SummaryRow } from './cells.js';
import { busyMachine, qualityCounts, timingWarning, type QualityCounts } from '../measure/warning.js';

/** What is known about an image beyond its rows. */
export interface ImageContext {
  arch?: string;
  release?: string;
  thumb2?: boolean;
  /** Algorithm of the payload the image ships; null: the image is not compressed; undefined: unknown. */
  shippedAlgorithm?: string | null;
  /** Where arch/release/shipped algorithm came from, for the reader of the report. */
  source?: string;
}

export interface SettingSummary {
  algorithm: string;
  setting: string;
  backend: string;
  /** The setting is its algorithm's kernel profile for this image's arch and release. */
  kernelProfile: boolean;
  /** Number of units summed (1 for whole). */
  units: number;
  unitBytes: number;
  compressedBytes: number;
  /** unitBytes / compressedBytes. */
  ratio: number;
  compressMs: number;
  /** Sum of the units' median decompression times. */
  decompressMs: number;
  /** Sum of the units' median absolute deviations (an upper bound of the spread of the sum). */
  decompressMadMs: number;
  /** unitBytes / 1e6 / (decompressMs / 1000). */
  decompressMbS: number;
  /** Fewest timed runs among the units. */
  decompressRuns: number;
  /** unitBytes / 1e6 / (sum of the units' median thread CPU times / 1000); null when a unit lacks one (older files). */
  decompressCpuMbS: number | null;
  /** Units whose timing_quality is 'disturbed': their wall-clock figure includes waits for a CPU. */
  disturbedUnits: number;
}

export interface Versus {
  /** compressed bytes minus the default's. */
  bytesDelta: number;
  /** bytesDelta as a percentage of the default's compressed bytes. */
  sizePct: number;
  /** decompression MB/s divided by the default's (2 = twice as fast). */
  speedFactor: number;
}

export interface AlgorithmBest {
  algorithm: string;
  /** Number of settings of this algorithm on the basis. */
  settings: number;
  smallest: SettingSummary;
  fastest: SettingSummary;
}

export interface SectionPoint {
  unit: string;
  unitBytes: number;
  unitOffset: number | null;
  algorithm: string;
  setting: string;
  compressedBytes: number;
  ratio: number;
  decompressMbS: number;
}

export interface ImageReport {
  image: string;
  sha256: string;
  context: ImageContext;
  basis: 'whole' | 'sections';
  /** Uncompressed bytes of the basis. */
  unitBytes: number;
  /** Every verified setting on the basis, fewest bytes first. */
  settings: SettingSummary[];
  best: AlgorithmBest[];
  /** The kernel's default setting key (from its profile), when it could be worked out. */
  baselineKey: string | null;
  baseline: SettingSummary | null;
  /** Why there is no baseline, or where it came from. */
  baselineNote: string;
  /** Verified section rows (empty when the run has no sections). */
  sections: SectionPoint[];
  /** Section names in kernel order (offset, then name). */
  sectionNames: string[];
  /** Settings left out of a sections basis because some sections lack a verified row. */
  incomplete: { setting: string; missingUnits: number }[];
  /** Verified cold-code rows (kzbench cold), by trace, layout, block size, then compressed size. */
  cold: SummaryRow[];
}

export interface FailedCell {
  image: string;
  unit: string;
  algorithm: string;
  setting: string;
  attempts: number;
  error: string;
}

export interface Summary {
  images: ImageReport[];
  /** Cells whose every row failed (a failure later re-run successfully is not here). */
  failed: FailedCell[];
  /** Failed rows superseded by a verified row of the same cell (resume). */
  recoveredFailures: number;
  verifiedRows: number;
  /** Verified cells by timing_quality (src/measure/disturbance.ts): what the busy-machine warning counts. */
  timingQuality: QualityCounts;
}

/** A setting key without its backend parameter (the kernel's bytes do not depend on who computes them, the key match should not either). */
export function keyWithoutBackend(key: string): string {
  const colon = key.indexOf(':');
  if (colon < 0) return key;
  const params = key
    .slice(colon + 1)
    .split(',')
    .filter((p) => p !== '' && !p.startsWith('backend='));
  return params.length ? `${key.slice(0, colon)}:${params.join(',')}` : key.slice(0, colon);
}

const isAlgorithm = (a: string): a is Algorithm => (ALGORITHMS as readonly string[]).includes(a);

/** The kernel profile key of `algorithm` for this image, or undefined when there is none (unknown arch, algorithm not allowed). */
export function profileKey(algorithm: string, ctx: ImageContext): string | undefined {
  if (!ctx.arch || !isAlgorithm(algorithm)) return undefined;
  try {
    return kernelProfile(algorithm, { arch: ctx.arch, ...(ctx.release ? { kernelVersion: ctx.release } : {}), ...(ctx.thumb2 ? { thumb2: true } : {}) }).key;
  } catch {
    return undefined;
  }
}

function aggregate(rows: SummaryRow[], profile: string | undefined): SettingSummary {
  const first = rows[0]!;
  let unitBytes = 0;
  let compressedBytes = 0;
  let compressMs = 0;
  let decompressMs = 0;
  let mad = 0;
  let runs = Infinity;
  let cpuMs: number | null = 0;
  let disturbedUnits = 0;
  for (const r of rows) {
    cpuMs = cpuMs === null || r.decompress_cpu_ms_median == null ? null : cpuMs + r.decompress_cpu_ms_median;
    if (r.timing_quality === 'disturbed') disturbedUnits++;
    unitBytes += r.unit_bytes;
    compressedBytes += r.compressed_bytes ?? 0;
    compressMs += r.compress_ms ?? 0;
    decompressMs += r.decompress_ms_median ?? 0;
    mad += r.decompress_ms_mad ?? 0;
    runs = Math.min(runs, r.decompress_runs ?? 0);
  }
  const backends = [...new Set(rows.map((r) => r.backend))];
  return {
    algorithm: first.algorithm,
    setting: first.setting,
    backend: backends.join('+'),
    kernelProfile: profile !== undefined && keyWithoutBackend(profile) === keyWithoutBackend(first.setting),
    units: rows.length,
    unitBytes,
    compressedBytes,
    ratio: compressedBytes > 0 ? unitBytes / compressedBytes : 0,
    compressMs,
    decompressMs,
    decompressMadMs: mad,
    decompressMbS: rows.length === 1 && first.decompress_mb_s !== null ? first.decompress_mb_s : decompressMs > 0 ? unitBytes / 1e6 / (decompressMs / 1000) : 0,
    decompressRuns: Number.isFinite(runs) ? runs : 0,
    decompressCpuMbS: cpuMs !== null && cpuMs > 0 ? unitBytes / 1e6 / (cpuMs / 1000) : null,
    disturbedUnits,
  };
}

export function versus(s: SettingSummary, base: SettingSummary): Versus {
  const bytesDelta = s.compressedBytes - base.compressedBytes;
  return {
    bytesDelta,
    sizePct: base.compressedBytes > 0 ? (bytesDelta / base.compressedBytes) * 100 : 0,
    speedFactor: base.decompressMbS > 0 ? s.decompressMbS / base.decompressMbS : 0,
  };
}

const smaller = (a: SettingSummary, b: SettingSummary) =>
  a.compressedBytes - b.compressedBytes || b.decompressMbS - a.decompressMbS || a.setting.localeCompare(b.setting);
const faster = (a: SettingSummary, b: SettingSummary) =>
  b.decompressMbS - a.decompressMbS || a.compressedBytes - b.compressedBytes || a.setting.localeCompare(b.setting);

const algoOrder = (a: string) => {
  const i = (ALGORITHMS as readonly string[]).indexOf(a);
  return i < 0 ? ALGORITHMS.length : i;
};

function imageReport(image: string, sha256: string, rows: SummaryRow[], ctx: ImageContext): ImageReport {
  const whole = rows.filter((r) => r.unit === 'whole' || r.unit_kind === 'whole');
  // Cold-code rows (kzbench cold) are blocks of a partition, not sections: not summed or charted here.
  const sectionRows = rows.filter((r) => !(r.unit === 'whole' || r.unit_kind === 'whole') && r.unit_kind !== 'cold' && r.unit_kind !== 'xip-data');
  const basis: 'whole' | 'sections' = whole.length ? 'whole' : 'sections';

  const bySetting = new Map<string, SummaryRow[]>();
  const incomplete: { setting: string; missingUnits: number }[] = [];
  let unitBytes = 0;
  if (basis === 'whole') {
    for (const r of whole) bySetting.set(r.setting, [r]);
    unitBytes = whole[0]!.unit_bytes;
  } else {
    const units = new Map<string, number>();
    for (const r of sectionRows) units.set(r.unit, r.unit_bytes);
    unitBytes = [...units.values()].reduce((a, b) => a + b, 0);
    const grouped = new Map<string, SummaryRow[]>();
    for (const r of sectionRows) {
      const list = grouped.get(r.setting);
      if (list) list.push(r);
      else grouped.set(r.setting, [r]);
    }
    for (const [setting, rs] of grouped) {
      if (rs.length === units.size) bySetting.set(setting, rs);
      else incomplete.push({ setting, missingUnits: units.size - rs.length });
    }
  }

  const profiles = new Map<string, string | undefined>();
  const profileOf = (algorithm: string) => {
    if (!profiles.has(algorithm)) profiles.set(algorithm, profileKey(algorithm, ctx));
    return profiles.get(algorithm);
  };
  const settings = [...bySetting.values()].map((rs) => aggregate(rs, profileOf(rs[0]!.algorithm))).sort(smaller);

  const best: AlgorithmBest[] = [];
  const algorithms = [...new Set(settings.map((s) => s.algorithm))].sort((a, b) => algoOrder(a) - algoOrder(b) || a.localeCompare(b));
  for (const algorithm of algorithms) {
    const mine = settings.filter((s) => s.algorithm === algorithm);
    best.push({ algorithm, settings: mine.length, smallest: [...mine].sort(smaller)[0]!, fastest: [...mine].sort(faster)[0]! });
  }

  let baselineKey: string | null = null;
  let baseline: SettingSummary | null = null;
  let baselineNote: string;
  const shipped = ctx.shippedAlgorithm;
  if (shipped === null) {
    baselineNote = 'the image is not compressed, so there is no kernel default to compare with';
  } else if (shipped === undefined) {
    baselineNote = 'the algorithm the image ships is unknown (no run.json record and the image file is not readable here)';
  } else if (!ctx.arch) {
    baselineNote = `the image ships ${shipped}, but its arch is unknown, so its kernel profile is too`;
  } else {
    const key = profileOf(shipped);
    if (!key) {
      baselineNote = `the image ships ${shipped}, which has no kernel profile for ${ctx.arch}`;
    } else {
      baselineKey = key;
      baseline = settings.find((s) => s.setting === key) ?? settings.find((s) => keyWithoutBackend(s.setting) === keyWithoutBackend(key)) ?? null;
      baselineNote = baseline
        ? `the image ships ${shipped}; its kernel profile for ${ctx.arch}${ctx.release ? ' ' + ctx.release : ''} is ${key}`
        : `the image ships ${shipped}, but its kernel profile ${key} is not among the verified ${basis === 'whole' ? 'whole-image' : 'all-section'} rows; add it with \`kzbench run --codec ${shipped}\``;
    }
  }

  const sections: SectionPoint[] = sectionRows.map((r) => ({
    unit: r.unit,
    unitBytes: r.unit_bytes,
    unitOffset: r.unit_offset,
    algorithm: r.algorithm,
    setting: r.setting,
    compressedBytes: r.compressed_bytes!,
    ratio: r.ratio ?? r.unit_bytes / r.compressed_bytes!,
    decompressMbS: r.decompress_mb_s ?? 0,
  }));
  const offsets = new Map<string, number>();
  for (const s of sections) if (!offsets.has(s.unit)) offsets.set(s.unit, s.unitOffset ?? Number.MAX_SAFE_INTEGER);
  const sectionNames = [...offsets.keys()].sort((a, b) => offsets.get(a)! - offsets.get(b)! || a.localeCompare(b));

  const cold = rows
    .filter((r) => r.unit_kind === 'cold')
    .sort(
      (a, b) =>
        (a.trace ?? '').localeCompare(b.trace ?? '') ||
        (a.layout ?? '').localeCompare(b.layout ?? '') ||
        (a.block_bytes ?? 0) - (b.block_bytes ?? 0) ||
        a.compressed_bytes! - b.compressed_bytes!,
    );
  return { image, sha256, context: ctx, basis, unitBytes, settings, best, baselineKey, baseline, baselineNote, sections, sectionNames, incomplete, cold };
}

/**
 * Summarise result rows. `contexts` maps image_sha256 to what is known about
 * the image (arch, release, shipped algorithm); images without an entry get no
 * kernel default.
 */
export function summarize(rows: Iterable<SummaryRow>, contexts: ReadonlyMap<string, ImageContext> = new Map()): Summary {
  const cells = new CellCollector();
  for (const r of rows) cells.add(r);
  return summarizeCells(cells, contexts);
}

/** The summary of the cells a CellCollector kept (rows streamed into it). */
export function summarizeCells(cells: CellCollector, contexts: ReadonlyMap<string, ImageContext> = new Map()): Summary {
  // The last verified row of a cell wins (a resumed run may have re-run it).
  const { failed: failedRows, recovered: recoveredFailures } = cells.failures();
  const failed: FailedCell[] = failedRows.map((r) => ({
    image: r.image,
    unit: r.unit,
    algorithm: r.algorithm,
    setting: r.setting,
    attempts: r.attempts,
    error: r.error || (r.verified ? 'no measurement recorded' : 'not verified (no error recorded)'),
  }));

  const byImage = new Map<string, SummaryRow[]>();
  for (const r of cells.verified.values()) {
    const list = byImage.get(r.image_sha256);
    if (list) list.push(r);
    else byImage.set(r.image_sha256, [r]);
  }
  const images = [...byImage.entries()].map(([sha, rs]) => imageReport(rs[0]!.image, sha, rs, contexts.get(sha) ?? {}));
  return { images, failed, recoveredFailures, verifiedRows: cells.verified.size, timingQuality: qualityCounts(cells.verified.values()) };
}

/**
 * The report's one busy-machine/timing warning (src/measure/warning.ts):
 * from the summary's timing_quality counts and run.json's `machine` (any
 * JSON value; a run.json without one only loses the busy verdict).
 */
export function reportTimingWarning(summary: Pick<Summary, 'timingQuality'>, machine: unknown): string | undefined {
  return timingWarning(summary.timingQuality, busyMachine(machine));
}
