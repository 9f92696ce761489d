// The codec API the rest of kzbench calls: parse a setting, compress exactly
// as the kernel build would store it, decompress in-process without
// allocating (timing loops), decode one stream of unknown length (image
// reader), kernel profiles, backend versions.
//
// Backends: the kzcodec addon over Debian's system libraries (liblzma,
// liblz4, libzstd, libbz2, liblzo2, zlib) and, for gzip, the gzip tool
// itself (GNU gzip's deflate is not zlib's). See docs/decisions/0002-codec-backends.md.
import { spawnSync } from 'node:child_process';

import { addon, call } from './native.js';
import { BCJ_FILTERS, findTool, LZ4_BLOCK_IDS, LZMA_MFS, LZMA_MODES, parseSetting, XZ_CHECKS, type CodecSetting } from './settings.js';
import { CodecError, type Algorithm, type DecodeLimits, type StreamDecode } from './types.js';

export { ALGORITHMS, CodecError, isAlgorithm, type Algorithm, type DecodeLimits, type StreamDecode } from './types.js';
export { parseSetting, type CodecSetting, type ParamValue } from './settings.js';
export { kernelAlgorithms, kernelProfile, type KernelTarget } from './profiles.js';

const MiB = 1 << 20;

function num(p: CodecSetting['params'], k: string): number {
  const v = p[k];
  if (typeof v !== 'number') throw new CodecError(`setting ${k} is missing or not a number`);
  return v;
}
const flag = (p: CodecSetting['params'], k: string) => p[k] === true;

/** The setting as parsed from its key (settings may cross worker boundaries as plain objects). */
function normalize(setting: CodecSetting): CodecSetting {
  if (!setting || typeof setting.key !== 'string') throw new CodecError('not a codec setting (use parseSetting)');
  return setting;
}

function gzipCli(level: number, input: Uint8Array): Uint8Array {
  const gzip = findTool('gzip');
  if (!gzip) throw new CodecError('gzip: backend gzip-cli needs the gzip tool, which is not installed');
  // Exactly the kernel's `gzip -n -f -9` on a pipe (no name, mtime 0).
  const r = spawnSync(gzip, ['-n', '-f', `-${level}`], { input, maxBuffer: input.length + (input.length >> 4) + 65536 * 16 });
  if (r.error) throw new CodecError(`gzip: ${r.error.message}`);
  if (r.status !== 0) throw new CodecError(`gzip exited with ${r.status}: ${r.stderr.toString().trim()}`);
  return new Uint8Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.byteLength);
}

/** The compressed stream in its container format, without the kernel's appended size. */
function encodeStream(s: CodecSetting, input: Uint8Array): Uint8Array {
  const p = s.params;
  const a = addon();
  switch (s.algorithm) {
    case 'gzip':
      if (s.backend === 'gzip-cli') return gzipCli(num(p, 'level'), input);
      return call(() => a.zlibCompress(input, num(p, 'level'), 31, 8, 0));
    case 'bzip2':
      return call(() => a.bzip2Compress(input, num(p, 'level'), 30));
    case 'lzma':
    case 'xz': {
      const bcj = s.algorithm === 'xz' && p.bcj !== 'none' ? BCJ_FILTERS[String(p.bcj)] : 0;
      const check = s.algorithm === 'xz' ? XZ_CHECKS[String(p.check)] : 0;
      // Every LZMA2 field spelled out (resolved from liblzma's own preset table).
      return call(() =>
        a.lzmaCompress(
          input, s.algorithm === 'lzma' ? 1 : 0, num(p, 'preset'), flag(p, 'extreme'), num(p, 'dict_bytes'),
          num(p, 'lc'), num(p, 'lp'), num(p, 'pb'), LZMA_MODES[String(p.mode)], num(p, 'nice'), LZMA_MFS[String(p.mf)],
          num(p, 'depth'), bcj, check,
        ),
      );
    }
    case 'lz4':
      if (p.frame === 'legacy') return call(() => a.lz4CompressLegacy(input, num(p, 'level')));
      return call(() =>
        a.lz4CompressFrame(
          input, num(p, 'level'), LZ4_BLOCK_IDS[String(p.block)], flag(p, 'linked'), flag(p, 'checksum'),
          flag(p, 'block_checksum'), flag(p, 'content_size'), flag(p, 'favor_dec_speed'),
        ),
      );
    case 'zstd':
      return call(() => a.zstdCompress(input, num(p, 'level'), num(p, 'window_log'), flag(p, 'long'), num(p, 'workers'), flag(p, 'checksum'), flag(p, 'content_size')));
    case 'lzo': {
      const mtime = num(p, 'mtime');
      // lzop on a pipe: F_OS_UNIX | F_STDOUT | F_STDIN | F_ADLER32_D; LZO1X-999 blocks go through lzo1x_optimize.
      return call(() => a.lzopCompress(input, num(p, 'level'), mtime, 0, 0x0300000d, num(p, 'level') >= 7));
    }
  }
}

/** Full bytes as the kernel build would store them (stream + 4-byte LE size when the setting says size_append). */
export function compress(setting: CodecSetting, input: Uint8Array): Uint8Array {
  const s = normalize(setting);
  const stream = encodeStream(s, input);
  if (!flag(s.params, 'size_append')) return stream;
  const out = new Uint8Array(stream.length + 4);
  out.set(stream, 0);
  new DataView(out.buffer).setUint32(stream.length, input.length >>> 0, true);
  return out;
}

function decodeInto(s: CodecSetting, body: Uint8Array, out: Uint8Array): [number, number] {
  const a = addon();
  switch (s.algorithm) {
    case 'gzip': return call(() => a.zlibDecompressInto(body, out, 31));
    case 'bzip2': return call(() => a.bzip2DecompressInto(body, out));
    case 'lzma': return call(() => a.lzmaDecompressInto(body, out, 1));
    case 'xz': return call(() => a.lzmaDecompressInto(body, out, 0));
    case 'lz4': return call(() => a.lz4DecompressInto(body, out, s.params.frame === 'legacy'));
    case 'zstd': return call(() => a.zstdDecompressInto(body, out));
    case 'lzo': return call(() => a.lzopDecompressInto(body, out));
  }
}

/**
 * Decode `compressed` (as compress() returned it) into `out` without
 * allocating the output. Returns bytes written. CodecError on corrupt input,
 * output larger than `out`, bytes after the stream, or an appended size that
 * does not match.
 */
export function decompressInto(setting: CodecSetting, compressed: Uint8Array, out: Uint8Array): number {
  const s = normalize(setting);
  let body = compressed;
  let trailer: number | undefined;
  if (flag(s.params, 'size_append')) {
    if (compressed.length < 4) throw new CodecError(`${s.algorithm}: input too short for the appended size`);
    body = compressed.subarray(0, compressed.length - 4);
    trailer = new DataView(compressed.buffer, compressed.byteOffset + body.length, 4).getUint32(0, true);
  }
  const [written, consumed] = decodeInto(s, body, out);
  if (consumed !== body.length) throw new CodecError(`${s.algorithm}: ${body.length - consumed} unexpected bytes after the stream`);
  if (trailer !== undefined && trailer !== written >>> 0) {
    throw new CodecError(`${s.algorithm}: appended size ${trailer} does not match the ${written} decompressed bytes`);
  }
  return written;
}

export function decompress(setting: CodecSetting, compressed: Uint8Array, originalBytes: number): Uint8Array {
  if (!Number.isSafeInteger(originalBytes) || originalBytes < 0) throw new CodecError(`originalBytes ${originalBytes}: expected a byte count`);
  const out = new Uint8Array(originalBytes);
  const n = decompressInto(setting, compressed, out);
  if (n !== originalBytes) throw new CodecError(`${setting.algorithm}: decompressed ${n} bytes, expected ${originalBytes}`);
  return out;
}

/**
 * Decode ONE stream at input[0] in the kernel's container format (gzip
 * member, .bz2, .lzma alone, .xz, lzop file, lz4 legacy frame (or an LZ4F
 * frame), zstd frame). Trailing bytes are tolerated and not consumed. Never
 * allocates more than limits.maxOutput for the output; xz/lzma decoder
 * memory (the dictionary) is capped at maxOutput + 8 MiB.
 *
 * lz4's legacy frame has no end mark: the stream ends after a block shorter
 * than 8 MiB, at the end of input, at a new frame magic, or before a 4-byte
 * size that cannot start a valid block (as the lz4 tool decides).
 */
export function decodeStream(algorithm: Algorithm, input: Uint8Array, limits: DecodeLimits): StreamDecode {
  const max = limits?.maxOutput;
  if (typeof max !== 'number' || !(max >= 0) || !Number.isFinite(max)) throw new CodecError(`maxOutput ${max}: expected a byte count`);
  const maxOut = Math.min(Math.floor(max), 2 ** 46);
  const a = addon();
  let r: [Uint8Array, number];
  switch (algorithm) {
    case 'gzip':
      if (input.length < 18 || input[0] !== 0x1f || input[1] !== 0x8b || input[2] !== 0x08) throw new CodecError('gzip: not a gzip member (bad magic)');
      r = call(() => a.zlibDecodeStream(input, maxOut, 31));
      break;
    case 'bzip2': r = call(() => a.bzip2DecodeStream(input, maxOut)); break;
    case 'lzma': r = call(() => a.lzmaDecodeStream(input, maxOut, 1, Math.max(maxOut, MiB) + 8 * MiB)); break;
    case 'xz': r = call(() => a.lzmaDecodeStream(input, maxOut, 0, Math.max(maxOut, MiB) + 8 * MiB)); break;
    case 'lz4': {
      const frame = input.length >= 4 && input[0] === 0x04 && input[1] === 0x22 && input[2] === 0x4d && input[3] === 0x18;
      r = call(() => a.lz4DecodeStream(input, maxOut, !frame));
      break;
    }
    case 'zstd': r = call(() => a.zstdDecodeStream(input, maxOut)); break;
    case 'lzo': r = call(() => a.lzopDecodeStream(input, maxOut)); break;
    default: throw new CodecError(`unknown algorithm "${String(algorithm)}"`);
  }
  const [buf, consumed] = r;
  const output = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return { output, consumed };
}

let versions: Record<string, string> | undefined;

/** Every backend's library or tool version, for run.json. */
export function backendVersions(): Record<string, string> {
  if (versions) return { ...versions };
  const a = addon();
  const v: Record<string, string> = {
    zlib: a.zlibVersion,
    libbz2: a.bzip2Version.split(',')[0].trim(),
    liblzma: a.lzmaVersion,
    liblz4: a.lz4Version,
    libzstd: a.zstdVersion,
    liblzo2: a.lzoVersion,
  };
  const gzip = findTool('gzip');
  if (gzip) {
    const r = spawnSync(gzip, ['--version'], { encoding: 'utf8' });
    const first = (r.stdout ?? '').split('\n')[0].trim();
    v['gzip-cli'] = first ? `${first} (${gzip})` : `unknown (${gzip})`;
  } else {
    v['gzip-cli'] = 'not installed';
  }
  versions = v;
  return { ...v };
}

/** The setting's canonical key parsed back (for settings passed between threads as keys). */
export function settingFromKey(key: string): CodecSetting {
  return parseSetting(key);
}
