// Predicting the stored size (flash bytes) of a kernel image from its parts:
// real-mode setup, decompressor stub, the stub's .data section and the
// compressed payload. The composition rules are the ones data/stubs.md reads
// from the 6.12 kernel source; the tests check them against every row of
// data/stubs.csv and against the real Debian images. The format's alignments
// come from data/format-rules.csv, every size from data/stubs.csv or from a
// measured image.

import { KzError } from '../errors.js';
import type { StubAlgorithm, StubRow } from './stubs.js';
import { rule } from './rules.js';

/** What kind of image is stored. `Image` = Image.{gz,xz,...} decompressed by the bootloader: no stub. */
export type ImageKind = 'bzImage' | 'zImage' | 'vmlinuz.efi' | 'Image';

/**
 * Alignments of the image formats: layout rules of the kernel build, read
 * from data/format-rules.csv (each with the kernel file that sets it).
 */
export const LAYOUT = {
  get setupAlign(): number {
    return rule('setup_align');
  },
  get dataAlign(): number {
    return rule('data_align');
  },
  get armPayloadAlign(): number {
    return rule('arm_payload_align');
  },
  get armPadMax(): number {
    return rule('arm_pad_max');
  },
};

export interface ImageParts {
  kind: ImageKind;
  /** x86: setup.bin before padding (setup_bytes); 0 elsewhere. */
  setupBytes: number;
  /** The decompressor's stored bytes minus the payload, alignment gaps not counted (stubs.csv `stub_bytes`). */
  stubBytes: number;
  /** The stub's 4096-aligned .data section (part of stubBytes); 0 when there is none. */
  dataSectionBytes: number;
  /** The compressed kernel as stored, with its size trailer. */
  payloadBytes: number;
  /**
   * zImage without .data: where the payload starts (.text + .table + .rodata,
   * stubs.csv `payload_section_offset`). Makes the ALIGN(4) after the payload exact.
   */
  payloadSectionOffset?: number;
}

export interface ImagePrediction {
  imageBytes: number;
  /** Setup as stored (padded). */
  setupStoredBytes: number;
  /** Stub + payload as stored, .data included, padding included. */
  bodyBytes: number;
  /** Bytes of padding the rule adds to setup + stub + payload. */
  paddingBytes: number;
  /**
   * How far the real image can be from imageBytes when the stub was measured
   * with another payload (arm's .pad moves by up to 7 bytes); 0 when exact.
   */
  uncertaintyBytes: number;
  /** The rule, in words, for reports. */
  rule: string;
}

export class ImageSizeError extends KzError {
  override name = 'ImageSizeError';
}

export const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

function check(p: ImageParts): void {
  for (const k of ['setupBytes', 'stubBytes', 'dataSectionBytes', 'payloadBytes'] as const) {
    const v = p[k];
    if (!Number.isSafeInteger(v) || v < 0) throw new ImageSizeError(`${k} must be a whole number of bytes, not ${v}`);
  }
  if (p.dataSectionBytes > p.stubBytes) {
    throw new ImageSizeError(`dataSectionBytes ${p.dataSectionBytes} is more than stubBytes ${p.stubBytes} (the .data section is part of the stub)`);
  }
  if (p.kind !== 'bzImage' && p.setupBytes !== 0) throw new ImageSizeError(`a ${p.kind} has no real-mode setup (setupBytes ${p.setupBytes})`);
  if (p.payloadSectionOffset !== undefined && p.payloadSectionOffset > p.stubBytes) {
    throw new ImageSizeError(`payloadSectionOffset ${p.payloadSectionOffset} is past the stub's ${p.stubBytes} bytes`);
  }
}

/** Stub code and payload padded to the 4096-byte .data boundary, then .data. */
function pagedBody(p: ImageParts): number {
  return roundUp(p.stubBytes - p.dataSectionBytes + p.payloadBytes, LAYOUT.dataAlign) + p.dataSectionBytes;
}

/** The stored size of a self-decompressing (or bootloader-decompressed) image from its parts. */
export function predictImageBytes(p: ImageParts): ImagePrediction {
  check(p);
  const sum = p.setupBytes + p.stubBytes + p.payloadBytes;
  const done = (setupStoredBytes: number, bodyBytes: number, uncertaintyBytes: number, rule: string): ImagePrediction => ({
    imageBytes: setupStoredBytes + bodyBytes,
    setupStoredBytes,
    bodyBytes,
    paddingBytes: setupStoredBytes + bodyBytes - sum,
    uncertaintyBytes,
    rule,
  });
  switch (p.kind) {
    case 'Image':
      if (p.stubBytes !== 0) throw new ImageSizeError(`an Image.* decompressed by the bootloader has no stub (stubBytes ${p.stubBytes})`);
      return done(0, p.payloadBytes, 0, 'payload only (the bootloader decompresses it)');
    case 'bzImage':
      return done(
        roundUp(p.setupBytes, LAYOUT.setupAlign),
        pagedBody(p),
        0,
        `roundup(setup, ${LAYOUT.setupAlign}) + roundup(stub - data + payload, ${LAYOUT.dataAlign}) + data`,
      );
    case 'vmlinuz.efi':
      return done(0, pagedBody(p), 0, `roundup(stub - data + payload, ${LAYOUT.dataAlign}) + data`);
    case 'zImage':
      if (p.dataSectionBytes > 0) {
        return done(0, pagedBody(p), 0, `roundup(stub - data + payload, ${LAYOUT.dataAlign}) + data (zImage with EFI stub)`);
      }
      if (p.payloadSectionOffset !== undefined) {
        const head = p.payloadSectionOffset;
        return done(
          0,
          roundUp(head + p.payloadBytes, LAYOUT.armPayloadAlign) + (p.stubBytes - head),
          0,
          `roundup(head + payload, ${LAYOUT.armPayloadAlign}) + (stub - head)`,
        );
      }
      return done(0, p.stubBytes + p.payloadBytes, LAYOUT.armPayloadAlign - 1, 'stub + payload (+ up to 3 bytes of ALIGN(4))');
  }
}

/** The parts of a measured stub-table row, optionally with another payload size. */
export function partsOfRow(row: StubRow, payloadBytes = row.payloadBytes): ImageParts {
  return {
    kind: row.image,
    setupBytes: row.setupBytes,
    stubBytes: row.stubBytes,
    dataSectionBytes: row.dataSectionBytes,
    payloadBytes,
    ...(row.image === 'zImage' && row.dataSectionBytes === 0 ? { payloadSectionOffset: row.payloadSectionOffset } : {}),
  };
}

/**
 * The image a row's target would have with `payloadBytes` of payload
 * (default: the row's own payload, which reproduces image_bytes). A zImage's
 * .pad can move by up to 7 bytes with another payload: see uncertaintyBytes.
 */
export function predictFromRow(row: StubRow, payloadBytes = row.payloadBytes): ImagePrediction {
  const pred = predictImageBytes(partsOfRow(row, payloadBytes));
  if (row.image === 'zImage' && row.dataSectionBytes === 0 && payloadBytes !== row.payloadBytes) {
    return { ...pred, uncertaintyBytes: LAYOUT.armPadMax - 1 };
  }
  return pred;
}

export interface RankedAlgorithm {
  algorithm: StubAlgorithm;
  payloadBytes: number;
  stubBytes: number;
  imageBytes: number;
}

/**
 * Rank the algorithms of one target (rows of one arch and config) by the
 * predicted stored image (`by: 'image'`, what flash holds) or by the payload
 * alone (`by: 'payload'`, what a payload-only comparison would say).
 * `payloadBytes` replaces a row's payload with one measured elsewhere (e.g.
 * from `kzbench run` on the user's kernel). Smallest first; ties keep the
 * table's order.
 */
export function rankAlgorithms(
  rows: readonly StubRow[],
  by: 'image' | 'payload',
  payloadBytes: Partial<Record<StubAlgorithm, number>> = {},
): RankedAlgorithm[] {
  const targets = new Set(rows.map((r) => `${r.arch} ${r.config}`));
  if (targets.size > 1) throw new ImageSizeError(`rank one target at a time, not ${[...targets].join(' and ')}`);
  const ranked = rows.map((row) => {
    const payload = payloadBytes[row.algorithm] ?? row.payloadBytes;
    return { algorithm: row.algorithm, payloadBytes: payload, stubBytes: row.stubBytes, imageBytes: predictFromRow(row, payload).imageBytes };
  });
  const key = (r: RankedAlgorithm) => (by === 'image' ? r.imageBytes : r.payloadBytes);
  return ranked
    .map((r, i) => ({ r, i }))
    .sort((a, b) => key(a.r) - key(b.r) || a.i - b.i)
    .map(({ r }) => r);
}

/** What locating the parts of a real image needs (from openKernelImage: format, header, payload, signature). */
export interface MeasuredImage {
  kind: 'bzImage' | 'zImage';
  /** The whole file. */
  bytes: Uint8Array;
  /** Bytes of the signature appended to the file (PE/Authenticode), 0 when unsigned. */
  signatureBytes: number;
  /** bzImage: setup as stored, (setup_sects + 1) * 512; 0 for a zImage. */
  setupBytes: number;
  /** Offset of the payload in the file. */
  payloadFileOffset: number;
  payloadBytes: number;
}

/**
 * Split a real image into the parts the model uses, without the build tree:
 * setup as stored; .data = what follows the last 4096-byte boundary of the
 * body (a bzImage always has one; a zImage only with the EFI stub, which
 * makes the file start with "MZ"); stub = the bytes before the payload plus
 * those after it up to the last non-zero byte before .data, plus .data.
 * Zero bytes before the .data boundary are counted as alignment, so a stub
 * whose last bytes are zeros is measured up to a few bytes short; the
 * 4096-byte rounding absorbs that.
 */
export function measureImageParts(m: MeasuredImage): ImageParts {
  const end = m.bytes.length - m.signatureBytes;
  const payloadEnd = m.payloadFileOffset + m.payloadBytes;
  if (m.payloadFileOffset < m.setupBytes || payloadEnd > end) {
    throw new ImageSizeError(`payload ${m.payloadFileOffset}..${payloadEnd} is not inside the body ${m.setupBytes}..${end}`);
  }
  const efiZImage = m.kind === 'zImage' && m.bytes[0] === 0x4d && m.bytes[1] === 0x5a;
  const paged = m.kind === 'bzImage' || efiZImage;
  const dataStart = paged ? m.setupBytes + Math.floor((end - m.setupBytes) / LAYOUT.dataAlign) * LAYOUT.dataAlign : end;
  if (dataStart < payloadEnd) throw new ImageSizeError(`the payload ends at ${payloadEnd}, past the last ${LAYOUT.dataAlign}-byte boundary ${dataStart}`);
  let last = dataStart;
  while (last > payloadEnd && m.bytes[last - 1] === 0) last--;
  const data = end - dataStart;
  const head = m.payloadFileOffset - m.setupBytes;
  return {
    kind: m.kind,
    setupBytes: m.setupBytes,
    stubBytes: head + (last - payloadEnd) + data,
    dataSectionBytes: data,
    payloadBytes: m.payloadBytes,
    ...(paged ? {} : { payloadSectionOffset: head }),
  };
}
