// Finding and proving a compressed kernel payload. Magic bytes alone give
// many false hits (lzma's `5d 00 00` is everywhere in code), so a candidate
// is only a payload once it decompresses completely and passes the caller's
// plausibility check (a trailing size that matches, an ELF or Image inside).
import { codecRows, decodeStream } from '../codecs/index.js';
import { CodecError, isAlgorithm, type Algorithm } from '../codecs/types.js';
import { findAll, startsWith } from './bytes.js';
import { fail } from './errors.js';

/** The magics of the codec table's formats (scripts/extract-vmlinux scans for the same). */
export const PAYLOAD_MAGICS: readonly { algorithm: Algorithm; magic: Uint8Array }[] = codecRows().flatMap((row) =>
  row.magic && isAlgorithm(row.name) ? [{ algorithm: row.name, magic: Uint8Array.from(row.magic) }] : [],
);

/** Upper bound on what one payload may decompress to: keeps memory bounded on hostile input. */
export const MAX_DECOMPRESSED = 1 << 30;

export interface Payload {
  algorithm: Algorithm;
  /** File offset of the first byte of the compressed stream. */
  offset: number;
  /** Bytes of the compressed stream itself. */
  compressedBytes: number;
  /** Stream plus the build's appended 4-byte size when present (what the image stores). */
  storedBytes: number;
  decompressedBytes: number;
  /** The appended little-endian size (gzip: its own ISIZE trailer) when it matches the decompressed length, else null. */
  sizeTrailer: number | null;
  /** The decompressed kernel. */
  data: Uint8Array;
}

export function algorithmAt(bytes: Uint8Array, offset: number): Algorithm | undefined {
  return PAYLOAD_MAGICS.find((m) => startsWith(bytes, m.magic, offset))?.algorithm;
}

export function magicHits(bytes: Uint8Array, from = 0, to = bytes.length): { algorithm: Algorithm; offset: number }[] {
  const hits = PAYLOAD_MAGICS.flatMap((m) => findAll(bytes, m.magic, from, to).map((offset) => ({ algorithm: m.algorithm, offset })));
  return hits.sort((a, b) => a.offset - b.offset);
}

function trailerAfter(bytes: Uint8Array, algorithm: Algorithm, offset: number, consumed: number): number | null {
  // gzip carries ISIZE as the last four bytes of its own stream.
  const at = algorithm === 'gzip' ? offset + consumed - 4 : offset + consumed;
  if (at < 0 || at + 4 > bytes.length) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset + at, 4).readUInt32LE(0);
}

/**
 * Decode the stream at `offset`; throws ImageError when it is not a whole stream.
 * `end` bounds the stream (a header's payload_length), `expectTrailer` says
 * whether the build appended a size (everything but gzip does).
 */
export function decodePayloadAt(bytes: Uint8Array, offset: number, algorithm: Algorithm, end = bytes.length): Payload {
  let result;
  try {
    result = decodeStream(algorithm, bytes.subarray(offset, end), { maxOutput: MAX_DECOMPRESSED });
  } catch (e) {
    if (e instanceof CodecError) fail(`${algorithm} payload at offset ${offset} does not decompress: ${e.message}`);
    throw e;
  }
  let sizeTrailer = trailerAfter(bytes.subarray(0, end), algorithm, offset, result.consumed);
  if (sizeTrailer !== null && sizeTrailer !== result.output.length % 2 ** 32) sizeTrailer = null;
  const storedBytes = algorithm === 'gzip' || sizeTrailer === null ? result.consumed : result.consumed + 4;
  return {
    algorithm,
    offset,
    compressedBytes: result.consumed,
    storedBytes,
    decompressedBytes: result.output.length,
    sizeTrailer,
    data: result.output,
  };
}

/** Does the trailing size agree with what the stream decompressed to (mod 2^32, as the kernel stores it)? */
export function trailerMatches(p: Payload): boolean {
  return p.sizeTrailer !== null;
}

/** The 4 bytes after a stream, whatever they hold (for error messages). */
export function rawTrailer(bytes: Uint8Array, p: Pick<Payload, 'algorithm' | 'offset' | 'compressedBytes'>): number | null {
  return trailerAfter(bytes, p.algorithm, p.offset, p.compressedBytes);
}

/**
 * Scan for every compressor magic in [from, to) and return the first
 * candidate, in file order, that decompresses completely and that `accept`
 * believes; null when none does. `describe` collects why candidates failed.
 */
export function scanPayload(bytes: Uint8Array, accept: (p: Payload) => boolean, from = 0, to = bytes.length, rejected: string[] = []): Payload | null {
  for (const hit of magicHits(bytes, from, to)) {
    let p: Payload;
    try {
      p = decodePayloadAt(bytes, hit.offset, hit.algorithm, to);
    } catch (e) {
      rejected.push(`${hit.algorithm}@${hit.offset}: ${(e as Error).message}`);
      continue;
    }
    if (p.decompressedBytes > 0 && accept(p)) return p;
    rejected.push(`${hit.algorithm}@${hit.offset}: decompresses to ${p.decompressedBytes} bytes but is not plausible`);
  }
  return null;
}
