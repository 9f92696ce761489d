// Bounds-checked little/big-endian reads over a byte array. Every read past
// the end raises an ImageError naming what was being read, so a truncated or
// lying header is reported, never an out-of-range crash or a silent zero.
import { fail } from './errors.js';

export class ByteView {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly littleEndian = true,
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
