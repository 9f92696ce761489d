// The kernel decoders' counted instructions and mispredicted branches per
// output byte (data/kernel-decoder-instructions.csv, written by
// scripts/kernel-decoder-counts.ts), and the error every part of the board
// model raises.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { KzError } from '../errors.js';
import { projectPath } from '../project.js';
import { cells, parseCsvTable } from '../results/table.js';

export class CoreModelError extends KzError {
  override name = 'CoreModelError';
}

const countRow = z.object({
  arch: cells.text,
  algorithm: cells.text,
  setting: z.string(),
  kernel_package: z.string(),
  kernel_version: z.string(),
  output_bytes: cells.optionalCount,
  compressed_bytes: cells.optionalCount,
  instructions_per_output_byte: cells.optionalNumber,
  mispredicted_per_output_byte: cells.optionalNumber,
  error: z.string(),
});
export interface DecoderCount {
  arch: string;
  algorithm: string;
  setting: string;
  kernel_package: string;
  kernel_version: string;
  output_bytes: number;
  compressed_bytes: number;
  instructions_per_output_byte: number;
  mispredicted_per_output_byte: number | null;
}

let counts: DecoderCount[] | undefined;

/** The measured instruction counts, rows without an error. */
export function decoderCounts(): DecoderCount[] {
  if (counts) return counts;
  const file = projectPath('data', 'kernel-decoder-instructions.csv');
  const out: DecoderCount[] = [];
  for (const r of parseCsvTable(readFileSync(file, 'utf8'), file, countRow)) {
    const { instructions_per_output_byte: ipb, output_bytes: o, compressed_bytes: c } = r;
    if (!r.error && ipb !== null && o !== null && c !== null) out.push({ ...r, instructions_per_output_byte: ipb, output_bytes: o, compressed_bytes: c });
  }
  counts = out;
  return out;
}

/** Instructions per output byte of ALGORITHM's kernel decoder as built for COUNTS (a row name of the counts table). */
export function decoderCount(countsArch: string, algorithm: string): DecoderCount {
  const c = decoderCounts().find((r) => r.arch === countsArch && r.algorithm === algorithm);
  if (!c)
    throw new CoreModelError(
      `no instruction count for ${algorithm} on ${countsArch} in data/kernel-decoder-instructions.csv (scripts/kernel-decoder-counts.ts measures them)`,
    );
  return c;
}
