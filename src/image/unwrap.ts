// Peel a kernel file's container: find what kind of file it is and get the
// kernel inside (an ELF vmlinux or a raw Image), with its payload facts.
import type { Algorithm } from '../codecs/types.js';
import { isArm64Image, isRiscvImage, parseArm64Header, parseRiscvHeader, type Arm64Header, type RiscvHeader } from './arm64.js';
import { isBzImage, parseBzImage, type SetupHeader } from './bzimage.js';
import { isElf, parseElf } from './elf.js';
import { fail } from './errors.js';
import { algorithmAt, decodePayloadAt, type Payload } from './payload.js';
import { peSignature, type PeSignature } from './pe.js';
import { isMipsVmlinuz, isS390Image, mipsPayload, s390Info, s390Payload } from './selfboot.js';
import { parseZImage, zImageEndianness } from './zimage.js';

export type ImageFormat = 'elf' | 'bzimage' | 'zimage' | 'arm64-image' | 'riscv-image' | 's390-image' | 'mips-vmlinuz' | 'compressed-image' | 'raw-image';

export interface Unwrapped {
  format: ImageFormat;
  payload: Payload | null;
  signature: PeSignature | null;
  kernel: Uint8Array;
  header: Record<string, unknown>;
  archHint: string | null;
  bits: 32 | 64 | null;
  littleEndian: boolean | null;
}

function headerFields(h: SetupHeader | Arm64Header | RiscvHeader | Record<string, unknown>): Record<string, unknown> {
  return { ...h };
}

/** Peel the container: find what kind of file this is and get the kernel inside. */
export function unwrap(bytes: Uint8Array, depth = 0): Unwrapped {
  if (isElf(bytes)) {
    const elf = depth === 0 ? parseElf(bytes) : null;
    if (elf && isMipsVmlinuz(bytes, elf)) {
      const payload = mipsPayload(bytes, elf);
      return {
        format: 'mips-vmlinuz',
        payload,
        signature: null,
        kernel: payload.data,
        header: { entry: elf.entry, decompressor_bytes: payload.offset },
        archHint: 'mips',
        bits: elf.bits,
        littleEndian: elf.littleEndian,
      };
    }
    return { format: 'elf', payload: null, signature: null, kernel: bytes, header: {}, archHint: null, bits: null, littleEndian: null };
  }
  if (isS390Image(bytes)) {
    const payload = s390Payload(bytes);
    const info = s390Info(bytes, payload);
    const header = info
      ? { vmlinux_info_offset: info.offset, default_lma: info.default_lma, entry: info.entry, image_size: info.image_size, bss_size: info.bss_size }
      : {};
    return { format: 's390-image', payload, signature: null, kernel: payload.data, header, archHint: 's390', bits: 64, littleEndian: false };
  }
  if (isBzImage(bytes)) {
    const bz = parseBzImage(bytes);
    return {
      format: 'bzimage',
      payload: bz.payload,
      signature: bz.signature,
      kernel: bz.payload.data,
      header: { ...headerFields(bz.header), setup_bytes: bz.setupBytes },
      archHint: (bz.header.xloadflags & 1) === 1 ? 'x86_64' : 'x86',
      bits: null,
      littleEndian: true,
    };
  }
  const zle = zImageEndianness(bytes);
  if (zle !== null) {
    const z = parseZImage(bytes);
    return {
      format: 'zimage',
      payload: z.payload,
      signature: null,
      kernel: z.payload.data,
      header: { start: z.start, end: z.end, extent: z.extent, trailing_bytes: z.trailingBytes },
      archHint: 'arm',
      bits: 32,
      littleEndian: z.littleEndian,
    };
  }
  if (isArm64Image(bytes)) {
    const h = parseArm64Header(bytes);
    const signature = h.efi ? peSignature(bytes) : null;
    const kernel = signature ? bytes.subarray(0, signature.offset) : bytes;
    if (h.image_size !== 0 && h.image_size < kernel.length) {
      fail(`arm64 header image_size ${h.image_size} is smaller than the ${kernel.length} bytes of the Image`);
    }
    return { format: 'arm64-image', payload: null, signature, kernel, header: headerFields(h), archHint: 'arm64', bits: 64, littleEndian: !h.bigEndian };
  }
  if (isRiscvImage(bytes)) {
    const h = parseRiscvHeader(bytes);
    const signature = peSignature(bytes);
    const kernel = signature ? bytes.subarray(0, signature.offset) : bytes;
    return { format: 'riscv-image', payload: null, signature, kernel, header: headerFields(h), archHint: 'riscv64', bits: 64, littleEndian: true };
  }
  const algorithm: Algorithm | undefined = algorithmAt(bytes, 0);
  if (algorithm && depth === 0) {
    const payload = decodePayloadAt(bytes, 0, algorithm);
    const trailing = bytes.length - payload.storedBytes;
    if (trailing !== 0) fail(`${trailing} bytes follow the ${algorithm} stream (${payload.compressedBytes} bytes): not a compressed kernel image`);
    const inner = unwrap(payload.data, depth + 1);
    if (inner.format === 'compressed-image') fail(`the ${algorithm} stream holds another compressed stream`);
    return { ...inner, format: 'compressed-image', payload, header: { ...inner.header, inner_format: inner.format } };
  }
  return { format: 'raw-image', payload: null, signature: null, kernel: bytes, header: {}, archHint: null, bits: null, littleEndian: null };
}
