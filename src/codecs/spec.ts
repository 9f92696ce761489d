// The pieces every codec row's setting parser is built from: the spec's
// tokens, value checks with the messages users see, sizes, tools on PATH,
// and readers for a parsed setting's params.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

import { CodecError } from './errors.js';

export type ParamValue = string | number | boolean;

export interface CodecSetting {
  /** The name of the codec row that parsed it. */
  algorithm: string;
  /** Canonical, stable: the same setting always gives the same key; parseSetting(key) round-trips. */
  key: string;
  /** Separate fields for the CSV. */
  params: Record<string, ParamValue>;
  backend: string;
}

// ---- tools ---------------------------------------------------------------

const toolCache = new Map<string, string | null>();

/** Absolute path of an executable on PATH (or /usr/bin, /bin), or null. */
export function findTool(name: string): string | null {
  if (toolCache.has(name)) return toolCache.get(name)!;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/bin'];
  const hit = dirs.map((d) => join(d, name)).find((p) => existsSync(p)) ?? null;
  toolCache.set(name, hit);
  return hit;
}

// ---- sizes ---------------------------------------------------------------

export const KiB = 1024;
export const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export function parseBytes(field: string, v: string): number {
  const m = /^(\d+)\s*(B|K|KB|KiB|M|MB|MiB|G|GB|GiB)?$/i.exec(v.trim());
  if (!m) throw new CodecError(`${field}=${v}: expected a size like 4096, 64KiB, 32MiB, 1GiB`);
  const unit = (m[2] ?? 'B').toUpperCase().replace('IB', '').replace(/B$/, '') || 'B';
  const mult = unit === 'K' ? KiB : unit === 'M' ? MiB : unit === 'G' ? GiB : 1;
  return Number(m[1]) * mult;
}

export function formatBytes(n: number): string {
  if (n % GiB === 0) return `${n / GiB}GiB`;
  if (n % MiB === 0) return `${n / MiB}MiB`;
  if (n % KiB === 0) return `${n / KiB}KiB`;
  return String(n);
}

// ---- values --------------------------------------------------------------

export function intIn(field: string, v: string, lo: number, hi: number): number {
  if (!/^-?\d+$/.test(v.trim())) throw new CodecError(`${field}=${v}: expected a whole number from ${lo} to ${hi}`);
  const n = Number(v);
  if (n < lo || n > hi) throw new CodecError(`${field}=${v}: out of range, allowed ${lo}..${hi}`);
  return n;
}

export function bool(field: string, v: string | undefined): boolean {
  if (v === undefined || v === '1' || v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'no' || v === 'off') return false;
  throw new CodecError(`${field}=${v}: expected 1/0, true/false, yes/no or on/off`);
}

// ---- tokens --------------------------------------------------------------

/** One comma-separated field of a spec: a bare word (`9`, `legacy`) or `key=value`. */
export interface Token {
  /** Lower case; in key=value, dashes become underscores. */
  name: string;
  value?: string;
  raw: string;
}

export function tokens(spec: string): Token[] {
  if (spec.trim() === '') return [];
  return spec.split(',').map((raw) => {
    const t = raw.trim();
    if (t === '') throw new CodecError(`empty field in "${spec}"`);
    const eq = t.indexOf('=');
    if (eq < 0) return { name: t.toLowerCase(), raw: t };
    return { name: t.slice(0, eq).trim().toLowerCase().replace(/-/g, '_'), value: t.slice(eq + 1).trim(), raw: t };
  });
}

export function unknown(algorithm: string, t: Token, allowed: string): never {
  throw new CodecError(`${algorithm}: unknown field "${t.raw}"; allowed: ${allowed}`);
}

/** A bare level (`9`) or level=N, in lo..hi; undefined when the token is neither. */
export function levelToken(t: Token, lo: number, hi: number): number | undefined {
  if (t.value === undefined && /^\d+$/.test(t.name)) return intIn('level', t.name, lo, hi);
  if (t.name === 'level' && t.value !== undefined) return intIn('level', t.value, lo, hi);
  return undefined;
}

// ---- params of a parsed setting ------------------------------------------

/** A number the encoder needs (settings may cross threads as plain objects). */
export function num(p: CodecSetting['params'], k: string): number {
  const v = p[k];
  if (typeof v !== 'number') throw new CodecError(`setting ${k} is missing or not a number`);
  return v;
}
export const flag = (p: CodecSetting['params'], k: string) => p[k] === true;

/** Params as the pool's estimates see them: maybe from a stand-in codec module. */
export type LooseParams = Readonly<Record<string, unknown>>;

/** The first of `names` holding a finite number (or a numeric string); for estimates. */
export function looseNumber(params: LooseParams, ...names: string[]): number | undefined {
  for (const n of names) {
    const v = params[n];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

/** A finite number param, or undefined (numeric strings are not read); for the cost weights. */
export function numberParam(params: LooseParams, name: string): number | undefined {
  const v = params[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
