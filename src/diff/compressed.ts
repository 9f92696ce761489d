// The flash cost of a change: each image's whole unit (what its build
// compresses, units/wholeUnit) compressed with each chosen algorithm's kernel
// profile, before and after. The cells go through runCells (the same worker
// pool, codec path and round-trip check as `kzbench run`, one timed run), so
// each size is what `kzbench run --image X --codec ALGO` reports for it.
import type { Algorithm } from '../codecs/index.js';
import { CodecError, isAlgorithm } from '../codecs/types.js';
import type { KernelImage } from '../image/index.js';
import { runCells, type Cell, type RunProgress, type Unit } from '../run/index.js';
import { wholeUnit } from '../units/index.js';

export type { Profile } from '../run/settings.js';
import { checkSpecs, resolveSpec, type Profile } from '../run/settings.js';
export { checkSpecs };

export interface CompressOptions {
  /** Extra algorithms or settings (as `kzbench run --codec`). */
  codecs?: readonly string[];
  /** kernel (default): a bare algorithm name means that image's kernel build command; none: library defaults. */
  profile?: Profile;
  /** Include the algorithm each image ships with (default true). */
  shipped?: boolean;
  workers?: number;
  onProgress?: (p: RunProgress) => void;
  signal?: AbortSignal;
}

/** Why an algorithm is in the table. */
export type SpecSource = 'shipped' | 'config' | 'codec';

export interface CompressedSide {
  /** Canonical setting key used for this image, or null when none applies. */
  setting: string | null;
  /** Compressed bytes as the build stores them (stream + appended size when the profile has one). */
  bytes: number | null;
  /** Why bytes is null. */
  reason: string | null;
}

export interface CompressedDelta {
  /** The algorithm or setting as asked for. */
  spec: string;
  algorithm: string;
  sources: SpecSource[];
  old: CompressedSide;
  new: CompressedSide;
  /** new.bytes - old.bytes: the flash cost of the change. */
  delta: number | null;
  percent: number | null;
}

export interface CompressedDiff {
  /** The uncompressed bytes each build feeds its compressor. */
  unit: { old: number; new: number; delta: number };
  rows: CompressedDelta[];
  notes: string[];
}

/** The algorithm an image ships with: its payload's, else its .config's KERNEL_* choice. */
export function shippedAlgorithm(img: KernelImage): { algorithm: Algorithm; source: 'shipped' | 'config' } | null {
  if (img.payload) return { algorithm: img.payload.algorithm, source: 'shipped' };
  const c = img.config?.compression;
  if (c && isAlgorithm(c)) return { algorithm: c, source: 'config' };
  return null;
}

/** The target a kernel profile is resolved for, as `kzbench run` resolves it. */
function resolveFor(img: KernelImage, spec: string, profile: Profile): { setting: string | null; reason: string | null } {
  try {
    return { setting: resolveSpec(spec, img, profile), reason: null };
  } catch (e) {
    if (e instanceof CodecError) return { setting: null, reason: e.message };
    throw e;
  }
}

/** Which specs to compress with, and why: shipped algorithms first, then --codec, without repeats. */
export function chooseSpecs(old: KernelImage, now: KernelImage, options: CompressOptions): { spec: string; sources: SpecSource[] }[] {
  const out: { spec: string; sources: SpecSource[] }[] = [];
  const add = (spec: string, source: SpecSource) => {
    const e = out.find((x) => x.spec === spec);
    if (e) {
      if (!e.sources.includes(source)) e.sources.push(source);
    } else out.push({ spec, sources: [source] });
  };
  if (options.shipped ?? true) {
    for (const img of [old, now]) {
      const s = shippedAlgorithm(img);
      if (s) add(s.algorithm, s.source);
    }
  }
  for (const c of options.codecs ?? []) add(c, 'codec');
  return out;
}

export async function compressedDiff(old: KernelImage, now: KernelImage, options: CompressOptions = {}): Promise<CompressedDiff> {
  const profile = options.profile ?? 'kernel';
  checkSpecs(options.codecs ?? [], profile);
  const units: Record<'old' | 'new', Unit> = {
    old: { name: 'old', kind: 'whole', offset: 0, bytes: wholeUnit(old).bytes },
    new: { name: 'new', kind: 'whole', offset: 0, bytes: wholeUnit(now).bytes },
  };
  const unit = { old: units.old.bytes.length, new: units.new.bytes.length, delta: units.new.bytes.length - units.old.bytes.length };
  const notes: string[] = [];
  const specs = chooseSpecs(old, now, options);
  if (specs.length === 0) {
    notes.push('no compressed sizes: neither image ships a compressed payload or names a KERNEL_* compressor in a .config; give --codec ALGO');
    return { unit, rows: [], notes };
  }
  const plan = specs.map((s) => ({ ...s, old: resolveFor(old, s.spec, profile), new: resolveFor(now, s.spec, profile) }));
  const cells: Cell[] = [];
  const want = new Set<string>();
  for (const p of plan) {
    for (const side of ['old', 'new'] as const) {
      const setting = p[side].setting;
      if (setting === null || want.has(`${side}\0${setting}`)) continue;
      want.add(`${side}\0${setting}`);
      cells.push({ unit: units[side], setting });
    }
  }
  const measured = new Map<string, { bytes: number | null; error: string }>();
  if (cells.length) {
    const summary = await runCells(cells, {
      workers: options.workers,
      timing: { minRuns: 1, minTimeMs: 0 },
      signal: options.signal,
      onProgress: options.onProgress,
      image: { path: '', sha256: '' },
    });
    for (const r of summary.rows) {
      measured.set(
        `${r.unit}\0${r.setting}`,
        r.verified ? { bytes: Number(r.compressed_bytes), error: '' } : { bytes: null, error: r.error || 'round trip not verified' },
      );
    }
    if (summary.interrupted) notes.push('interrupted: some compressed sizes are missing');
  }
  const rows: CompressedDelta[] = plan.map((p) => {
    const sideOf = (side: 'old' | 'new'): CompressedSide => {
      const r = p[side];
      if (r.setting === null) return { setting: null, bytes: null, reason: r.reason };
      const m = measured.get(`${side}\0${r.setting}`);
      if (!m) return { setting: r.setting, bytes: null, reason: 'not measured (interrupted)' };
      return { setting: r.setting, bytes: m.bytes, reason: m.bytes === null ? `failed: ${m.error}` : null };
    };
    const o = sideOf('old');
    const n = sideOf('new');
    const delta = o.bytes !== null && n.bytes !== null ? n.bytes - o.bytes : null;
    const algorithm = isAlgorithm(p.spec) ? p.spec : (o.setting ?? n.setting ?? p.spec).split(':')[0]!;
    return { spec: p.spec, algorithm, sources: p.sources, old: o, new: n, delta, percent: delta !== null && o.bytes ? (delta * 100) / o.bytes : null };
  });
  for (const r of rows) {
    if (r.old.setting && r.new.setting && r.old.setting !== r.new.setting) {
      notes.push(`${r.spec}: the two images' kernel profiles differ (old ${r.old.setting}, new ${r.new.setting}): each is compressed as its own build would`);
    }
  }
  return { unit, rows, notes };
}
