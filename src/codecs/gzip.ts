// gzip: a gzip member. Exact kernel bytes come from the gzip tool itself
// (GNU gzip's deflate is not zlib's); zlib is the in-process alternative
// and always decodes.
import { spawnSync } from 'node:child_process';

import { defineCodec, type Backend, levelOf } from './descriptor.js';
import { CodecError } from './errors.js';
import { addon, call } from './native.js';
import { bool, findTool, levelToken, MiB, num, numberParam, unknown, type CodecSetting } from './spec.js';

const zlib: Backend = { name: 'zlib', version: () => addon().zlibVersion };

let gzipBanner: string | undefined;
const gzipCli: Backend = {
  name: 'gzip-cli',
  version() {
    if (gzipBanner !== undefined) return gzipBanner;
    const gzip = findTool('gzip');
    if (!gzip) return (gzipBanner = 'not installed');
    const r = spawnSync(gzip, ['--version'], { encoding: 'utf8' });
    const first = (r.stdout ?? '').split('\n')[0].trim();
    return (gzipBanner = first ? `${first} (${gzip})` : `unknown (${gzip})`);
  },
};

function runGzip(level: number, input: Uint8Array): Uint8Array {
  const gzip = findTool('gzip');
  if (!gzip) throw new CodecError('gzip: backend gzip-cli needs the gzip tool, which is not installed');
  // Exactly the kernel's `gzip -n -f -9` on a pipe (no name, mtime 0).
  const r = spawnSync(gzip, ['-n', '-f', `-${level}`], { input, maxBuffer: input.length + (input.length >> 4) + 65536 * 16 });
  if (r.error) throw new CodecError(`gzip: ${r.error.message}`);
  if (r.status !== 0) throw new CodecError(`gzip exited with ${r.status}: ${r.stderr.toString().trim()}`);
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
}

/** zlib's windowBits for a gzip wrapper. */
const GZIP_WBITS = 31;

export const gzip = defineCodec({
  name: 'gzip',
  levels: [1, 9],
  magic: [0x1f, 0x8b, 0x08],
  backends: [zlib, gzipCli],

  parse(ts): CodecSetting {
    const allowed = 'a level 1-9 (or level=N), backend=gzip-cli|zlib, size_append';
    let level = 6;
    let backend: string | undefined;
    let sizeAppend = false;
    for (const t of ts) {
      const l = levelToken(t, 1, 9);
      if (l !== undefined) level = l;
      else if (t.name === 'backend' && t.value !== undefined) {
        if (t.value !== 'gzip-cli' && t.value !== 'zlib') throw new CodecError(`gzip: backend=${t.value}: allowed: gzip-cli, zlib`);
        backend = t.value;
      } else if (t.name === 'size_append') sizeAppend = bool('size_append', t.value);
      else unknown('gzip', t, allowed);
    }
    if (backend === undefined) backend = findTool('gzip') ? 'gzip-cli' : 'zlib';
    if (backend === 'gzip-cli' && !findTool('gzip'))
      throw new CodecError('gzip: backend=gzip-cli needs the gzip tool, which is not installed; use backend=zlib');
    const parts = [`level=${level}`, `backend=${backend}`];
    if (sizeAppend) parts.push('size_append');
    return { algorithm: 'gzip', key: `gzip:${parts.join(',')}`, params: { level, size_append: sizeAppend }, backend };
  },

  encode(s, input) {
    const level = num(s.params, 'level');
    if (s.backend === 'gzip-cli') return runGzip(level, input);
    return call(() => addon().zlibCompress(input, level, GZIP_WBITS, 8, 0));
  },
  decodeInto: (_s, stream, out) => call(() => addon().zlibDecompressInto(stream, out, GZIP_WBITS)),
  decodeStream(input, maxOutput) {
    if (input.length < 18 || input[0] !== 0x1f || input[1] !== 0x8b || input[2] !== 0x08) throw new CodecError('gzip: not a gzip member (bad magic)');
    return call(() => addon().zlibDecodeStream(input, maxOutput, GZIP_WBITS));
  },

  kernel: {
    arches: ['x86', 'arm', 'arm64', 'riscv', 'powerpc', 's390', 'mips'],
    // gzip's own trailer holds the size: the build never appends one.
    spec: () => `gzip:9,backend=${findTool('gzip') ? 'gzip-cli' : 'zlib'}`,
    decompressor: 'lib/decompress_inflate.c',
    // gzip does not link zlib: its deflate is its own
    tool: { tool: 'gzip', toolPackage: 'gzip', library: 'zlib', libPackage: 'zlib1g', args: (p) => ['-n', '-f', `-${levelOf(p)}`, '-c'] },
  },

  // deflate's state is well under a few MiB.
  stateBytes: () => 2 * MiB,
  msPerMB: (p) => ((numberParam(p, 'level') ?? 6) >= 6 ? 250 : 50),
});
