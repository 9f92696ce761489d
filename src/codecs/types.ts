// The one interface every kernel image compressor sits behind.
// Streams are always in the container format the kernel's own decompressors
// read (gzip member, .bz2, .lzma "alone", .xz, lzop file, lz4 legacy frame,
// zstd frame); the kernel build's appended 4-byte size is a profile matter
// (see profiles.ts), not part of a codec's stream. The algorithms are the
// rows of the codec table (table.ts).

export { ALGORITHMS, isAlgorithm, type Algorithm } from './table.js';
export { CodecError } from './errors.js';

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
