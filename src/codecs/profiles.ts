// Kernel profiles: the setting that reproduces the kernel build's own
// compression command for a kernel version and arch (scripts/Makefile.lib,
// scripts/xz_wrap.sh, arch/*/boot/Makefile; see ../shared/REFERENCE.md §1).
//
// 6.1 (Makefile.lib):  gzip -n -f -9 | bzip2 -9 | lzma -9 | lzop -9 |
//   lz4 -l -9 - - | zstd -22 --ultra (x86) / zstd -19 (arm64, riscv Image.zst),
//   each "_with_size" variant followed by size_append (x86 and arm self-
//   decompressing images); xz_wrap.sh: xz --check=crc32 $BCJ --lzma2=,dict=32MiB
//   with BCJ x86/arm/powerpc/sparc.
// 6.12 and later (xz_wrap.sh rewrite): xz --check=crc32 --threads=1 $BCJ
//   --lzma2=$OPTS,dict=128MiB, OPTS by instruction alignment (2: lp=1,
//   4: lp=2,lc=2), BCJ armthumb for Thumb-2, arm64 (xz >= 5.4), riscv
//   (xz >= 5.6, so none with Debian 12's 5.4.1), powerpc only big endian.
// arm64/riscv build Image.* by the plain commands (no size_append): the
// bootloader decompresses them.
import { findTool, parseSetting, type CodecSetting } from './settings.js';
import { ALGORITHMS, CodecError, type Algorithm } from './types.js';

export interface KernelTarget {
  arch: string;
  /** "6.1.0-56-amd64", "6.12.117", ...; absent = 6.1 (Debian 12). */
  kernelVersion?: string;
  thumb2?: boolean;
  bigEndian?: boolean;
}

type KArch = 'x86' | 'arm' | 'arm64' | 'riscv';

const ARCH_ALIASES: Record<string, KArch> = {
  x86: 'x86', x86_64: 'x86', amd64: 'x86', i386: 'x86', i486: 'x86', i586: 'x86', i686: 'x86', x64: 'x86',
  arm: 'arm', armhf: 'arm', armel: 'arm', armv7: 'arm', armv7l: 'arm', armv6l: 'arm', armv5tel: 'arm',
  arm64: 'arm64', aarch64: 'arm64',
  riscv: 'riscv', riscv64: 'riscv', riscv32: 'riscv',
};

/** HAVE_KERNEL_* per arch (arm64/riscv: the Image.* targets of arch/.../boot/Makefile). */
const ARCH_ALGORITHMS: Record<KArch, readonly Algorithm[]> = {
  x86: ALGORITHMS,
  arm: ['gzip', 'lzma', 'xz', 'lzo', 'lz4'],
  arm64: ALGORITHMS,
  riscv: ALGORITHMS,
};

function karch(arch: string): KArch {
  const a = ARCH_ALIASES[arch.trim().toLowerCase()];
  if (!a) {
    throw new CodecError(
      `no kernel profile for arch "${arch}"; known: x86 (x86_64, amd64, i386), arm (armhf, armel), arm64 (aarch64), riscv (riscv64)`,
    );
  }
  return a;
}

export function kernelAlgorithms(arch: string): Algorithm[] {
  return [...ARCH_ALGORITHMS[karch(arch)]];
}

/** [major, minor] of a kernel release string; absent => 6.1. */
export function kernelMajorMinor(version: string | undefined): [number, number] {
  if (!version) return [6, 1];
  const m = /^(\d+)\.(\d+)/.exec(version.trim());
  if (!m) throw new CodecError(`kernel version "${version}": expected something like 6.1.0-56-amd64 or 6.12.117`);
  return [Number(m[1]), Number(m[2])];
}

const atLeast = (v: [number, number], major: number, minor: number) => v[0] > major || (v[0] === major && v[1] >= minor);

/** xz_wrap.sh's options for that version and arch, as a setting string. */
function xzSpec(a: KArch, v: [number, number], t: KernelTarget): string {
  if (!atLeast(v, 6, 12)) {
    const bcj = a === 'x86' ? 'x86' : a === 'arm' ? 'arm' : '';
    return ['6', 'dict=32MiB', ...(bcj ? [`bcj=${bcj}`] : []), 'check=crc32'].join(',');
  }
  let align: 1 | 2 | 4;
  let bcj = '';
  switch (a) {
    case 'x86': align = 1; bcj = 'x86'; break;
    case 'arm': if (t.thumb2) { align = 2; bcj = 'armthumb'; } else { align = 4; bcj = 'arm'; } break;
    case 'arm64': align = 4; bcj = 'arm64'; break; // xz >= 5.4.0: Debian 12 has 5.4.1
    case 'riscv': align = 2; break; // RISCV_ISA_C (default y); the RISC-V filter needs xz >= 5.6.0
  }
  const opts = align === 2 ? ['lp=1'] : align === 4 ? ['lp=2', 'lc=2'] : [];
  return ['6', ...opts, 'dict=128MiB', ...(bcj ? [`bcj=${bcj}`] : []), 'check=crc32'].join(',');
}

export function kernelProfile(algorithm: Algorithm, target: KernelTarget): CodecSetting {
  const a = karch(target.arch);
  const allowed = ARCH_ALGORITHMS[a];
  if (!allowed.includes(algorithm)) {
    throw new CodecError(`${target.arch} kernels cannot be compressed with ${algorithm} (no HAVE_KERNEL_${algorithm.toUpperCase()}); allowed: ${allowed.join(', ')}`);
  }
  const v = kernelMajorMinor(target.kernelVersion);
  // Self-decompressing images (x86 bzImage, arm zImage) append the size;
  // arm64/riscv Image.* are plain files.
  const withSize = a === 'x86' || a === 'arm';
  const sz = withSize ? ',size_append' : '';
  let spec: string;
  switch (algorithm) {
    case 'gzip': spec = `gzip:9,backend=${findTool('gzip') ? 'gzip-cli' : 'zlib'}`; break;
    case 'bzip2': spec = `bzip2:9${sz}`; break;
    case 'lzma': spec = `lzma:9${sz}`; break;
    case 'xz': spec = `xz:${xzSpec(a, v, target)}${sz}`; break;
    case 'lzo': spec = `lzo:9${sz}`; break;
    case 'lz4': spec = `lz4:9,frame=legacy${sz}`; break;
    case 'zstd': spec = a === 'x86' ? `zstd:22${sz}` : 'zstd:19'; break;
  }
  return parseSetting(spec);
}
