// The one interface every kernel image compressor sits behind.
// Streams are always in the container format the kernel's own decompressors
// read (gzip member, .bz2, .lzma "alone", .xz, lzop file, lz4 legacy frame,
// zstd frame); the kernel build's appended 4-byte size is a profile matter
// (see profiles.ts), not part of a codec's stream.

import { KzError } from '../errors.js';
export const ALGORITHMS = ['gzip', 'bzip2', 'lzma', 'xz', 'lzo', 'lz4', 'zstd'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export function isAlgorithm(s: string): s is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(s);
}

/** A failure a user can read: bad setting, corrupt stream, output over a limit. */
export class CodecError extends KzError {
  override name = 'CodecError';
  override readonly aboutInput = true;
}

/** Result of decoding one stream that may be followed by other bytes. */
export interface StreamDecode {
  output: Uint8Array;
  /** Bytes of the input the stream occupied (its end is where trailing data starts). */
  consumed: number;
}

export interface DecodeLimits {
  /** Refuse (CodecError) rather than produce more than this many bytes. */
  maxOutput: number;
}
