// Format rules of the kernel build that the model needs (alignments, the x86
// in-place extraction margin, the arm decompressor's heap and stack, the
// setting of XIP's compressed data), read from data/format-rules.csv where
// each one carries the kernel file that sets it. No figure lives in code.

import { KzError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { cells, parseCsvTable } from '../results/table.js';
import { projectPath } from '../project.js';

export const RULE_KEYS = [
  'setup_align',
  'data_align',
  'arm_payload_align',
  'arm_pad_max',
  'x86_extract_shift',
  'x86_extract_extra',
  'x86_extract_align',
  'arm_malloc_bytes',
  'arm_stack_bytes',
] as const;
export type RuleKey = (typeof RULE_KEYS)[number];

export interface FormatRules {
  numbers: Record<RuleKey, number>;
  /** The setting the kernel build compresses XIP data with (XIP_DEFLATED_DATA). */
  xipDataSetting: string;
  /** Arches with XIP_KERNEL (board arch names). */
  xipArches: string[];
  /** key → source, for reports. */
  sources: Record<string, string>;
  file: string;
}

export class FormatRulesError extends KzError {
  override name = 'FormatRulesError';
}

export function defaultRulesPath(): string {
  return projectPath('data', 'format-rules.csv');
}

/** A row of format-rules.csv; what each key's value must be is checked below. */
const ruleRow = z.object({ key: z.string().min(1, 'must not be empty'), value: z.string(), unit: z.string(), applies_to: z.string(), source: z.string() });

export function parseRules(text: string, file = 'format-rules.csv'): FormatRules {
  const records = parseCsvTable(text, file, ruleRow);
  const numbers: Partial<Record<RuleKey, number>> = {};
  const sources: Record<string, string> = {};
  let xipDataSetting: string | undefined;
  let xipArches: string[] | undefined;
  records.forEach((r) => {
    const where = `${file}:${r.line}`;
    const key = r.key;
    if (!r.source) throw new FormatRulesError(`${where}: ${key} has no source`);
    sources[key] = r.source;
    if (key === 'xip_data_setting') {
      xipDataSetting = r.value;
      return;
    }
    if (key === 'xip_arches') {
      xipArches = r.value.split(/\s+/).filter(Boolean);
      return;
    }
    if (!(RULE_KEYS as readonly string[]).includes(key)) throw new FormatRulesError(`${where}: unknown rule "${key}"`);
    const v = Number(r.value);
    if (!Number.isSafeInteger(v) || v <= 0) throw new FormatRulesError(`${where}: ${key} = "${r.value}" is not a positive whole number`);
    numbers[key as RuleKey] = v;
  });
  const missing = RULE_KEYS.filter((k) => numbers[k] === undefined);
  if (missing.length || !xipDataSetting || !xipArches)
    throw new FormatRulesError(
      `${file}: missing ${[...missing, ...(xipDataSetting ? [] : ['xip_data_setting']), ...(xipArches ? [] : ['xip_arches'])].join(', ')}`,
    );
  return { numbers: numbers as Record<RuleKey, number>, xipDataSetting, xipArches, sources, file };
}

let cached: FormatRules | undefined;

/** data/format-rules.csv of this checkout, read once. */
export function formatRules(): FormatRules {
  cached ??= parseRules(readFileSync(defaultRulesPath(), 'utf8'), defaultRulesPath());
  return cached;
}

/** A rule's value. */
export function rule(key: RuleKey): number {
  return formatRules().numbers[key];
}

export interface XipRuntimeRow {
  metric: string;
  nonXip: number;
  xip: number;
  unit: string;
  platform: string;
  source: string;
}

/** data/xip-runtime.csv: published costs of running code from flash (runtime slowdown, boot phases). */
export function xipRuntime(path = projectPath('data', 'xip-runtime.csv')): XipRuntimeRow[] {
  const row = z.object({ metric: cells.text, non_xip: cells.number, xip: cells.number, unit: cells.text, platform: cells.text, source: cells.text });
  return parseCsvTable(readFileSync(path, 'utf8'), path, row).map((r) => ({
    metric: r.metric,
    nonXip: r.non_xip,
    xip: r.xip,
    unit: r.unit,
    platform: r.platform,
    source: r.source,
  }));
}
