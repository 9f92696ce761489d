// zstd: a zstd frame from libzstd, driven like the zstd tool on a pipe.
import { defineCodec, levelOf } from './descriptor.js';
import { addon, call } from './native.js';
import { bool, flag, intIn, KiB, levelToken, looseNumber, MiB, num, numberParam, unknown, type CodecSetting } from './spec.js';

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export const zstd = defineCodec({
  name: 'zstd',
  levels: [1, 22],
  magic: [0x28, 0xb5, 0x2f, 0xfd],
  backends: [{ name: 'libzstd', version: () => addon().zstdVersion }],

  parse(ts): CodecSetting {
    const allowed =
      "a level 1-22 (or level=N; 20+ are --ultra), ultra, window_log=10-31 (alias wlog), long or long=N (window log N, default 27), workers=0|1 (1 = the zstd tool's default), no_checksum, content_size (pledge the input size, as `zstd FILE` does and a pipe does not: the frame records it and zstd sizes its tables to the input), size_append";
    let level = 3;
    let windowLog = 0;
    let long = false;
    let workers = 1;
    let checksum = true;
    let sizeAppend = false;
    let contentSize = false;
    for (const t of ts) {
      const v = t.value;
      const l = levelToken(t, 1, 22);
      if (l !== undefined) level = l;
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
  },

  encode(s, input) {
    const p = s.params;
    return call(() =>
      addon().zstdCompress(input, num(p, 'level'), num(p, 'window_log'), flag(p, 'long'), num(p, 'workers'), flag(p, 'checksum'), flag(p, 'content_size')),
    );
  },
  decodeInto: (_s, stream, out) => call(() => addon().zstdDecompressInto(stream, out)),
  decodeStream: (input, maxOutput) => call(() => addon().zstdDecodeStream(input, maxOutput)),

  // Makefile.lib: zstd -22 --ultra for x86's bzImage; zstd -19 for Image.zst.
  // zstd22(_with_size) on x86, s390 and MIPS boot Makefiles; Image.zst (arm64, riscv) is zstd -19.
  kernel: {
    arches: ['x86', 'arm64', 'riscv', 's390', 'mips'],
    spec: (t) => (t.arch === 'x86' || t.arch === 's390' || t.arch === 'mips' ? `zstd:22${t.sizeAppend}` : 'zstd:19'),
    decompressor: 'lib/decompress_unzstd.c',
    tool: {
      tool: 'zstd',
      toolPackage: 'zstd',
      library: 'libzstd',
      libPackage: 'libzstd1',
      args: (p) => [`-${levelOf(p)}`, ...(levelOf(p) > 19 ? ['--ultra'] : []), '-c'],
    },
  },

  // Window plus match tables; the strongest levels (btultra) keep a chain
  // table of 2x the window in 4-byte entries. zstd shrinks the window to the
  // source size, so the estimate does too.
  stateBytes(p, unitBytes) {
    const level = Math.trunc(looseNumber(p, 'level') ?? 3);
    const wlFromLevel = level <= 2 ? 20 : level <= 5 ? 21 : level <= 16 ? 22 : level <= 19 ? 23 : level === 20 ? 25 : level === 21 ? 26 : 27;
    const explicitWl = looseNumber(p, 'window_log', 'windowLog', 'wlog');
    // window_log 0 means "the level's default".
    const wl = explicitWl !== undefined && explicitWl > 0 ? Math.trunc(explicitWl) : wlFromLevel;
    const window = Math.max(1 * KiB, Math.min(2 ** wl, nextPow2(Math.max(1, unitBytes))));
    const long = p['long'] === true || p['long'] === 'true' || (typeof p['long'] === 'number' && p['long'] > 0);
    const factor = (level >= 13 ? 10 : 5) + (long ? 2 : 0);
    return factor * window + 4 * MiB;
  },
  msPerMB(p) {
    const level = numberParam(p, 'level') ?? 3;
    return level >= 17 ? 600 : level >= 10 ? 100 : 10;
  },
});
