// Loads the kzcodec addon (binding.gyp, native/*.cc): Debian's system
// compression libraries behind a small context-aware N-API module, so it
// loads in every worker thread.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { CodecError } from './errors.js';
import { projectRoot } from '../project.js';

/** [bytes written or output buffer, input bytes consumed] */
type IntoResult = [number, number];
type StreamResult = [Uint8Array, number];

export interface KzCodecAddon {
  zlibVersion: string;
  zlibCompress(input: Uint8Array, level: number, windowBits: number, memLevel: number, strategy: number): Uint8Array;
  zlibDecompressInto(input: Uint8Array, out: Uint8Array, windowBits: number): IntoResult;
  zlibDecodeStream(input: Uint8Array, maxOutput: number, windowBits: number): StreamResult;

  bzip2Version: string;
  bzip2Compress(input: Uint8Array, blockSize100k: number, workFactor: number): Uint8Array;
  bzip2DecompressInto(input: Uint8Array, out: Uint8Array): IntoResult;
  bzip2DecodeStream(input: Uint8Array, maxOutput: number): StreamResult;

  lzmaVersion: string;
  lzmaCompress(
    input: Uint8Array,
    format: 0 | 1,
    preset: number,
    extreme: boolean,
    dict: number,
    lc: number,
    lp: number,
    pb: number,
    mode: number,
    nice: number,
    mf: number,
    depth: number,
    bcjId: number,
    check: number,
  ): Uint8Array;
  lzmaDecompressInto(input: Uint8Array, out: Uint8Array, format: 0 | 1): IntoResult;
  lzmaDecodeStream(input: Uint8Array, maxOutput: number, format: 0 | 1, memlimit: number): StreamResult;
  lzmaFilterSupported(id: number): boolean;
  /** liblzma's own preset table: [dict, lc, lp, pb, mode, nice, mf, depth]. */
  lzmaPresetOptions(preset: number, extreme: boolean): [number, number, number, number, number, number, number, number];

  lz4Version: string;
  lz4CompressLegacy(input: Uint8Array, level: number): Uint8Array;
  lz4CompressFrame(
    input: Uint8Array,
    level: number,
    blockSizeId: number,
    linked: boolean,
    contentChecksum: boolean,
    blockChecksum: boolean,
    contentSize: boolean,
    favorDecSpeed: boolean,
  ): Uint8Array;
  lz4DecompressInto(input: Uint8Array, out: Uint8Array, legacy: boolean): IntoResult;
  lz4DecodeStream(input: Uint8Array, maxOutput: number, legacy: boolean): StreamResult;

  zstdVersion: string;
  zstdMaxLevel: number;
  zstdCompress(input: Uint8Array, level: number, windowLog: number, long: boolean, workers: number, checksum: boolean, knownSize: boolean): Uint8Array;
  zstdDecompressInto(input: Uint8Array, out: Uint8Array): IntoResult;
  zstdDecodeStream(input: Uint8Array, maxOutput: number): StreamResult;

  lzoVersion: string;
  lzopCompress(input: Uint8Array, level: number, mtimeLow: number, mtimeHigh: number, flags: number, optimize: boolean): Uint8Array;
  lzopDecompressInto(input: Uint8Array, out: Uint8Array): IntoResult;
  lzopDecodeStream(input: Uint8Array, maxOutput: number): StreamResult;

  /**
   * Read the calling thread's clocks into `out`: [CLOCK_MONOTONIC ns,
   * CLOCK_THREAD_CPUTIME_ID ns, getrusage(RUSAGE_THREAD).ru_nivcsw], -1 where
   * unavailable. Absent from addons built before it was added.
   */
  threadClock?(out: BigInt64Array): void;
}

const ADDON_REL = join('build', 'Release', 'kzcodec.node');

let cached: KzCodecAddon | undefined;

export function addon(): KzCodecAddon {
  if (cached) return cached;
  const candidates: string[] = [];
  if (process.env.KZBENCH_ADDON) candidates.push(process.env.KZBENCH_ADDON);
  const root = projectRoot();
  if (root) candidates.push(join(root, ADDON_REL));
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      `kzcodec native addon not found (looked for ${candidates.join(', ') || ADDON_REL}); ` +
        'build it with `npm run install` (node-gyp rebuild; needs liblzma-dev liblz4-dev libzstd-dev libbz2-dev liblzo2-dev zlib1g-dev)',
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(path) as KzCodecAddon;
  return cached;
}

/** Run an addon call, turning its "kzcodec:" errors into CodecError. */
export function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('kzcodec: ')) throw new CodecError(e.message.slice('kzcodec: '.length));
    throw e;
  }
}

/**
 * The addon's thread clock (see KzCodecAddon.threadClock), or undefined when
 * the addon cannot be loaded or predates it: the caller then times wall
 * clock only and cannot tell a descheduled sample.
 */
export function threadClock(): ((out: BigInt64Array) => void) | undefined {
  try {
    const a = addon();
    return typeof a.threadClock === 'function' ? a.threadClock.bind(a) : undefined;
  } catch {
    return undefined;
  }
}
