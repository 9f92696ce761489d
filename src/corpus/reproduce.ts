// Does a kernel profile reproduce a distribution kernel's shipped payload,
// and if not, why? The payload is decompressed, compressed again by the
// profile's setting with kzbench's own backend (the system's library) and
// with the release's own tool and library (libraries.ts), and each result is
// compared byte for byte with what the image stores.
import { basename } from 'node:path';
import { compress, type CodecSetting } from '../codecs/index.js';
import { kernelToolArgs, releaseTool, runReleaseTool, type ReleaseTool } from './libraries.js';

export interface Attempt {
  /** "system liblzma 5.4.1 (kzbench's backend)" or "debian-13 zstd 1.5.7+dfsg-1+deb13u1 with libzstd1 1.5.7+dfsg-1+deb13u1". */
  by: string;
  command: string;
  bytes: number;
  identical: boolean;
  /** First differing byte, or -1. */
  firstDifference: number;
}

export interface Reproduction {
  shippedBytes: number;
  setting: string;
  attempts: Attempt[];
  /** One sentence: reproduced by what, or why not. */
  verdict: string;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** One compressor to try: a label, the command it stands for, and the function. */
export interface Compressor {
  by: string;
  command: string;
  /** Whether this is the release's own library (else kzbench's/the system's). */
  release: boolean;
  run: (input: Uint8Array) => Uint8Array;
}

/** Compare each compressor's output with SHIPPED (the stream, without an appended size) and say what the result means. */
export function reproduce(kernel: Uint8Array, shipped: Uint8Array, setting: CodecSetting, compressors: Compressor[]): Reproduction {
  const attempts: Attempt[] = [];
  for (const c of compressors) {
    const out = c.run(kernel);
    const diff = firstDifference(out, shipped);
    attempts.push({ by: c.by, command: c.command, bytes: out.length, identical: diff < 0, firstDifference: diff });
  }
  const hit = (release: boolean) => attempts.find((a, i) => a.identical && compressors[i]!.release === release);
  const own = hit(true);
  const sys = hit(false);
  const sysMiss = attempts.find((a, i) => !a.identical && !compressors[i]!.release);
  let verdict: string;
  if (own && sysMiss)
    verdict = `reproduced byte for byte by ${own.by}; ${sysMiss.by} makes ${sysMiss.bytes} bytes against the shipped ${shipped.length}: the difference is the library version, not the setting`;
  else if (own && sys) verdict = `reproduced byte for byte by ${own.by}, and by ${sys.by}`;
  else if (own || sys) verdict = `reproduced byte for byte by ${(own ?? sys)!.by}`;
  else if (compressors.some((c) => c.release))
    verdict = `not reproduced, not even by the release's own tool and library: another setting (the build's command differs from ${setting.key}) or another build of the tool`;
  else
    verdict = `not reproduced by the system's library; the release's own library was not tried (--libs release), so this may be another library version or another setting`;
  return { shippedBytes: shipped.length, setting: setting.key, attempts, verdict };
}

/** kzbench's own backend (the system's library) as a compressor. */
export function systemCompressor(setting: CodecSetting, backendVersion: string): Compressor {
  // The setting without size_append: the comparison is of the stream alone.
  const plain = { ...setting, params: { ...setting.params, size_append: false } };
  return {
    by: `system ${setting.backend} ${backendVersion} (kzbench's backend)`,
    command: setting.key,
    release: false,
    run: (input) => compress(plain, input),
  };
}

/** A release's tool and library as a compressor, run with the kernel build's arguments. */
export function releaseCompressor(setting: CodecSetting, release: string, arch?: string, log?: (s: string) => void): Compressor & { tool: ReleaseTool } {
  const tool = releaseTool(release, setting.algorithm, arch, log);
  const args = kernelToolArgs(setting);
  return {
    by: `${release} ${tool.tool.package} ${tool.tool.version} with ${tool.library.package} ${tool.library.version}`,
    command: `${basename(tool.path)} ${args.join(' ')}`,
    release: true,
    tool,
    run: (input) => runReleaseTool(tool, args, input),
  };
}
