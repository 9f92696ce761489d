// What a kernel profile depends on: the kernel's arch family and its version.
// The per-algorithm commands live in each codec's row; profiles.ts picks one.
import { CodecError } from './errors.js';

export interface KernelTarget {
  arch: string;
  /** "6.1.0-56-amd64", "6.12.117", ...; absent = 6.1 (Debian 12). */
  kernelVersion?: string;
  thumb2?: boolean;
  bigEndian?: boolean;
}

/** The arch families whose boot Makefiles decide the compression commands. */
export type KArch = 'x86' | 'arm' | 'arm64' | 'riscv' | 'powerpc' | 's390' | 'mips';
export const KERNEL_ARCHES: readonly KArch[] = ['x86', 'arm', 'arm64', 'riscv', 'powerpc', 's390', 'mips'];

const ARCH_ALIASES: Record<string, KArch> = {
  x86: 'x86',
  x86_64: 'x86',
  amd64: 'x86',
  i386: 'x86',
  i486: 'x86',
  i586: 'x86',
  i686: 'x86',
  x64: 'x86',
  arm: 'arm',
  armhf: 'arm',
  armel: 'arm',
  armv7: 'arm',
  armv7l: 'arm',
  armv6l: 'arm',
  armv5tel: 'arm',
  arm64: 'arm64',
  aarch64: 'arm64',
  riscv: 'riscv',
  riscv64: 'riscv',
  riscv32: 'riscv',
  powerpc: 'powerpc',
  powerpc64: 'powerpc',
  powerpc64le: 'powerpc',
  ppc: 'powerpc',
  ppc64: 'powerpc',
  ppc64el: 'powerpc',
  ppc64le: 'powerpc',
  s390: 's390',
  s390x: 's390',
  mips: 'mips',
  mipsel: 'mips',
  mips64: 'mips',
  mips64el: 'mips',
};

export function karch(arch: string): KArch {
  const a = ARCH_ALIASES[arch.trim().toLowerCase()];
  if (!a) {
    throw new CodecError(
      `no kernel profile for arch "${arch}"; known: x86 (x86_64, amd64, i386), arm (armhf, armel), arm64 (aarch64), riscv (riscv64), powerpc (powerpc64, ppc64el), s390 (s390x), mips (mipsel, mips64el)`,
    );
  }
  return a;
}

/** [major, minor] of a kernel release string; absent => 6.1. */
export function kernelMajorMinor(version: string | undefined): [number, number] {
  if (!version) return [6, 1];
  const m = /^(\d+)\.(\d+)/.exec(version.trim());
  if (!m) throw new CodecError(`kernel version "${version}": expected something like 6.1.0-56-amd64 or 6.12.117`);
  return [Number(m[1]), Number(m[2])];
}

export const atLeast = (v: readonly [number, number], major: number, minor: number) => v[0] > major || (v[0] === major && v[1] >= minor);

/** What a codec row's kernel command is decided by. */
export interface ProfileTarget {
  arch: KArch;
  version: [number, number];
  target: KernelTarget;
  /**
   * ",size_append" for self-decompressing images (x86 bzImage, arm zImage,
   * s390 image, MIPS vmlinuz: their boot Makefiles run the *_with_size
   * commands), which append the 4-byte size; "" for arm64/riscv Image.*,
   * plain files, and powerpc, whose boot wrapper keeps the size in an ELF
   * section header.
   */
  sizeAppend: string;
}
