// Setting syntax: "ALGO" or "ALGO:TOKEN,TOKEN,...". A token is a bare level
// ("9", "9e"), a flag ("size_append", "legacy", "long", ...) or key=value.
// A bare algorithm means that tool's own default (gzip -6, bzip2 -9, xz -6,
// lzma -6, lz4 -1 frame, zstd -3, lzop -3). The canonical key spells every
// field that decides the bytes (fields equal to a preset's value are left
// out), and parseSetting(key) gives the same setting back.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

import { addon, call } from './native.js';
import { ALGORITHMS, CodecError, isAlgorithm, type Algorithm } from './types.js';

export type ParamValue = string | number | boolean;

export interface CodecSetting {
  algorithm: Algorithm;
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

const KiB = 1024;
const MiB = 1024 * KiB;
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

function intIn(field: string, v: string, lo: number, hi: number): number {
  if (!/^-?\d+$/.test(v.trim())) throw new CodecError(`${field}=${v}: expected a whole number from ${lo} to ${hi}`);
  const n = Number(v);
  if (n < lo || n > hi) throw new CodecError(`${field}=${v}: out of range, allowed ${lo}..${hi}`);
  return n;
}

function bool(field: string, v: string | undefined): boolean {
  if (v === undefined || v === '1' || v === 'true' || v === 'yes' || v === 'on') return true;
  if (v === '0' || v === 'false' || v === 'no' || v === 'off') return false;
  throw new CodecError(`${field}=${v}: expected 1/0, true/false, yes/no or on/off`);
}

// ---- tokens --------------------------------------------------------------

interface Token {
  name: string;
  value?: string;
  raw: string;
}

function tokens(spec: string): Token[] {
  if (spec.trim() === '') return [];
  return spec.split(',').map((raw) => {
    const t = raw.trim();
    if (t === '') throw new CodecError(`empty field in "${spec}"`);
    const eq = t.indexOf('=');
    if (eq < 0) return { name: t.toLowerCase(), raw: t };
    return { name: t.slice(0, eq).trim().toLowerCase().replace(/-/g, '_'), value: t.slice(eq + 1).trim(), raw: t };
  });
}

function unknown(algorithm: Algorithm, t: Token, allowed: string): never {
  throw new CodecError(`${algorithm}: unknown field "${t.raw}"; allowed: ${allowed}`);
}

// ---- per algorithm -------------------------------------------------------

function gzipSetting(ts: Token[]): CodecSetting {
  const allowed = 'a level 1-9 (or level=N), backend=gzip-cli|zlib, size_append';
  let level = 6;
  let backend: string | undefined;
  let sizeAppend = false;
  for (const t of ts) {
    if (t.value === undefined && /^\d+$/.test(t.name)) level = intIn('level', t.name, 1, 9);
    else if (t.name === 'level' && t.value !== undefined) level = intIn('level', t.value, 1, 9);
    else if (t.name === 'backend' && t.value !== undefined) {
      if (t.value !== 'gzip-cli' && t.value !== 'zlib') throw new CodecError(`gzip: backend=${t.value}: allowed: gzip-cli, zlib`);
      backend = t.value;
    } else if (t.name === 'size_append') sizeAppend = bool('size_append', t.value);
    else unknown('gzip', t, allowed);
  }
  if (backend === undefined) backend = findTool('gzip') ? 'gzip-cli' : 'zlib';
  if (backend === 'gzip-cli' && !findTool('gzip')) throw new CodecError('gzip: backend=gzip-cli needs the gzip tool, which is not installed; use backend=zlib');
  const parts = [`level=${level}`, `backend=${backend}`];
  if (sizeAppend) parts.push('size_append');
  return { algorithm: 'gzip', key: `gzip:${parts.join(',')}`, params: { level, size_append: sizeAppend }, backend };
}

function bzip2Setting(ts: Token[]): CodecSetting {
  const allowed = 'a level 1-9 (block size in 100 kB; or level=N), size_append';
  let level = 9;
  let sizeAppend = false;
  for (const t of ts) {
    if (t.value === undefined && /^\d+$/.test(t.name)) level = intIn('level', t.name, 1, 9);
    else if (t.name === 'level' && t.value !== undefined) level = intIn('level', t.value, 1, 9);
    else if (t.name === 'size_append') sizeAppend = bool('size_append', t.value);
    else unknown('bzip2', t, allowed);
  }
  const parts = [`level=${level}`];
  if (sizeAppend) parts.push('size_append');
  return { algorithm: 'bzip2', key: `bzip2:${parts.join(',')}`, params: { level, size_append: sizeAppend }, backend: 'libbz2' };
}

// liblzma enum values.
const MODES: Record<string, number> = { fast: 1, normal: 2 };
const MFS: Record<string, number> = { hc3: 0x03, hc4: 0x04, bt2: 0x12, bt3: 0x13, bt4: 0x14 };
const CHECKS: Record<string, number> = { none: 0, crc32: 1, crc64: 4, sha256: 10 };
/** BCJ filter IDs (liblzma). riscv is 0x0B from xz 5.6.0 on. */
export const BCJ_FILTERS: Record<string, number> = {
  x86: 0x04, powerpc: 0x05, ia64: 0x06, arm: 0x07, armthumb: 0x08, sparc: 0x09, arm64: 0x0a, riscv: 0x0b,
};
const nameOf = (table: Record<string, number>, v: number) => Object.keys(table).find((k) => table[k] === v) ?? String(v);

export interface LzmaFields {
  dict: number;
  lc: number;
  lp: number;
  pb: number;
  mode: number;
  nice: number;
  mf: number;
  depth: number;
}

export function presetFields(preset: number, extreme: boolean): LzmaFields {
  const [dict, lc, lp, pb, mode, nice, mf, depth] = call(() => addon().lzmaPresetOptions(preset, extreme));
  return { dict, lc, lp, pb, mode, nice, mf, depth };
}

function lzmaSetting(algorithm: 'lzma' | 'xz', ts: Token[]): CodecSetting {
  const xzOnly = algorithm === 'xz' ? `, bcj=${Object.keys(BCJ_FILTERS).join('|')}|none, check=crc32|crc64|sha256|none` : '';
  const allowed =
    `a preset 0-9 with optional e (e.g. 9e; or preset=N, extreme), dict=SIZE (4KiB..1536MiB), lc=0-4, lp=0-4 (lc+lp<=4), pb=0-4, ` +
    `mode=fast|normal, nice=2-273, mf=hc3|hc4|bt2|bt3|bt4, depth=N (0 = auto)${xzOnly}, size_append`;
  let preset = 6;
  let extreme = false;
  const over: Partial<LzmaFields> = {};
  let bcj = 'none';
  let check = algorithm === 'xz' ? 'crc64' : 'none';
  let sizeAppend = false;
  for (const t of ts) {
    const v = t.value;
    let m: RegExpExecArray | null;
    if (v === undefined && (m = /^(\d+)(e?)$/.exec(t.name))) {
      preset = intIn('preset', m[1], 0, 9);
      extreme = m[2] === 'e';
    } else if (t.name === 'preset' && v !== undefined) {
      const pm = /^(\d+)(e?)$/.exec(v);
      if (!pm) throw new CodecError(`${algorithm}: preset=${v}: expected 0-9, optionally followed by e`);
      preset = intIn('preset', pm[1], 0, 9);
      if (pm[2] === 'e') extreme = true;
    } else if (t.name === 'extreme' || t.name === 'e') extreme = bool('extreme', v);
    else if (t.name === 'dict' && v !== undefined) {
      const d = parseBytes('dict', v);
      if (d < 4 * KiB || d > 1536 * MiB) throw new CodecError(`${algorithm}: dict=${v}: allowed 4KiB..1536MiB`);
      over.dict = d;
    } else if (t.name === 'lc' && v !== undefined) over.lc = intIn('lc', v, 0, 4);
    else if (t.name === 'lp' && v !== undefined) over.lp = intIn('lp', v, 0, 4);
    else if (t.name === 'pb' && v !== undefined) over.pb = intIn('pb', v, 0, 4);
    else if (t.name === 'mode' && v !== undefined) {
      if (!(v in MODES)) throw new CodecError(`${algorithm}: mode=${v}: allowed: fast, normal`);
      over.mode = MODES[v];
    } else if (t.name === 'nice' && v !== undefined) over.nice = intIn('nice', v, 2, 273);
    else if (t.name === 'mf' && v !== undefined) {
      if (!(v in MFS)) throw new CodecError(`${algorithm}: mf=${v}: allowed: ${Object.keys(MFS).join(', ')}`);
      over.mf = MFS[v];
    } else if (t.name === 'depth' && v !== undefined) over.depth = intIn('depth', v, 0, 1 << 30);
    else if (algorithm === 'xz' && t.name === 'bcj' && v !== undefined) bcj = v.toLowerCase();
    else if (algorithm === 'xz' && t.name === 'check' && v !== undefined) check = v.toLowerCase();
    else if (algorithm === 'xz' && t.value === undefined && t.name in BCJ_FILTERS) bcj = t.name;
    else if (t.name === 'size_append') sizeAppend = bool('size_append', t.value);
    else unknown(algorithm, t, allowed);
  }
  const base = presetFields(preset, extreme);
  const f: LzmaFields = { ...base, ...over };
  if (f.lc + f.lp > 4) throw new CodecError(`${algorithm}: lc=${f.lc} + lp=${f.lp} exceeds 4 (LZMA2 limit)`);
  if (bcj !== 'none') {
    if (!(bcj in BCJ_FILTERS)) throw new CodecError(`xz: bcj=${bcj}: unknown; allowed: ${availableBcj().join(', ')}, none`);
    if (!addon().lzmaFilterSupported(BCJ_FILTERS[bcj])) {
      throw new CodecError(
        `xz: bcj=${bcj}: liblzma ${addon().lzmaVersion} has no ${bcj} BCJ filter` +
          (bcj === 'riscv' ? ' (added in xz 5.6.0)' : bcj === 'arm64' ? ' (added in xz 5.4.0)' : '') +
          `; available: ${availableBcj().join(', ')}, none`,
      );
    }
  }
  if (!(check in CHECKS)) throw new CodecError(`xz: check=${check}: allowed: ${Object.keys(CHECKS).join(', ')}`);

  const parts = [`preset=${preset}${extreme ? 'e' : ''}`];
  if (f.dict !== base.dict) parts.push(`dict=${formatBytes(f.dict)}`);
  for (const k of ['lc', 'lp', 'pb'] as const) if (f[k] !== base[k]) parts.push(`${k}=${f[k]}`);
  if (f.mode !== base.mode) parts.push(`mode=${nameOf(MODES, f.mode)}`);
  if (f.nice !== base.nice) parts.push(`nice=${f.nice}`);
  if (f.mf !== base.mf) parts.push(`mf=${nameOf(MFS, f.mf)}`);
  if (f.depth !== base.depth) parts.push(`depth=${f.depth}`);
  if (algorithm === 'xz') {
    if (bcj !== 'none') parts.push(`bcj=${bcj}`);
    parts.push(`check=${check}`);
  }
  if (sizeAppend) parts.push('size_append');
  const params: Record<string, ParamValue> = {
    preset,
    extreme,
    dict_bytes: f.dict,
    lc: f.lc,
    lp: f.lp,
    pb: f.pb,
    mode: nameOf(MODES, f.mode),
    nice: f.nice,
    mf: nameOf(MFS, f.mf),
    depth: f.depth,
  };
  if (algorithm === 'xz') {
    params.bcj = bcj;
    params.check = check;
  }
  params.size_append = sizeAppend;
  return { algorithm, key: `${algorithm}:${parts.join(',')}`, params, backend: 'liblzma' };
}

export function availableBcj(): string[] {
  return Object.keys(BCJ_FILTERS).filter((k) => addon().lzmaFilterSupported(BCJ_FILTERS[k]));
}

const LZ4_BLOCKS: Record<string, number> = { '64KiB': 4, '256KiB': 5, '1MiB': 6, '4MiB': 7 };

function lz4Setting(ts: Token[]): CodecSetting {
  const allowed =
    'a level 1-12 (3+ is HC; or level=N), fast=N (acceleration, frame only), frame=legacy|lz4f (or the flag legacy), ' +
    'block=64KiB|256KiB|1MiB|4MiB, linked, content_size, no_checksum, block_checksum, favor_dec_speed (lz4f only), size_append';
  let level = 1;
  let fast = 0;
  let frame: 'legacy' | 'lz4f' = 'lz4f';
  let block = '4MiB';
  let linked = false;
  let contentSize = false;
  let checksum = true;
  let blockChecksum = false;
  let favor = false;
  let sizeAppend = false;
  for (const t of ts) {
    const v = t.value;
    if (v === undefined && /^\d+$/.test(t.name)) level = intIn('level', t.name, 1, 12);
    else if (t.name === 'level' && v !== undefined) level = intIn('level', v, 1, 12);
    else if (t.name === 'fast' && v !== undefined) fast = intIn('fast', v, 1, 65537);
    else if (t.name === 'legacy') frame = bool('legacy', v) ? 'legacy' : 'lz4f';
    else if (t.name === 'frame' && v !== undefined) {
      if (v !== 'legacy' && v !== 'lz4f') throw new CodecError(`lz4: frame=${v}: allowed: legacy (kernel, lz4 -l), lz4f (lz4 frame)`);
      frame = v;
    } else if (t.name === 'block' && v !== undefined) {
      const b = formatBytes(parseBytes('block', v));
      if (!(b in LZ4_BLOCKS)) throw new CodecError(`lz4: block=${v}: allowed: ${Object.keys(LZ4_BLOCKS).join(', ')}`);
      block = b;
    } else if (t.name === 'linked') linked = bool('linked', v);
    else if (t.name === 'content_size') contentSize = bool('content_size', v);
    else if (t.name === 'no_checksum') checksum = !bool('no_checksum', v);
    else if (t.name === 'checksum') checksum = bool('checksum', v);
    else if (t.name === 'block_checksum') blockChecksum = bool('block_checksum', v);
    else if (t.name === 'favor_dec_speed') favor = bool('favor_dec_speed', v);
    else if (t.name === 'size_append') sizeAppend = bool('size_append', v);
    else unknown('lz4', t, allowed);
  }
  if (fast) level = 1;
  if (frame === 'legacy') {
    const bad = [fast && 'fast', block !== '4MiB' && 'block', linked && 'linked', contentSize && 'content_size', !checksum && 'no_checksum', blockChecksum && 'block_checksum', favor && 'favor_dec_speed'].filter(Boolean);
    if (bad.length) throw new CodecError(`lz4: ${bad.join(', ')} cannot be used with frame=legacy (8 MiB independent blocks, no checksums; lz4 ignores --favor-decSpeed there)`);
  }
  const parts = [fast ? `fast=${fast}` : `level=${level}`, `frame=${frame}`];
  if (frame === 'lz4f') {
    if (block !== '4MiB') parts.push(`block=${block}`);
    if (linked) parts.push('linked');
    if (contentSize) parts.push('content_size');
    if (!checksum) parts.push('no_checksum');
    if (blockChecksum) parts.push('block_checksum');
    if (favor) parts.push('favor_dec_speed');
  }
  if (sizeAppend) parts.push('size_append');
  const params: Record<string, ParamValue> = { level: fast ? -fast : level, frame };
  if (frame === 'lz4f') Object.assign(params, { block, linked, content_size: contentSize, checksum, block_checksum: blockChecksum, favor_dec_speed: favor });
  params.size_append = sizeAppend;
  return { algorithm: 'lz4', key: `lz4:${parts.join(',')}`, params, backend: 'liblz4' };
}

function zstdSetting(ts: Token[]): CodecSetting {
  const allowed = 'a level 1-22 (or level=N; 20+ are --ultra), ultra, window_log=10-31 (alias wlog), long or long=N (window log N, default 27), workers=0|1 (1 = the zstd tool\'s default), no_checksum, content_size (pledge the input size, as `zstd FILE` does and a pipe does not: the frame records it and zstd sizes its tables to the input), size_append';
  let level = 3;
  let windowLog = 0;
  let long = false;
  let workers = 1;
  let checksum = true;
  let sizeAppend = false;
  let contentSize = false;
  for (const t of ts) {
    const v = t.value;
    if (v === undefined && /^\d+$/.test(t.name)) level = intIn('level', t.name, 1, 22);
    else if (t.name === 'level' && v !== undefined) level = intIn('level', v, 1, 22);
    else if (t.name === 'ultra') bool('ultra', v);
    else if ((t.name === 'window_log' || t.name === 'wlog') && v !== undefined) windowLog = intIn('window_log', v, 10, 31);
    else if (t.name === 'long') {
      if (v !== undefined && /^\d+$/.test(v)) {
        long = true;
        windowLog = intIn('long', v, 10, 31);
      } else long = bool('long', v);
    } else if (t.name === 'workers' && v !== undefined) workers = intIn('workers', v, 0, 1);
    else if (t.name === 'no_checksum') checksum = !bool('no_checksum', v);
    else if (t.name === 'checksum') checksum = bool('checksum', v);
    else if (t.name === 'size_append') sizeAppend = bool('size_append', v);
    else if (t.name === 'content_size') contentSize = bool('content_size', v);
    else unknown('zstd', t, allowed);
  }
  if (long && windowLog === 0) windowLog = 27;
  const parts = [`level=${level}`];
  if (windowLog) parts.push(`window_log=${windowLog}`);
  if (long) parts.push('long');
  if (workers !== 1) parts.push(`workers=${workers}`);
  if (!checksum) parts.push('no_checksum');
  if (contentSize) parts.push('content_size');
  if (sizeAppend) parts.push('size_append');
  return {
    algorithm: 'zstd',
    key: `zstd:${parts.join(',')}`,
    params: { level, window_log: windowLog, long, workers, checksum, content_size: contentSize, size_append: sizeAppend },
    backend: 'libzstd',
  };
}

const LZO_METHODS: Record<string, number> = { 'lzo1x-1-15': 1, 'lzo1x-1': 3, 'lzo1x-999': 9 };
export function lzoMethod(level: number): string {
  return level === 1 ? 'lzo1x-1-15' : level <= 6 ? 'lzo1x-1' : 'lzo1x-999';
}

function lzoSetting(ts: Token[]): CodecSetting {
  const allowed = 'an lzop level 1-9 (1 = LZO1X-1(15), 2-6 = LZO1X-1, 7-9 = LZO1X-999 at that level; or level=N), lzo1x-1, lzo1x-1-15, lzo1x-999, method=NAME (must agree with the level), mtime=N (header time, default 0), size_append';
  let level = 3;
  let method: string | undefined;
  let mtime = 0;
  let sizeAppend = false;
  for (const t of ts) {
    const v = t.value;
    if (v === undefined && /^\d+$/.test(t.name)) level = intIn('level', t.name, 1, 9);
    else if (v === undefined && t.name in LZO_METHODS) method = t.name;
    else if (t.name === 'level' && v !== undefined) level = intIn('level', v, 1, 9);
    else if (t.name === 'method' && v !== undefined) {
      if (!(v in LZO_METHODS)) throw new CodecError(`lzo: method=${v}: allowed: ${Object.keys(LZO_METHODS).join(', ')}`);
      method = v;
    } else if (t.name === 'mtime' && v !== undefined) mtime = intIn('mtime', v, 0, 2 ** 32 - 1);
    else if (t.name === 'size_append') sizeAppend = bool('size_append', v);
    else unknown('lzo', t, allowed);
  }
  if (method !== undefined && lzoMethod(level) !== method) {
    const explicitLevel = ts.some((t) => (t.value === undefined && /^\d+$/.test(t.name)) || t.name === 'level');
    if (explicitLevel) throw new CodecError(`lzo: level ${level} uses ${lzoMethod(level)}, not ${method} (lzop: 1 = lzo1x-1-15, 2-6 = lzo1x-1, 7-9 = lzo1x-999)`);
    level = LZO_METHODS[method];
  }
  const m = lzoMethod(level);
  const parts = [`level=${level}`, `method=${m}`];
  if (mtime) parts.push(`mtime=${mtime}`);
  if (sizeAppend) parts.push('size_append');
  return { algorithm: 'lzo', key: `lzo:${parts.join(',')}`, params: { level, method: m, mtime, size_append: sizeAppend }, backend: 'liblzo2' };
}

export function parseSetting(spec: string): CodecSetting {
  if (typeof spec !== 'string') throw new CodecError('a codec setting must be a string like "xz:9e" or "zstd:19"');
  const colon = spec.indexOf(':');
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  if (!isAlgorithm(name)) throw new CodecError(`unknown algorithm "${name}"; allowed: ${ALGORITHMS.join(', ')}`);
  const ts = tokens(rest);
  switch (name) {
    case 'gzip': return gzipSetting(ts);
    case 'bzip2': return bzip2Setting(ts);
    case 'lzma': return lzmaSetting('lzma', ts);
    case 'xz': return lzmaSetting('xz', ts);
    case 'lz4': return lz4Setting(ts);
    case 'zstd': return zstdSetting(ts);
    case 'lzo': return lzoSetting(ts);
  }
}

export const LZ4_BLOCK_IDS = LZ4_BLOCKS;
export const LZMA_MODES = MODES;
export const LZMA_MFS = MFS;
export const XZ_CHECKS = CHECKS;
