// Self-decompressing kernels whose payload has no pointer in a header: the
// s390 compressed image and the MIPS ELF vmlinuz. Both compress the raw
// vmlinux.bin (objcopy -O binary) with scripts/Makefile.lib's cmd_<algo>kern,
// which appends the decompressed size as 4 little-endian bytes (size_append),
// so a candidate stream is the payload only when it decodes whole and is
// followed by that size.
//
// s390 (arch/s390/boot/): the file is the decompressor objcopied to binary.
// head.S puts the IPL PSW at 0 and, at EP_OFFSET 0x10008, the EP_STRING
// "S390EP" (arch/s390/include/asm/setup.h); piggy/vmlinux.lds.S put the
// compressed kernel in .vmlinux.bin.compressed (_compressed_start..end), a
// plain section somewhere after 0x10000 (Debian 12 6.1.0-50-s390x: at
// 190,488 of a 5,066,752-byte file).
//
// MIPS (arch/mips/boot/compressed/): vmlinuz is an ELF: the decompressor
// (.text) and, at the start of .data, the compressed image (ld.script:
// `.data : { _image_start = .; *(.image) _image_end = .; ...}`, piggy.o's
// .image section holding vmlinux.bin.z).
import { startsWith } from './bytes.js';
import type { Elf } from './elf.js';
import { fail } from './errors.js';
import { algorithmAt, decodePayloadAt, scanPayload, trailerMatches, type Payload } from './payload.js';

/** arch/s390/include/asm/setup.h: EP_OFFSET and EP_STRING. */
export const S390_EP_OFFSET = 0x10008;
const S390_EP_STRING = [0x53, 0x33, 0x39, 0x30, 0x45, 0x50]; // "S390EP"

export function isS390Image(bytes: Uint8Array): boolean {
  return startsWith(bytes, S390_EP_STRING, S390_EP_OFFSET);
}

/** The payload of an s390 compressed image: the first whole stream after the entry point with a matching size. */
export function s390Payload(bytes: Uint8Array): Payload {
  const rejected: string[] = [];
  const p = scanPayload(bytes, trailerMatches, S390_EP_OFFSET, bytes.length, rejected);
  if (!p) {
    fail(
      rejected.length === 0
        ? 's390 image (S390EP at 0x10008) without any compressor magic: an uncompressed image is not supported'
        : `s390 image: no payload candidate decompresses with a matching size (${rejected.length} tried; first: ${rejected[0]})`,
    );
  }
  return p;
}

/** ELF e_machine EM_MIPS (8). */
const EM_MIPS = 8;

/** A MIPS vmlinuz: an ELF whose .data starts with a compressor magic. */
export function isMipsVmlinuz(bytes: Uint8Array, elf: Elf): boolean {
  if (elf.machine !== EM_MIPS) return false;
  const data = elf.sections.find((s) => s.name === '.data');
  return !!data && !data.nobits && algorithmAt(bytes, data.offset) !== undefined && !elf.sections.some((s) => s.name === '__ksymtab');
}

/** The payload at the start of the vmlinuz's .data, proven by its size trailer. */
export function mipsPayload(bytes: Uint8Array, elf: Elf): Payload {
  const data = elf.sections.find((s) => s.name === '.data')!;
  const algorithm = algorithmAt(bytes, data.offset)!;
  const p = decodePayloadAt(bytes, data.offset, algorithm, data.offset + data.size);
  if (!trailerMatches(p)) {
    fail(`MIPS vmlinuz: the ${algorithm} stream at the start of .data (offset ${data.offset}) is not followed by its decompressed size ${p.decompressedBytes}`);
  }
  return p;
}

/**
 * struct vmlinux_info (arch/s390/boot/boot.h), which the kernel's
 * .vmlinux.info section (arch/s390/kernel/vmlinux.lds.S: QUAD(_stext),
 * QUAD(startup_continue), QUAD(__bss_start - _stext), QUAD(__bss_stop -
 * __bss_start), ...) puts into the decompressor, big-endian: the first four
 * words.
 */
export interface S390Info {
  offset: number;
  default_lma: bigint;
  entry: bigint;
  image_size: number;
  bss_size: number;
}

const PAGE = 4096n;

/**
 * Find vmlinux_info before the payload: the first 8-aligned
 * (lma, entry, image_size, bss_size) with lma, image_size and bss_size
 * nonzero and page-aligned, entry inside the image and image_size covering the
 * decompressed vmlinux.bin (objcopy drops the zeros at its end, so it may be
 * shorter, by less than a page per section at most: 1 MiB allowed).
 */
export function s390Info(bytes: Uint8Array, payload: Pick<Payload, 'offset' | 'decompressedBytes'>): S390Info | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = BigInt(payload.decompressedBytes);
  for (let o = 0; o + 32 <= payload.offset; o += 8) {
    const size = v.getBigUint64(o + 16);
    if (size < n || size - n >= 1n << 20n || size % PAGE !== 0n) continue;
    const lma = v.getBigUint64(o);
    const entry = v.getBigUint64(o + 8);
    const bss = v.getBigUint64(o + 24);
    if (lma === 0n || bss === 0n || lma % PAGE !== 0n || bss % PAGE !== 0n || entry < lma || entry >= lma + n || bss >= 1n << 32n) continue;
    return { offset: o, default_lma: lma, entry, image_size: Number(size), bss_size: Number(bss) };
  }
  return null;
}
