// arm64 Image header (Documentation/arch/arm64/booting.rst): text_offset at
// 8, image_size at 16, flags at 24, "ARM\x64" at 56. EFI-stub images are also
// PE files ("MZ" in code0) and may carry a signature at the end.
import { ByteView, startsWith } from './bytes.js';
import { fail } from './errors.js';

export interface Arm64Header {
  text_offset: bigint;
  /** Bytes of memory the kernel needs from its load address, bss included. */
  image_size: number;
  flags: bigint;
  bigEndian: boolean;
  /** 4K, 16K or 64K, or null when the header leaves it unspecified. */
  page_size: number | null;
  efi: boolean;
}

const ARM64_MAGIC = [0x41, 0x52, 0x4d, 0x64]; // "ARM\x64"
const RISCV_MAGIC2 = [0x52, 0x53, 0x43, 0x05]; // "RSC\x05"

export function isArm64Image(bytes: Uint8Array): boolean {
  return startsWith(bytes, ARM64_MAGIC, 56);
}

export function isRiscvImage(bytes: Uint8Array): boolean {
  return startsWith(bytes, RISCV_MAGIC2, 56);
}

export function parseArm64Header(bytes: Uint8Array): Arm64Header {
  if (!isArm64Image(bytes)) fail('no arm64 Image magic "ARM\\x64" at offset 56');
  const v = new ByteView(bytes, true); // the header is little endian whatever the kernel's endianness
  const flags = v.u64(24, 'arm64 flags');
  const image_size = v.u64Number(16, 'arm64 image_size');
  const pages = [null, 4096, 16384, 65536] as const;
  const h: Arm64Header = {
    text_offset: v.u64(8, 'arm64 text_offset'),
    image_size,
    flags,
    bigEndian: (flags & 1n) === 1n,
    page_size: pages[Number((flags >> 1n) & 3n)]!,
    efi: startsWith(bytes, [0x4d, 0x5a]),
  };
  if (image_size !== 0 && image_size > 4 * 1024 * 1024 * 1024) fail(`arm64 image_size ${image_size} is absurd`);
  return h;
}

export interface RiscvHeader {
  text_offset: bigint;
  image_size: number;
  flags: bigint;
  version: string;
}

export function parseRiscvHeader(bytes: Uint8Array): RiscvHeader {
  if (!isRiscvImage(bytes)) fail('no RISC-V Image magic "RSC\\x05" at offset 56');
  const v = new ByteView(bytes, true);
  const version = v.u32(40, 'riscv header version');
  return {
    text_offset: v.u64(8, 'riscv text_offset'),
    image_size: v.u64Number(16, 'riscv image_size'),
    flags: v.u64(24, 'riscv flags'),
    version: `${version >> 16}.${version & 0xffff}`,
  };
}
