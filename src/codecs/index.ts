// The codec API the rest of kzbench calls: parse a setting, compress exactly
// as the kernel build would store it, decompress in-process without
// allocating (timing loops), decode one stream of unknown length (image
// reader), kernel profiles, backend versions. What is particular to an
// algorithm is its row in the codec table (table.ts); this module does what
// is common to all: the kernel's appended size, trailing-byte and length
// checks, limits.
//
// Backends: the kzcodec addon over Debian's system libraries (liblzma,
// liblz4, libzstd, libbz2, liblzo2, zlib) and, for gzip, the gzip tool
// itself (GNU gzip's deflate is not zlib's). See docs/decisions/0002-codec-backends.md.
import type { CodecDescriptor } from './descriptor.js';
import { CodecError } from './errors.js';
import { parseSetting } from './settings.js';
import { flag, type CodecSetting } from './spec.js';
import { backends, codecRow } from './table.js';
import type { DecodeLimits, StreamDecode } from './types.js';

export { ALGORITHMS, CodecError, isAlgorithm, type Algorithm, type DecodeLimits, type StreamDecode } from './types.js';
export { parseSetting, type CodecSetting, type ParamValue } from './settings.js';
export { kernelAlgorithms, kernelProfile, type KernelTarget } from './profiles.js';
export { codecRow, codecRows, registerCodec, LEVEL_RANGES } from './table.js';
export type { Backend, CodecDescriptor } from './descriptor.js';

/** The setting and its row (settings may cross worker boundaries as plain objects). */
function rowOf(setting: CodecSetting): [CodecSetting, CodecDescriptor] {
  if (!setting || typeof setting.key !== 'string') throw new CodecError('not a codec setting (use parseSetting)');
  const row = codecRow(setting.algorithm);
  if (!row) throw new CodecError(`unknown algorithm "${String(setting.algorithm)}"`);
  return [setting, row];
}

/** Full bytes as the kernel build would store them (stream + 4-byte LE size when the setting says size_append). */
export function compress(setting: CodecSetting, input: Uint8Array): Uint8Array {
  const [s, row] = rowOf(setting);
  const stream = row.encode(s, input);
  if (!flag(s.params, 'size_append')) return stream;
  const out = new Uint8Array(stream.length + 4);
  out.set(stream, 0);
  new DataView(out.buffer).setUint32(stream.length, input.length >>> 0, true);
  return out;
}

/**
 * Decode `compressed` (as compress() returned it) into `out` without
 * allocating the output. Returns bytes written. CodecError on corrupt input,
 * output larger than `out`, bytes after the stream, or an appended size that
 * does not match.
 */
export function decompressInto(setting: CodecSetting, compressed: Uint8Array, out: Uint8Array): number {
  const [s, row] = rowOf(setting);
  let body = compressed;
  let trailer: number | undefined;
  if (flag(s.params, 'size_append')) {
    if (compressed.length < 4) throw new CodecError(`${s.algorithm}: input too short for the appended size`);
    body = compressed.subarray(0, compressed.length - 4);
    trailer = new DataView(compressed.buffer, compressed.byteOffset + body.length, 4).getUint32(0, true);
  }
  const [written, consumed] = row.decodeInto(s, body, out);
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
export function decodeStream(algorithm: string, input: Uint8Array, limits: DecodeLimits): StreamDecode {
  const max = limits?.maxOutput;
  if (typeof max !== 'number' || !(max >= 0) || !Number.isFinite(max)) throw new CodecError(`maxOutput ${max}: expected a byte count`);
  const maxOut = Math.min(Math.floor(max), 2 ** 46);
  const row = codecRow(algorithm);
  if (!row) throw new CodecError(`unknown algorithm "${String(algorithm)}"`);
  const [buf, consumed] = row.decodeStream(input, maxOut);
  const output = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return { output, consumed };
}

/** Every backend's library or tool version, for run.json. */
export function backendVersions(): Record<string, string> {
  return Object.fromEntries(backends().map((b) => [b.name, b.version()]));
}

/** The setting's canonical key parsed back (for settings passed between threads as keys). */
export function settingFromKey(key: string): CodecSetting {
  return parseSetting(key);
}
