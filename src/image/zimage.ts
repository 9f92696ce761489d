// ARM (32-bit) zImage: a position-independent decompressor with the
// compressed Image inside (arch/arm/boot/compressed/head.S). The header has
// a magic at 0x24 and the image extent at 0x28/0x2c; the payload has no
// pointer, so it is found by scanning for every compressor's magic and
// proven by decompressing it and checking the size the build appended.
import { ByteView } from './bytes.js';
import { fail } from './errors.js';
import { scanPayload, trailerMatches, type Payload } from './payload.js';

export const ZIMAGE_MAGIC = 0x016f2818;

export interface ZImage {
  littleEndian: boolean;
  start: number;
  end: number;
  /** end - start: the bytes the header says the zImage occupies. */
  extent: number;
  payload: Payload;
  /** Bytes of the file after the extent (appended DTB, padding), if any. */
  trailingBytes: number;
}

export function zImageEndianness(bytes: Uint8Array): boolean | null {
  if (bytes.length < 0x30) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0x24, true) === ZIMAGE_MAGIC) return true;
  if (v.getUint32(0x24, false) === ZIMAGE_MAGIC) return false;
  return null;
}

export function parseZImage(bytes: Uint8Array): ZImage {
  const le = zImageEndianness(bytes);
  if (le === null) fail('no ARM zImage magic 0x016f2818 at offset 0x24');
  const v = new ByteView(bytes, le);
  const start = v.u32(0x28, 'zImage start');
  const end = v.u32(0x2c, 'zImage end');
  if (end <= start) fail(`zImage header end 0x${end.toString(16)} is not after start 0x${start.toString(16)}`);
  const extent = end - start;
  if (extent > bytes.length) fail(`zImage header says ${extent} bytes but the file has only ${bytes.length}`);
  const rejected: string[] = [];
  const payload = scanPayload(bytes, trailerMatches, 0, extent, rejected);
  if (!payload) {
    fail(
      rejected.length === 0
        ? 'no compressor magic inside the zImage: no payload found'
        : `no payload candidate decompresses with a matching size (${rejected.length} tried; first: ${rejected[0]})`,
    );
  }
  return { littleEndian: le, start, end, extent, payload, trailingBytes: bytes.length - extent };
}
