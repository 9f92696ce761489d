// The one byte reader of the image code: little/big-endian reads over a byte
// array. A header read past the end raises an ImageError naming what was
// being read, so a truncated or lying header is reported, never an
// out-of-range crash or a silent zero. Scanners that probe many offsets
// where a table may or may not be (kallsyms) use the probes, which answer
// out of range with -1 or undefined instead; scanners that read every word
// of an image (kallsyms, imagebase) use a 32-bit word view of it.
import { fail } from './errors.js';

export class ByteView {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian = true,
    /** The kernel's word size, for word() callers that do not pass one and for wordAt(). */
    readonly wordSize: 4 | 8 = 8,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  need(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      fail(`truncated: ${what} needs bytes ${offset}..${offset + size} but there are only ${this.bytes.length}`);
    }
  }

  u8(offset: number, what: string): number {
    this.need(offset, 1, what);
    return this.bytes[offset]!;
  }
  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, this.littleEndian);
  }
  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, this.littleEndian);
  }
  u64(offset: number, what: string): bigint {
    this.need(offset, 8, what);
    return this.view.getBigUint64(offset, this.littleEndian);
  }
  /** A 64-bit field that must be a usable byte count or file offset. */
  u64Number(offset: number, what: string): number {
    const v = this.u64(offset, what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} is absurd (${v})`);
    return Number(v);
  }
  word(offset: number, wordSize: 4 | 8, what: string): bigint {
    return wordSize === 8 ? this.u64(offset, what) : BigInt(this.u32(offset, what));
  }
  slice(offset: number, size: number, what: string): Uint8Array {
    this.need(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }
  /** NUL-terminated string starting at offset, bounded by `end`. */
  cstring(offset: number, end: number, what: string): string {
    this.need(offset, 0, what);
    const stop = Math.min(end, this.bytes.length);
    let i = offset;
    while (i < stop && this.bytes[i] !== 0) i++;
    if (i >= stop) fail(`${what} at ${offset} is not NUL-terminated`);
    return latin1(this.bytes.subarray(offset, i));
  }
  ascii(offset: number, size: number, what: string): string {
    return latin1(this.slice(offset, size, what));
  }

  // Probes: out of range is an answer, not an error. Byte by byte rather than
  // through the DataView: they run millions of times in a kallsyms scan.

  /** The u32 at o, or -1 when out of range. */
  u32At(o: number): number {
    const b = this.bytes;
    if (o < 0 || o + 4 > b.length) return -1;
    return this.littleEndian
      ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
      : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }
  /** The unsigned word (wordSize bytes) at o, or undefined when out of range. */
  wordAt(o: number): bigint | undefined {
    if (o < 0 || o + this.wordSize > this.bytes.length) return undefined;
    if (this.wordSize === 4) return BigInt(this.u32At(o));
    const lo = BigInt(this.u32At(this.littleEndian ? o : o + 4));
    const hi = BigInt(this.u32At(this.littleEndian ? o + 4 : o));
    return (hi << 32n) | lo;
  }
}

/** True when this machine stores words little-endian (word views then need bswap32 for a big-endian image). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The bytes of b at a 4-aligned address: b itself, or a copy when it is not aligned. */
function aligned4(b: Uint8Array): Uint8Array {
  return b.byteOffset % 4 === 0 ? b : new Uint8Array(b);
}

/** b's 32-bit words from its start, unsigned, in host byte order. */
export function uint32Words(b: Uint8Array): Uint32Array {
  const a = aligned4(b);
  return new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2);
}

/** b's 32-bit words from its start, signed, in host byte order. */
export function int32Words(b: Uint8Array): Int32Array {
  const a = aligned4(b);
  return new Int32Array(a.buffer, a.byteOffset, a.length >>> 2);
}

/** A 32-bit word with its bytes reversed (signed, as the Int32Array view gives it). */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export function startsWith(bytes: Uint8Array, magic: ArrayLike<number>, at = 0): boolean {
  if (at < 0 || at + magic.length > bytes.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

/** Every offset where `needle` occurs (Buffer.indexOf is a fast native search). */
export function findAll(bytes: Uint8Array, needle: Uint8Array, from = 0, to = bytes.length): number[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(to, bytes.length));
  const hits: number[] = [];
  let i = buf.indexOf(needle, from);
  while (i !== -1) {
    hits.push(i);
    i = buf.indexOf(needle, i + 1);
  }
  return hits;
}

export function hex(n: number | bigint, width = 0): string {
  return '0x' + n.toString(16).padStart(width, '0');
}
