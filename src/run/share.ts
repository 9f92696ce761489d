// Unit bytes in shared memory, so every worker reads them without a copy.
import type { SharedBytes } from '../pool/task.js';
import type { Unit } from './types.js';

/**
 * Put every unit's bytes in shared memory once. Units cut from the same
 * ArrayBuffer share one SharedArrayBuffer covering their span; bytes that
 * already live in a SharedArrayBuffer are used in place.
 */
export function shareUnits(units: readonly Unit[]): Map<Unit, SharedBytes> {
  const bytes = shareBytes(units.map((u) => u.bytes));
  return new Map(units.map((u) => [u, bytes.get(u.bytes)!]));
}

/** The same for byte arrays: one SharedArrayBuffer per underlying buffer span. */
export function shareBytes(list: readonly Uint8Array[]): Map<Uint8Array, SharedBytes> {
  const spans = new Map<ArrayBufferLike, { lo: number; hi: number }>();
  for (const b of list) {
    const s = spans.get(b.buffer);
    if (s) {
      s.lo = Math.min(s.lo, b.byteOffset);
      s.hi = Math.max(s.hi, b.byteOffset + b.byteLength);
    } else spans.set(b.buffer, { lo: b.byteOffset, hi: b.byteOffset + b.byteLength });
  }
  const shared = new Map<ArrayBufferLike, { buffer: SharedArrayBuffer; base: number }>();
  for (const [buf, { lo, hi }] of spans) {
    if (buf instanceof SharedArrayBuffer) {
      shared.set(buf, { buffer: buf, base: 0 });
    } else {
      const sab = new SharedArrayBuffer(hi - lo);
      new Uint8Array(sab).set(new Uint8Array(buf, lo, hi - lo));
      shared.set(buf, { buffer: sab, base: lo });
    }
  }
  const out = new Map<Uint8Array, SharedBytes>();
  for (const b of list) {
    const s = shared.get(b.buffer)!;
    out.set(b, { buffer: s.buffer, offset: b.byteOffset - s.base, length: b.byteLength });
  }
  return out;
}
