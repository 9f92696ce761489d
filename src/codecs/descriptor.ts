// One row of the codec table: everything kzbench knows about one algorithm.
// Adding an algorithm is writing one of these (and its backend) and listing
// it in table.ts; nothing else switches on algorithm names.
import type { KArch, ProfileTarget } from './kernel.js';
import type { CodecSetting, LooseParams, Token } from './spec.js';

/** A library or tool that does the work, as run.json's backend_versions names it. */
export interface Backend {
  name: string;
  /** The version the bytes depend on (library version string, tool banner). */
  version(): string;
}

/** [bytes written, input bytes consumed] */
export type IntoResult = [number, number];
/** [output, input bytes consumed] */
export type StreamResult = [Uint8Array, number];

export interface CodecDescriptor<Name extends string = string> {
  /** Lower case; the setting spec's prefix ("xz:9e") and results.csv's algorithm. */
  name: Name;
  /** The levels its tool accepts, [lowest, highest]. */
  levels: readonly [number, number];
  /** The stream's first bytes, as a kernel image's payload starts (scripts/extract-vmlinux scans for the same); absent: not found in images. */
  magic?: readonly number[];
  /** Every backend a setting of this codec may name. */
  backends: readonly Backend[];

  /**
   * The setting for a spec's fields (after "name:"): validated, defaults
   * filled in, with a canonical key that parses back to the same setting.
   * CodecError, naming the field, for anything it does not accept.
   */
  parse(fields: readonly Token[]): CodecSetting;

  /** The compressed stream in its container format, without the kernel's appended size. */
  encode(setting: CodecSetting, input: Uint8Array): Uint8Array;
  /** Decode the whole of `stream` into `out` without allocating the output. */
  decodeInto(setting: CodecSetting, stream: Uint8Array, out: Uint8Array): IntoResult;
  /**
   * Decode ONE stream at input[0] whose length is unknown (an image's
   * payload); trailing bytes are not consumed; never more than maxOutput bytes.
   */
  decodeStream(input: Uint8Array, maxOutput: number): StreamResult;

  /** How the kernel build uses it; absent: the kernel has no such compressor. */
  kernel?: {
    /** The arches with HAVE_KERNEL_<NAME> (arm64/riscv: an Image.* target). */
    arches: readonly KArch[];
    /** The kernel build's own command for that arch and version, as a setting spec. */
    spec(target: ProfileTarget): string;
    /** The kernel's own decompressor of this format, in a kernel tree (the boot decompressor includes it). */
    decompressor: string;
    /**
     * The command-line tool the kernel build runs (scripts/Makefile.lib,
     * scripts/xz_wrap.sh), its Debian packages, and its arguments for a
     * setting of this row, reading stdin and writing stdout as the build does.
     */
    tool: { tool: string; toolPackage: string; library: string; libPackage: string; args(params: LooseParams): string[] };
  };

  /**
   * Encoder plus decoder state in bytes, rounded up (the pool's memory
   * budget; I/O buffers are counted by the pool). Params may come from a
   * stand-in codec module, so read them leniently.
   */
  stateBytes(params: LooseParams, unitBytes: number): number;
  /** Rough compression milliseconds per MB: only orders the pool's queue. */
  msPerMB(params: LooseParams): number;
}

/** A row, with its name kept as a literal type (so the table's names form a union). */
export function defineCodec<const Name extends string>(row: CodecDescriptor<Name>): CodecDescriptor<Name> {
  return row;
}

/** The level (or xz/lzma preset) of a setting's params, as a tool's -N option takes it. */
export function levelOf(p: LooseParams): number {
  return Number(p['level'] ?? p['preset']);
}
