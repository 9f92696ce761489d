// Published decompression measurements (data/published-decompression.csv):
// each row one algorithm on one machine, with its figures exactly as the
// source printed them. A figure's range is half a unit of its last printed
// digit either side ("6.7" is 6.65..6.75), so the precision a source gave
// carries into everything computed from it.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { projectPath } from '../project.js';
import { cells, parseCsvTable } from '../results/table.js';

/** A positive quantity known to lie in [lo, hi]; mid is its best value. */
export interface Range {
  lo: number;
  mid: number;
  hi: number;
}

export const exact = (v: number): Range => ({ lo: v, mid: v, hi: v });

/**
 * A published figure: "6.7" -> 6.65..6.75, "301" -> 300.5..301.5. A source's
 * own qualifier is kept: ">7" (a lower bound) -> 7..infinity, "<7" ->
 * 0..7, "~1.25" (approximate) keeps its printed precision and is marked by
 * qualified().
 */
export function figure(text: string): Range {
  const q = /^[<>~]/.test(text) ? text[0] : '';
  const digits = q ? text.slice(1) : text;
  const v = Number(digits);
  const decimals = /\.(\d+)$/.exec(digits)?.[1]?.length ?? 0;
  const half = 0.5 * 10 ** -decimals;
  if (q === '>') return { lo: v, mid: v, hi: Infinity };
  if (q === '<') return { lo: 0, mid: v, hi: v };
  return { lo: v - half, mid: v, hi: v + half };
}

/** The qualifier a row's figures carry ("~", ">", "<"), or "". */
export function qualified(r: PublishedRow): string {
  return [r.clock_ghz, r.output_mb, r.compressed_mb, r.mb_s, r.seconds, r.time_vs_reference, r.speedup_vs_reference].find((f) => /^[<>~]/.test(f))?.[0] ?? '';
}

export const mul = (a: Range, b: Range): Range => ({ lo: a.lo * b.lo, mid: a.mid * b.mid, hi: a.hi * b.hi });
export const div = (a: Range, b: Range): Range => ({ lo: a.lo / b.hi, mid: a.mid / b.mid, hi: a.hi / b.lo });
export const scale = (a: Range, k: number): Range => ({ lo: a.lo * k, mid: a.mid * k, hi: a.hi * k });

const published = z
  .string()
  .regex(/^([<>~]?\d+(\.\d+)?)?$/, "expected a number as published (with its source's <, > or ~), or nothing")
  .refine((t) => !t || Number(t.replace(/^[<>~]/, '')) > 0, 'must be more than 0');

const row = z.object({
  source_id: cells.text,
  machine: cells.text,
  /** Core family (data/core-families.csv), or another name when the core is not known. */
  family: cells.text,
  /** The row of data/kernel-decoder-instructions.csv that stands for this machine's decoders. */
  counts: cells.text,
  clock_ghz: published,
  algorithm: cells.text,
  /** The algorithm this row's time is compared with on the same machine. */
  reference: cells.text,
  output_mb: published,
  compressed_mb: published,
  mb_s: published,
  rate_of: z.enum(['input', 'output', '']),
  seconds: published,
  time_vs_reference: published,
  speedup_vs_reference: published,
  ratio: published,
  /** "yes": the one measurement its family is calibrated on. */
  calibrates: z.enum(['yes', '']),
  kernel: cells.text,
  source: cells.text,
  note: z.string(),
});
export type PublishedRow = z.infer<typeof row> & { line: number };

let cache: PublishedRow[] | undefined;

/** Every published measurement (data/published-decompression.csv). */
export function publishedMeasurements(): PublishedRow[] {
  if (cache) return cache;
  const file = projectPath('data', 'published-decompression.csv');
  cache = parsePublishedTable(readFileSync(file, 'utf8'), file);
  return cache;
}

/** Parse a published-decompression table; a bad cell is refused at its line. */
export function parsePublishedTable(text: string, file: string): PublishedRow[] {
  return parseCsvTable(text, file, row);
}

/** The row's decompression time in seconds, when the source gives one (directly or as size / rate). */
export function publishedSeconds(r: PublishedRow): Range | null {
  if (r.seconds) return figure(r.seconds);
  if (!r.mb_s) return null;
  const bytes = r.rate_of === 'input' ? r.compressed_mb : r.rate_of === 'output' ? r.output_mb : '';
  return bytes ? div(figure(bytes), figure(r.mb_s)) : null;
}

/** The row's time over its reference's time on the same machine; null when the source gives neither. */
export function publishedTimeRatio(r: PublishedRow, all: readonly PublishedRow[] = publishedMeasurements()): Range | null {
  if (r.algorithm === r.reference) return exact(1);
  if (r.time_vs_reference) return figure(r.time_vs_reference);
  if (r.speedup_vs_reference) return div(exact(1), figure(r.speedup_vs_reference));
  const ref = all.find((o) => o.source_id === r.source_id && o.algorithm === r.reference);
  const t = publishedSeconds(r);
  const tr = ref ? publishedSeconds(ref) : null;
  return t && tr ? div(t, tr) : null;
}
