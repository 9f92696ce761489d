// lzma and xz: liblzma's two containers, the .lzma "alone" format and .xz
// (LZMA2, optionally behind a BCJ filter). One setting parser and one
// backend serve both rows; only xz takes bcj= and check=.
import { defineCodec, type Backend } from './descriptor.js';
import { CodecError } from './errors.js';
import { atLeast, type KArch, type ProfileTarget } from './kernel.js';
import { addon, call } from './native.js';
import {
  bool,
  flag,
  formatBytes,
  intIn,
  KiB,
  looseNumber,
  MiB,
  num,
  numberParam,
  parseBytes,
  unknown,
  type CodecSetting,
  type LooseParams,
  type ParamValue,
  type Token,
} from './spec.js';

// liblzma enum values.
export const LZMA_MODES: Record<string, number> = { fast: 1, normal: 2 };
export const LZMA_MFS: Record<string, number> = { hc3: 0x03, hc4: 0x04, bt2: 0x12, bt3: 0x13, bt4: 0x14 };
export const XZ_CHECKS: Record<string, number> = { none: 0, crc32: 1, crc64: 4, sha256: 10 };
/** BCJ filter IDs (liblzma). riscv is 0x0B from xz 5.6.0 on. */
export const BCJ_FILTERS: Record<string, number> = {
  x86: 0x04,
  powerpc: 0x05,
  ia64: 0x06,
  arm: 0x07,
  armthumb: 0x08,
  sparc: 0x09,
  arm64: 0x0a,
  riscv: 0x0b,
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

export function availableBcj(): string[] {
  return Object.keys(BCJ_FILTERS).filter((k) => addon().lzmaFilterSupported(BCJ_FILTERS[k]));
}

type Container = 'lzma' | 'xz';

function parseLzma(algorithm: Container, ts: readonly Token[]): CodecSetting {
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
      if (!(v in LZMA_MODES)) throw new CodecError(`${algorithm}: mode=${v}: allowed: fast, normal`);
      over.mode = LZMA_MODES[v];
    } else if (t.name === 'nice' && v !== undefined) over.nice = intIn('nice', v, 2, 273);
    else if (t.name === 'mf' && v !== undefined) {
      if (!(v in LZMA_MFS)) throw new CodecError(`${algorithm}: mf=${v}: allowed: ${Object.keys(LZMA_MFS).join(', ')}`);
      over.mf = LZMA_MFS[v];
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
  if (!(check in XZ_CHECKS)) throw new CodecError(`xz: check=${check}: allowed: ${Object.keys(XZ_CHECKS).join(', ')}`);

  const parts = [`preset=${preset}${extreme ? 'e' : ''}`];
  if (f.dict !== base.dict) parts.push(`dict=${formatBytes(f.dict)}`);
  for (const k of ['lc', 'lp', 'pb'] as const) if (f[k] !== base[k]) parts.push(`${k}=${f[k]}`);
  if (f.mode !== base.mode) parts.push(`mode=${nameOf(LZMA_MODES, f.mode)}`);
  if (f.nice !== base.nice) parts.push(`nice=${f.nice}`);
  if (f.mf !== base.mf) parts.push(`mf=${nameOf(LZMA_MFS, f.mf)}`);
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
    mode: nameOf(LZMA_MODES, f.mode),
    nice: f.nice,
    mf: nameOf(LZMA_MFS, f.mf),
    depth: f.depth,
  };
  if (algorithm === 'xz') {
    params.bcj = bcj;
    params.check = check;
  }
  params.size_append = sizeAppend;
  return { algorithm, key: `${algorithm}:${parts.join(',')}`, params, backend: 'liblzma' };
}

/** The addon's container argument. */
const FORMAT: Record<Container, 0 | 1> = { xz: 0, lzma: 1 };

function encode(algorithm: Container, s: CodecSetting, input: Uint8Array): Uint8Array {
  const p = s.params;
  const bcj = algorithm === 'xz' && p.bcj !== 'none' ? BCJ_FILTERS[String(p.bcj)] : 0;
  const check = algorithm === 'xz' ? XZ_CHECKS[String(p.check)] : 0;
  // Every LZMA2 field spelled out (resolved from liblzma's own preset table).
  return call(() =>
    addon().lzmaCompress(
      input,
      FORMAT[algorithm],
      num(p, 'preset'),
      flag(p, 'extreme'),
      num(p, 'dict_bytes'),
      num(p, 'lc'),
      num(p, 'lp'),
      num(p, 'pb'),
      LZMA_MODES[String(p.mode)],
      num(p, 'nice'),
      LZMA_MFS[String(p.mf)],
      num(p, 'depth'),
      bcj,
      check,
    ),
  );
}

/** The decoder's memory (the dictionary) is capped at maxOutput + 8 MiB. */
const decodeStream = (algorithm: Container) => (input: Uint8Array, maxOutput: number) =>
  call(() => addon().lzmaDecodeStream(input, maxOutput, FORMAT[algorithm], Math.max(maxOutput, MiB) + 8 * MiB));

/** xz/lzma preset 0-9 dictionary sizes (xz(1)). */
const XZ_PRESET_DICT = [256 * KiB, 1 * MiB, 2 * MiB, 4 * MiB, 4 * MiB, 8 * MiB, 8 * MiB, 16 * MiB, 32 * MiB, 64 * MiB];

/**
 * xz(1) "Memory usage", lzma_raw_encoder_memusage: the encoder needs about
 * 10.5-12x the dictionary with the default bt4/hc4 match finders (preset -6:
 * 8 MiB dict, 94 MiB; -9: 64 MiB, 674 MiB); the decoder about the
 * dictionary. liblzma does not shrink the dictionary to the input, so
 * neither does the estimate.
 */
function stateBytes(p: Readonly<Record<string, unknown>>): number {
  const preset = Math.min(9, Math.max(0, Math.trunc(looseNumber(p, 'preset') ?? 6)));
  const dict = looseNumber(p, 'dict_bytes', 'dict', 'dictSize', 'dict_size') ?? XZ_PRESET_DICT[preset]!;
  return 12 * dict + 2 * MiB + (dict + 1 * MiB);
}
const msPerMB = (p: Readonly<Record<string, unknown>>) => ((numberParam(p, 'preset') ?? 6) >= 4 ? 900 : 300);

const liblzma: Backend = { name: 'liblzma', version: () => addon().lzmaVersion };
const ALL_ARCHES: readonly KArch[] = ['x86', 'arm', 'arm64', 'riscv', 'powerpc', 's390', 'mips'];

/** LZMA options as xz's --lzma1=/--lzma2= take them (the kernel build's scripts/xz_wrap.sh and cmd_lzma). */
function lzmaOptions(p: LooseParams): string {
  return [
    `preset=${String(p['preset'])}${p['extreme'] ? 'e' : ''}`,
    `dict=${String(p['dict_bytes'])}`,
    `lc=${String(p['lc'])}`,
    `lp=${String(p['lp'])}`,
    `pb=${String(p['pb'])}`,
  ].join(',');
}

export const lzma = defineCodec({
  name: 'lzma',
  levels: [0, 9],
  // the .lzma header the kernel's lzma -9 writes: properties 0x5d (lc=3 lp=0 pb=2), then a dictionary size whose two low bytes are 0
  magic: [0x5d, 0x00, 0x00],
  backends: [liblzma],
  parse: (ts) => parseLzma('lzma', ts),
  encode: (s, input) => encode('lzma', s, input),
  decodeInto: (_s, stream, out) => call(() => addon().lzmaDecompressInto(stream, out, FORMAT.lzma)),
  decodeStream: decodeStream('lzma'),
  // powerpc's boot wrapper runs xz --format=lzma -f -6; Makefile.lib's cmd_lzma is lzma -9
  kernel: {
    arches: ALL_ARCHES,
    spec: (t) => (t.arch === 'powerpc' ? 'lzma:6' : `lzma:9${t.sizeAppend}`),
    decompressor: 'lib/decompress_unlzma.c',
    tool: {
      tool: 'xz',
      toolPackage: 'xz-utils',
      library: 'liblzma',
      libPackage: 'liblzma5',
      args: (p) => ['--format=lzma', `--lzma1=${lzmaOptions(p)}`, '-c'],
    },
  },
  stateBytes,
  msPerMB,
});

/**
 * scripts/xz_wrap.sh for that version and arch, as a setting spec.
 * 6.1: xz --check=crc32 $BCJ --lzma2=,dict=32MiB with BCJ x86/arm.
 * 6.12 on: --lzma2=$OPTS,dict=128MiB, OPTS by instruction alignment
 * (2: lp=1; 4: lp=2,lc=2), BCJ armthumb for Thumb-2, arm64 (xz >= 5.4),
 * riscv (xz >= 5.6, so none with Debian 12's 5.4.1); s390 2-byte aligned,
 * mips 4 (2 for microMIPS, which Debian does not build), both without BCJ.
 * powerpc does not use xz_wrap.sh: arch/powerpc/boot/wrapper runs
 * `xz --check=crc32 -f -6`, in every version.
 */
function xzSpec({ arch, version, target, sizeAppend }: ProfileTarget): string {
  if (arch === 'powerpc') return 'xz:6,check=crc32';
  if (!atLeast(version, 6, 12)) {
    const bcj = arch === 'x86' ? 'x86' : arch === 'arm' ? 'arm' : '';
    return `xz:${['6', 'dict=32MiB', ...(bcj ? [`bcj=${bcj}`] : []), 'check=crc32'].join(',')}${sizeAppend}`;
  }
  let align: 1 | 2 | 4;
  let bcj = '';
  switch (arch) {
    case 'x86':
      align = 1;
      bcj = 'x86';
      break;
    case 'arm':
      if (target.thumb2) {
        align = 2;
        bcj = 'armthumb';
      } else {
        align = 4;
        bcj = 'arm';
      }
      break;
    case 'arm64':
      align = 4;
      bcj = 'arm64';
      break; // xz >= 5.4.0: Debian 12 has 5.4.1
    case 'riscv':
      align = 2;
      break; // RISCV_ISA_C (default y); the RISC-V filter needs xz >= 5.6.0
    case 's390':
      align = 2;
      break;
    case 'mips':
      align = 4;
      break;
  }
  const opts = align === 2 ? ['lp=1'] : align === 4 ? ['lp=2', 'lc=2'] : [];
  return `xz:${['6', ...opts, 'dict=128MiB', ...(bcj ? [`bcj=${bcj}`] : []), 'check=crc32'].join(',')}${sizeAppend}`;
}

export const xz = defineCodec({
  name: 'xz',
  levels: [0, 9],
  magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
  backends: [liblzma],
  parse: (ts) => parseLzma('xz', ts),
  encode: (s, input) => encode('xz', s, input),
  decodeInto: (_s, stream, out) => call(() => addon().lzmaDecompressInto(stream, out, FORMAT.xz)),
  decodeStream: decodeStream('xz'),
  kernel: {
    arches: ALL_ARCHES,
    spec: xzSpec,
    decompressor: 'lib/decompress_unxz.c',
    tool: {
      tool: 'xz',
      toolPackage: 'xz-utils',
      library: 'liblzma',
      libPackage: 'liblzma5',
      args: (p) => [
        `--check=${String(p.check)}`,
        '--threads=1',
        ...(p.bcj && p.bcj !== 'none' ? [`--${String(p.bcj)}`] : []),
        `--lzma2=${lzmaOptions(p)}`,
        '-c',
      ],
    },
  },
  stateBytes,
  msPerMB,
});
