// Kernel profiles: the setting that reproduces the kernel build's own
// compression command for a kernel version and arch (scripts/Makefile.lib,
// scripts/xz_wrap.sh, arch/*/boot/Makefile; see ../shared/REFERENCE.md §1).
// Each codec row carries its command (its `kernel.spec`) and the arches
// that have it; this module resolves the arch and version and asks the row.
//
// 6.1 (Makefile.lib):  gzip -n -f -9 | bzip2 -9 | lzma -9 | lzop -9 |
//   lz4 -l -9 - - | zstd -22 --ultra (x86) / zstd -19 (arm64, riscv Image.zst),
//   each "_with_size" variant followed by size_append (x86 and arm self-
//   decompressing images); xz_wrap.sh: see the xz row.
// arm64/riscv build Image.* by the plain commands (no size_append): the
// bootloader decompresses them.
// s390 (arch/s390/boot/Makefile) and MIPS (arch/mips/boot/compressed/
// Makefile, 5.19 on) run gzip and the *_with_size commands: bzip2, lz4, lzma,
// lzo, xzkern, zstd22, each followed by size_append.
// powerpc (arch/powerpc/boot/wrapper, run by arch/powerpc/boot/Makefile)
// compresses vmlinux.strip itself: gzip -n -f -9, xz --check=crc32 -f -6,
// xz --format=lzma -f -6, lzop -f -9, no size appended.
import { CodecError } from './errors.js';
import { karch, kernelMajorMinor, type KArch, type KernelTarget } from './kernel.js';
import { parseSetting } from './settings.js';
import type { CodecSetting } from './spec.js';
import { ALGORITHMS, codecRow, type Algorithm } from './table.js';

export { kernelMajorMinor, type KernelTarget } from './kernel.js';

/** HAVE_KERNEL_* of an arch family, in table order. */
function archAlgorithms(a: KArch): Algorithm[] {
  return ALGORITHMS.filter((name) => codecRow(name)!.kernel?.arches.includes(a));
}

export function kernelAlgorithms(arch: string): Algorithm[] {
  return archAlgorithms(karch(arch));
}

export function kernelProfile(algorithm: Algorithm, target: KernelTarget): CodecSetting {
  const a = karch(target.arch);
  const kernel = codecRow(algorithm)?.kernel;
  if (!kernel?.arches.includes(a)) {
    throw new CodecError(
      `${target.arch} kernels cannot be compressed with ${algorithm} (no HAVE_KERNEL_${algorithm.toUpperCase()}); allowed: ${archAlgorithms(a).join(', ')}`,
    );
  }
  const version = kernelMajorMinor(target.kernelVersion);
  // Self-decompressing images (x86 bzImage, arm zImage) append the size;
  // arm64/riscv Image.* are plain files.
  const sizeAppend = a === 'x86' || a === 'arm' || a === 's390' || a === 'mips' ? ',size_append' : '';
  return parseSetting(kernel.spec({ arch: a, version, target, sizeAppend }));
}
