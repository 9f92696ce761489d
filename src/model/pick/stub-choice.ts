// The decompressor stub a self-decompressing image would carry for an
// algorithm (the image's own, the table's, or the image's own adjusted by the
// table's difference), and x86's ZO bytes beyond the payload.

import { partsOfRow, roundUp, type ImageParts } from '../image-size.js';
import { rule } from '../rules.js';
import { findStub, type StubAlgorithm, type StubRow } from '../stubs.js';
import { fmt } from './candidate.js';
import type { KernelFacts } from './types.js';

/** The stub table's target for an arch: x86_64 tinyconfig, arm Thumb-2 (stm32) or ARM-mode (versatile), arm64/riscv64 EFI zboot. */
export function stubTarget(rows: readonly StubRow[], arch: string, thumb2: boolean): string | null {
  const configs = [...new Set(rows.filter((r) => r.arch === arch).map((r) => r.config))];
  if (arch === 'arm') return configs.find((c) => (thumb2 ? /stm32/ : /versatile/).test(c)) ?? configs[0] ?? null;
  return configs[0] ?? null;
}

export interface StubChoice {
  parts: ImageParts;
  /** ZO bytes beyond the payload (decompressor code, data, bss, heap, stack, page tables): x86 only. */
  zoOverhead: number | null;
  basis: string;
}

export function minExtractOffset(outputBytes: number, inputBytes: number): number {
  const extra = Math.floor(outputBytes / 2 ** rule('x86_extract_shift')) + rule('x86_extract_extra');
  const offset = outputBytes > inputBytes ? outputBytes + extra - inputBytes : extra;
  return roundUp(offset, rule('x86_extract_align'));
}

/** x86: ZO_end - startup_32 - payload of a table row, from its init_size (the ZO side wins in every tinyconfig build). */
export function tableZoOverhead(row: StubRow): number | null {
  if (row.initSize === null || row.payloadLength === null) return null;
  return row.initSize - minExtractOffset(row.uncompressedBytes, row.payloadLength) - row.payloadLength;
}

/**
 * The stub for `algorithm` on the user's kernel: its own stub when the image
 * was built with it; its own stub plus the table's difference between the two
 * algorithms' stubs when it was built with another; the table's stub when the
 * input has no stub of its own (vmlinux, raw Image).
 */
export function chooseStub(facts: KernelFacts, rows: readonly StubRow[], algorithm: StubAlgorithm, payloadBytes: number): StubChoice | string {
  const target = stubTarget(rows, facts.arch, facts.thumb2);
  const row = target ? findStub(rows, facts.arch, target, algorithm) : undefined;
  const own = facts.own;
  const ownRow = own && target ? findStub(rows, facts.arch, target, own.algorithm) : undefined;
  // x86: the image's own ZO bytes beyond its payload: from its init_size when
  // the ZO side decides it, else the table's for its algorithm plus the
  // difference between its stub and the table's.
  const ownRowOver = ownRow ? tableZoOverhead(ownRow) : null;
  const ownOver = own ? (ownZoOverhead(facts) ?? (ownRowOver !== null ? ownRowOver + own.parts.stubBytes - ownRow!.stubBytes : null)) : null;
  if (own && own.algorithm === algorithm) {
    return {
      parts: { ...own.parts, payloadBytes },
      zoOverhead: ownOver,
      basis: `the image's own ${algorithm} stub (${fmt(own.parts.stubBytes)} bytes)`,
    };
  }
  if (!row)
    return `data/stubs.csv has no ${facts.arch} stub for ${algorithm}${target ? ` (${target})` : ''}: the arch does not offer it or it was not measured`;
  if (own) {
    if (!ownRow) return `data/stubs.csv has no ${facts.arch} ${target} stub for the image's own ${own.algorithm}, so the difference to ${algorithm} is unknown`;
    // The table's difference between the two algorithms, part by part: the
    // whole stub, its .data, and (zImage) the code before the payload.
    const delta = row.stubBytes - ownRow.stubBytes;
    const parts: ImageParts = {
      ...own.parts,
      stubBytes: own.parts.stubBytes + delta,
      dataSectionBytes: own.parts.dataSectionBytes + (own.parts.dataSectionBytes > 0 ? row.dataSectionBytes - ownRow.dataSectionBytes : 0),
      payloadBytes,
    };
    if (own.parts.payloadSectionOffset !== undefined)
      parts.payloadSectionOffset = own.parts.payloadSectionOffset + row.payloadSectionOffset - ownRow.payloadSectionOffset;
    const rowOver = tableZoOverhead(row);
    return {
      parts,
      zoOverhead: ownOver !== null && rowOver !== null && ownRowOver !== null ? ownOver + rowOver - ownRowOver : null,
      basis: `the image's own ${own.algorithm} stub ${delta >= 0 ? '+' : '-'} ${fmt(Math.abs(delta))} bytes (${target} ${algorithm} - ${own.algorithm}, data/stubs.csv)`,
    };
  }
  return {
    parts: partsOfRow(row, payloadBytes),
    zoOverhead: tableZoOverhead(row),
    basis: `the ${target} ${algorithm} stub of data/stubs.csv (${fmt(row.stubBytes)} bytes, linux ${row.kernelVersion}): the input has no stub of its own`,
  };
}

/**
 * x86: the image's own ZO bytes beyond its payload, from its header's
 * init_size, when the ZO side decides init_size (else it is not visible).
 */
function ownZoOverhead(facts: KernelFacts): number | null {
  const own = facts.own;
  if (!own || own.initSize === null || own.initSize <= facts.kernelMemoryBytes) return null;
  return own.initSize - minExtractOffset(own.outputBytes, own.parts.payloadBytes) - own.parts.payloadBytes;
}
