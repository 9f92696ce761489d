// What a decompressor can read, as setting parameters: the kernel's own boot
// decompressors (data/decompressor-formats.csv, each with the kernel file that
// decides it) and a board's boot loader (bootloader_decompression entries such
// as "lz4:frame=lz4f"). A setting that breaks one is not a candidate.

import { KzError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { cells, parseCsvTable } from '../results/table.js';
import { parseSetting } from '../codecs/index.js';
import { projectPath } from '../project.js';

export interface FormatRequirement {
  algorithm: string;
  param: string;
  /** Accepted values of the parameter, as the setting's params print them. */
  allowed: string[];
  source: string;
}

export class FormatRequirementError extends KzError {
  override name = 'FormatRequirementError';
}

let cached: FormatRequirement[] | undefined;

/** data/decompressor-formats.csv: what the kernel's boot decompressors read (read once). */
export function kernelDecompressorFormats(): FormatRequirement[] {
  cached ??= parseDecompressorFormats(projectPath('data', 'decompressor-formats.csv'));
  return cached;
}

const formatRow = z.object({ algorithm: cells.text, param: cells.text, allowed: cells.text, source: cells.text });

export function parseDecompressorFormats(path: string): FormatRequirement[] {
  return parseCsvTable(readFileSync(path, 'utf8'), path, formatRow).map((r) => ({
    algorithm: r.algorithm,
    param: r.param,
    allowed: r.allowed.split('|'),
    source: r.source,
  }));
}

/**
 * A boot loader's entry "ALGO" or "ALGO:param=value,param=value" as
 * requirements (one per parameter; a bare name requires nothing more).
 */
export function parseLoaderEntry(entry: string, source: string): { algorithm: string; requirements: FormatRequirement[] } {
  const [algorithm, rest] = entry.split(':', 2) as [string, string | undefined];
  const requirements = (rest ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => {
      const [param, value] = kv.split('=', 2);
      if (!param || value === undefined) throw new FormatRequirementError(`"${entry}": expected ALGORITHM or ALGORITHM:param=value[,param=value]`);
      return { algorithm, param, allowed: value.split('|'), source };
    });
  return { algorithm, requirements };
}

/** Why a setting cannot be read under these requirements, or null when it can. */
export function formatProblem(settingKey: string, requirements: readonly FormatRequirement[], reader: string): string | null {
  const s = parseSetting(settingKey);
  const problems: string[] = [];
  for (const r of requirements) {
    if (r.algorithm !== s.algorithm) continue;
    const v = s.params[r.param];
    const value = v === undefined ? 'false' : String(v);
    if (!r.allowed.includes(value)) problems.push(`${r.param}=${r.allowed.join(' or ')}, not ${value} (${r.source.split(/[;:]/)[0]})`);
  }
  return problems.length ? `${reader} reads ${s.algorithm} only with ${problems.join('; and ')}` : null;
}
