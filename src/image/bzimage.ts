// x86 bzImage: the real-mode setup header (Documentation/arch/x86/boot.rst),
// the compressed payload it points at, the stub around it, and the signature
// tail of signed distribution images.
import { ByteView, latin1 } from './bytes.js';
import { fail } from './errors.js';
import { decodePayloadAt, algorithmAt, rawTrailer, type Payload } from './payload.js';
import { peSignature, type PeSignature } from './pe.js';

export interface SetupHeader {
  setup_sects: number;
  /** Boot protocol as "2.15". */
  protocol: string;
  syssize: number;
  loadflags: number;
  xloadflags: number;
  kernel_alignment: number;
  payload_offset: number;
  payload_length: number;
  init_size: number;
  pref_address: bigint;
  /** The kernel version string the header points at, when present. */
  kernel_version: string | null;
}

export interface BzImage {
  header: SetupHeader;
  /** Size of the real-mode setup code: (setup_sects + 1) * 512. */
  setupBytes: number;
  /** Start of the protected-mode code (the compressed kernel's decompressor). */
  protectedModeOffset: number;
  payload: Payload;
  signature: PeSignature | null;
}

export function isBzImage(bytes: Uint8Array): boolean {
  return bytes.length >= 0x206 && latin1(bytes.subarray(0x202, 0x206)) === 'HdrS' && bytes[0x1fe] === 0x55 && bytes[0x1ff] === 0xaa;
}

export function parseSetupHeader(bytes: Uint8Array): SetupHeader {
  const v = new ByteView(bytes, true);
  if (!isBzImage(bytes)) fail('no x86 boot sector signature and "HdrS" setup header');
  const version = v.u16(0x206, 'boot protocol version');
  if (version < 0x208) fail(`boot protocol ${version >> 8}.${version & 0xff} predates payload_offset (2.08); not supported`);
  let setup_sects = v.u8(0x1f1, 'setup_sects');
  if (setup_sects === 0) setup_sects = 4;
  const kvOff = v.u16(0x20e, 'kernel_version');
  let kernel_version: string | null = null;
  if (kvOff !== 0 && kvOff + 0x200 < bytes.length) {
    try {
      kernel_version = v.cstring(kvOff + 0x200, Math.min(bytes.length, kvOff + 0x400), 'kernel version string');
    } catch {
      kernel_version = null;
    }
  }
  return {
    setup_sects,
    protocol: `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`,
    syssize: v.u32(0x1f4, 'syssize'),
    loadflags: v.u8(0x211, 'loadflags'),
    xloadflags: version >= 0x20c ? v.u16(0x236, 'xloadflags') : 0,
    kernel_alignment: v.u32(0x230, 'kernel_alignment'),
    payload_offset: v.u32(0x248, 'payload_offset'),
    payload_length: v.u32(0x24c, 'payload_length'),
    init_size: version >= 0x20a ? v.u32(0x260, 'init_size') : 0,
    pref_address: version >= 0x20a ? v.u64(0x258, 'pref_address') : 0n,
    kernel_version,
  };
}

export function parseBzImage(bytes: Uint8Array): BzImage {
  const header = parseSetupHeader(bytes);
  const setupBytes = (header.setup_sects + 1) * 512;
  if (setupBytes > bytes.length) fail(`setup_sects ${header.setup_sects} puts the setup code past the end of the file (${bytes.length} bytes)`);
  const start = setupBytes + header.payload_offset;
  const end = start + header.payload_length;
  if (header.payload_length === 0) fail('payload_length is 0: no compressed kernel');
  if (end > bytes.length) {
    fail(`payload_offset ${header.payload_offset} + payload_length ${header.payload_length} run past the end of the file (${bytes.length} bytes)`);
  }
  const algorithm = algorithmAt(bytes, start);
  if (!algorithm) fail(`no compressor magic at payload_offset ${header.payload_offset} (file offset ${start})`);
  const payload = decodePayloadAt(bytes, start, algorithm, end);
  if (payload.storedBytes !== header.payload_length) {
    const t = rawTrailer(bytes, payload);
    fail(
      `payload_length says ${header.payload_length} bytes but the ${algorithm} stream plus its size is ${payload.storedBytes}` +
        (payload.sizeTrailer === null && t !== null ? ` (the trailing size ${t} does not match the decompressed ${payload.decompressedBytes} bytes)` : ''),
    );
  }
  const signature = peSignature(bytes);
  return { header, setupBytes, protectedModeOffset: setupBytes, payload, signature };
}
