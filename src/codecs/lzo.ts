// lzo: an lzop file (lzop 1.04 on a pipe) with LZO1X blocks from liblzo2.
import { defineCodec, levelOf } from './descriptor.js';
import { CodecError } from './errors.js';
import { addon, call } from './native.js';
import { bool, intIn, levelToken, MiB, num, numberParam, unknown, type CodecSetting } from './spec.js';

const LZO_METHODS: Record<string, number> = { 'lzo1x-1-15': 1, 'lzo1x-1': 3, 'lzo1x-999': 9 };

/** lzop's method for a level: 1 = LZO1X-1(15), 2-6 = LZO1X-1, 7-9 = LZO1X-999. */
export function lzoMethod(level: number): string {
  return level === 1 ? 'lzo1x-1-15' : level <= 6 ? 'lzo1x-1' : 'lzo1x-999';
}

/** lzop on a pipe: F_OS_UNIX | F_STDOUT | F_STDIN | F_ADLER32_D. */
const LZOP_PIPE_FLAGS = 0x0300000d;

export const lzo = defineCodec({
  name: 'lzo',
  levels: [1, 9],
  magic: [0x89, 0x4c, 0x5a],
  backends: [{ name: 'liblzo2', version: () => addon().lzoVersion }],

  parse(ts): CodecSetting {
    const allowed =
      'an lzop level 1-9 (1 = LZO1X-1(15), 2-6 = LZO1X-1, 7-9 = LZO1X-999 at that level; or level=N), lzo1x-1, lzo1x-1-15, lzo1x-999, method=NAME (must agree with the level), mtime=N (header time, default 0), size_append';
    let level = 3;
    let method: string | undefined;
    let mtime = 0;
    let sizeAppend = false;
    for (const t of ts) {
      const v = t.value;
      const l = levelToken(t, 1, 9);
      if (l !== undefined) level = l;
      else if (v === undefined && t.name in LZO_METHODS) method = t.name;
      else if (t.name === 'method' && v !== undefined) {
        if (!(v in LZO_METHODS)) throw new CodecError(`lzo: method=${v}: allowed: ${Object.keys(LZO_METHODS).join(', ')}`);
        method = v;
      } else if (t.name === 'mtime' && v !== undefined) mtime = intIn('mtime', v, 0, 2 ** 32 - 1);
      else if (t.name === 'size_append') sizeAppend = bool('size_append', v);
      else unknown('lzo', t, allowed);
    }
    if (method !== undefined && lzoMethod(level) !== method) {
      const explicitLevel = ts.some((t) => (t.value === undefined && /^\d+$/.test(t.name)) || t.name === 'level');
      if (explicitLevel)
        throw new CodecError(`lzo: level ${level} uses ${lzoMethod(level)}, not ${method} (lzop: 1 = lzo1x-1-15, 2-6 = lzo1x-1, 7-9 = lzo1x-999)`);
      level = LZO_METHODS[method];
    }
    const m = lzoMethod(level);
    const parts = [`level=${level}`, `method=${m}`];
    if (mtime) parts.push(`mtime=${mtime}`);
    if (sizeAppend) parts.push('size_append');
    return { algorithm: 'lzo', key: `lzo:${parts.join(',')}`, params: { level, method: m, mtime, size_append: sizeAppend }, backend: 'liblzo2' };
  },

  encode(s, input) {
    const level = num(s.params, 'level');
    const mtime = num(s.params, 'mtime');
    // LZO1X-999 blocks go through lzo1x_optimize, as lzop does.
    return call(() => addon().lzopCompress(input, level, mtime, 0, LZOP_PIPE_FLAGS, level >= 7));
  },
  decodeInto: (_s, stream, out) => call(() => addon().lzopDecompressInto(stream, out)),
  decodeStream: (input, maxOutput) => call(() => addon().lzopDecodeStream(input, maxOutput)),

  // powerpc's boot wrapper: lzop -f -9
  kernel: {
    arches: ['x86', 'arm', 'arm64', 'riscv', 'powerpc', 's390', 'mips'],
    spec: (t) => `lzo:9${t.sizeAppend}`,
    decompressor: 'lib/decompress_unlzo.c',
    tool: { tool: 'lzop', toolPackage: 'lzop', library: 'liblzo2', libPackage: 'liblzo2-2', args: (p) => [`-${levelOf(p)}`, '-c'] },
  },

  // LZO's work memory is well under a few MiB.
  stateBytes: () => 2 * MiB,
  msPerMB: (p) => ((numberParam(p, 'level') ?? 3) >= 7 ? 700 : 5),
});
