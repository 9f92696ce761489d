// Per-section size diff: sections matched by name (the ELF section table, or
// the marker-derived sections of a raw Image), with totals over the sections
// that are loaded (SHF_ALLOC), in memory bytes and in stored bytes.
import type { Section, SectionKind } from '../image/index.js';

export type SectionChange = 'added' | 'removed' | 'grown' | 'shrunk' | 'same';

export interface SectionSide {
  address: string;
  /** Bytes in memory (readelf's Size). */
  bytes: number;
  /** Bytes stored in the kernel file (0 for bss). */
  fileBytes: number;
}

export interface SectionDelta {
  /** Section name; unmarked bytes of a raw Image are "(unmarked after NAME)". */
  name: string;
  kind: SectionKind;
  old: SectionSide | null;
  new: SectionSide | null;
  /** new.bytes - old.bytes (a missing side counts 0). */
  delta: number;
  fileDelta: number;
  change: SectionChange;
}

export interface SectionTotals {
  old: number;
  new: number;
  delta: number;
}

export interface SectionDiff {
  rows: SectionDelta[];
  /** Memory bytes of the loaded sections (every kind but "other"). */
  loaded: SectionTotals;
  /** Stored bytes of the loaded sections (bss counts 0). */
  stored: SectionTotals;
}

/** A stable name to match on: duplicates get "#2", "#3"; raw-Image gaps are named by what precedes them. */
function keyed(sections: readonly Section[]): { key: string; section: Section }[] {
  const seen = new Map<string, number>();
  const out: { key: string; section: Section }[] = [];
  let previous = 'start';
  for (const s of sections) {
    let key = s.kind === 'unknown' ? `(unmarked after ${previous})` : s.name;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n > 1) key = `${key}#${n}`;
    out.push({ key, section: s });
    if (s.kind !== 'unknown') previous = s.name;
  }
  return out;
}

const side = (s: Section): SectionSide => ({ address: '0x' + s.address.toString(16), bytes: s.bytes, fileBytes: s.fileBytes });

export function diffSections(old: readonly Section[], now: readonly Section[]): SectionDiff {
  const a = keyed(old);
  const b = new Map(keyed(now).map((k) => [k.key, k.section]));
  const rows: SectionDelta[] = [];
  const row = (name: string, o: Section | undefined, n: Section | undefined): SectionDelta => {
    const delta = (n?.bytes ?? 0) - (o?.bytes ?? 0);
    const fileDelta = (n?.fileBytes ?? 0) - (o?.fileBytes ?? 0);
    const change: SectionChange = !o ? 'added' : !n ? 'removed' : delta > 0 ? 'grown' : delta < 0 ? 'shrunk' : 'same';
    return { name, kind: (n ?? o)!.kind, old: o ? side(o) : null, new: n ? side(n) : null, delta, fileDelta, change };
  };
  const matched = new Set<string>();
  for (const { key, section } of a) {
    rows.push(row(key, section, b.get(key)));
    matched.add(key);
  }
  for (const { key, section } of keyed(now)) if (!matched.has(key)) rows.push(row(key, undefined, section));
  const total = (pick: (s: SectionSide) => number): SectionTotals => {
    let o = 0;
    let n = 0;
    for (const r of rows) {
      if (r.kind === 'other') continue;
      if (r.old) o += pick(r.old);
      if (r.new) n += pick(r.new);
    }
    return { old: o, new: n, delta: n - o };
  };
  return { rows, loaded: total((s) => s.bytes), stored: total((s) => s.fileBytes) };
}
