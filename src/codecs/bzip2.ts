// bzip2: a .bz2 stream from libbz2, the bzip2 tool's own library.
import { defineCodec, levelOf } from './descriptor.js';
import { addon, call } from './native.js';
import { bool, levelToken, looseNumber, MiB, num, unknown, type CodecSetting } from './spec.js';

/** The bzip2 tool's work factor (its default). */
const WORK_FACTOR = 30;

export const bzip2 = defineCodec({
  name: 'bzip2',
  levels: [1, 9],
  magic: [0x42, 0x5a, 0x68],
  backends: [{ name: 'libbz2', version: () => addon().bzip2Version.split(',')[0].trim() }],

  parse(ts): CodecSetting {
    const allowed = 'a level 1-9 (block size in 100 kB; or level=N), size_append';
    let level = 9;
    let sizeAppend = false;
    for (const t of ts) {
      const l = levelToken(t, 1, 9);
      if (l !== undefined) level = l;
      else if (t.name === 'size_append') sizeAppend = bool('size_append', t.value);
      else unknown('bzip2', t, allowed);
    }
    const parts = [`level=${level}`];
    if (sizeAppend) parts.push('size_append');
    return { algorithm: 'bzip2', key: `bzip2:${parts.join(',')}`, params: { level, size_append: sizeAppend }, backend: 'libbz2' };
  },

  encode: (s, input) => call(() => addon().bzip2Compress(input, num(s.params, 'level'), WORK_FACTOR)),
  decodeInto: (_s, stream, out) => call(() => addon().bzip2DecompressInto(stream, out)),
  decodeStream: (input, maxOutput) => call(() => addon().bzip2DecodeStream(input, maxOutput)),

  kernel: {
    arches: ['x86', 'arm64', 'riscv', 's390', 'mips'],
    spec: (t) => `bzip2:9${t.sizeAppend}`,
    decompressor: 'lib/decompress_bunzip2.c',
    tool: { tool: 'bzip2', toolPackage: 'bzip2', library: 'libbz2', libPackage: 'libbz2-1.0', args: (p) => [`-${levelOf(p)}`, '-c'] },
  },

  // The bzip2 manual ("Memory management"): compress 400k + 8 x block size,
  // decompress 100k + 4 x block size; block size = level x 100 kB.
  stateBytes(p) {
    const level = Math.min(9, Math.max(1, Math.trunc(looseNumber(p, 'level') ?? 9)));
    const block = level * 100_000;
    return 400_000 + 8 * block + 100_000 + 4 * block + 1 * MiB;
  },
  msPerMB: () => 300,
});
