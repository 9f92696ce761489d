// The PE/COFF wrapper of EFI-stub kernels (x86 bzImage, arm64 Image): only
// what sizes need, the attribute certificate table of signed images, which
// sits at the end of the file and is not part of the kernel.
import { ByteView, startsWith } from './bytes.js';
import { fail } from './errors.js';

export interface PeSignature {
  /** File offset of the certificate table. */
  offset: number;
  bytes: number;
}

/** The certificate table of a signed PE image, or null when unsigned or not PE. */
export function peSignature(bytes: Uint8Array): PeSignature | null {
  if (!startsWith(bytes, [0x4d, 0x5a])) return null; // "MZ"
  const v = new ByteView(bytes, true);
  if (bytes.length < 0x40) return null;
  const peOff = v.u32(0x3c, 'PE header offset');
  if (peOff === 0 || !startsWith(bytes, [0x50, 0x45, 0, 0], peOff)) return null; // "PE\0\0"
  const coff = peOff + 4;
  const optSize = v.u16(coff + 16, 'PE optional header size');
  const opt = coff + 20;
  if (optSize === 0) return null;
  const magic = v.u16(opt, 'PE optional header magic');
  if (magic !== 0x10b && magic !== 0x20b) fail(`PE optional header magic 0x${magic.toString(16)} is neither PE32 nor PE32+`);
  const dirs = opt + (magic === 0x20b ? 112 : 96);
  const count = v.u32(dirs - 4, 'PE NumberOfRvaAndSizes');
  const SECURITY = 4;
  if (count <= SECURITY || dirs + SECURITY * 8 + 8 > opt + optSize) return null;
  const offset = v.u32(dirs + SECURITY * 8, 'PE certificate table offset');
  const size = v.u32(dirs + SECURITY * 8 + 4, 'PE certificate table size');
  if (size === 0) return null;
  if (offset + size > bytes.length) fail(`PE certificate table (${size} bytes at ${offset}) runs past the end of the file (${bytes.length} bytes)`);
  return { offset, bytes: size };
}
