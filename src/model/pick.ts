// `kzbench pick` (issue 5, parts 3 and 4): every way of storing and starting
// a kernel on a board, evaluated from measured payloads; the Pareto frontier
// over flash, RAM and boot time; and one recommendation with its figures.
//
// Strategies:
//   self-decompressing  bzImage / zImage / vmlinuz.efi: flash = the predicted
//                       image (setup + stub + payload, src/model/image-size.ts);
//                       RAM = what the decompression needs (x86: the header's
//                       init_size rule; arm: the Image, the zImage, the
//                       decompressor's stack and heap; EFI zboot: image +
//                       kernel); boot = read the image + decompress.
//   bootloader          Image.* decompressed by the boot loader: no stub.
//                       flash = payload; RAM = payload + kernel; boot = read +
//                       decompress.
//   xip                 text and rodata run from flash (src/model/xip.ts);
//                       flash = the xipImage; RAM = data + init data + bss;
//                       boot = copy the data load image; no decompression.
//   xip-deflated-data   XIP with the data load image stored compressed
//                       (arm XIP_DEFLATED_DATA, gzip -9, data/format-rules.csv).
//
// Every size comes from a measured image, measured payloads (kzbench run
// rows) or data/stubs.csv; every rule from data/format-rules.csv; every speed
// from the board file (data/boards) or a calibration against this machine's
// measured decompression times, which each candidate names in boot_source.

import { KzError } from '../errors.js';
import type { Board } from './boards.js';
import { decompressionMs, flashReadMs } from './boards.js';
import { predictImageBytes, partsOfRow, roundUp, type ImageParts } from './image-size.js';
import { findStub, type StubAlgorithm, type StubRow } from './stubs.js';
import { predictXip, type XipSectionInput } from './xip.js';
import { formatRules, rule, xipRuntime } from './rules.js';
import { formatProblem, kernelDecompressorFormats, parseLoaderEntry } from './formats.js';

export const STRATEGIES = ['self-decompressing', 'bootloader', 'xip', 'xip-deflated-data'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** One verified whole-kernel measurement (a `kzbench run` row with unit "whole"). */
export interface MeasuredPayload {
  algorithm: StubAlgorithm;
  /** Canonical setting key. */
  setting: string;
  /** Compressed bytes as stored (with the size trailer when the setting appends it). */
  payloadBytes: number;
  /** The decompressed kernel (the unit's bytes). */
  outputBytes: number;
  /** Median decompression time on this machine, ms; null when not timed. */
  hostDecompressMs: number | null;
}

/** What the model needs to know about the user's kernel (see kernelFacts in pick-image.ts). */
export interface KernelFacts {
  /** Board arch name: x86_64, arm, arm64, riscv64. */
  arch: string;
  /** The image's own algorithm and parts, when it is a self-decompressing image. */
  own: {
    algorithm: StubAlgorithm;
    /** Its parts as measured (measureImageParts); parts.payloadBytes is its payload as stored. */
    parts: ImageParts;
    /** The decompressed payload's bytes. */
    outputBytes: number;
    /** x86: the header's init_size. */
    initSize: number | null;
  } | null;
  /** Bytes the running kernel occupies, _text to _end (bss included); how it was found. */
  kernelMemoryBytes: number;
  kernelMemorySource: string;
  /** Sections, for the XIP split; empty when unknown. */
  sections: XipSectionInput[];
  /** arm: Thumb-2 kernel (chooses the stub table's Thumb-2 target). */
  thumb2: boolean;
  /** Host decompression time of the data load image with the XIP data setting, when measured. */
  xipData?: { compressedBytes: number; hostDecompressMs: number | null };
}

export interface Candidate {
  board: string;
  strategy: Strategy;
  algorithm: string;
  setting: string;
  flash_bytes: number | null;
  ram_bytes: number | null;
  boot_ms: number | null;
  /** Parts of boot_ms: reading storage, decompressing. */
  read_ms: number | null;
  decompress_ms: number | null;
  /** Where the decompression speed came from. */
  boot_source: string;
  /** Which limits could not be checked (board figures unknown). */
  unchecked: string[];
  fits: boolean;
  /** Why it does not fit (plain numbers), or why it cannot be evaluated; empty when it fits. */
  reason: string;
  flash_headroom_bytes: number | null;
  ram_headroom_bytes: number | null;
  boot_headroom_ms: number | null;
  pareto: boolean;
  /** How flash and RAM were obtained. */
  basis: string;
}

export interface PickResult {
  board: string;
  recommendation: Candidate | null;
  /** Why the recommendation won, in words. */
  why: string;
  candidates: Candidate[];
  notes: string[];
}

export class PickError extends KzError {
  override name = 'PickError';
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** The stub table's target for an arch: x86_64 tinyconfig, arm Thumb-2 (stm32) or ARM-mode (versatile), arm64/riscv64 EFI zboot. */
export function stubTarget(rows: readonly StubRow[], arch: string, thumb2: boolean): string | null {
  const configs = [...new Set(rows.filter((r) => r.arch === arch).map((r) => r.config))];
  if (arch === 'arm') return configs.find((c) => (thumb2 ? /stm32/ : /versatile/).test(c)) ?? configs[0] ?? null;
  return configs[0] ?? null;
}

interface StubChoice {
  parts: ImageParts;
  /** ZO bytes beyond the payload (decompressor code, data, bss, heap, stack, page tables): x86 only. */
  zoOverhead: number | null;
  basis: string;
}

function minExtractOffset(outputBytes: number, inputBytes: number): number {
  const extra = Math.floor(outputBytes / 2 ** rule('x86_extract_shift')) + rule('x86_extract_extra');
  const offset = outputBytes > inputBytes ? outputBytes + extra - inputBytes : extra;
  return roundUp(offset, rule('x86_extract_align'));
}

/** x86: ZO_end - startup_32 - payload of a table row, from its init_size (the ZO side wins in every tinyconfig build). */
function tableZoOverhead(row: StubRow): number | null {
  if (row.initSize === null || row.payloadLength === null) return null;
  return row.initSize - minExtractOffset(row.uncompressedBytes, row.payloadLength) - row.payloadLength;
}

/**
 * The stub for `algorithm` on the user's kernel: its own stub when the image
 * was built with it; its own stub plus the table's difference between the two
 * algorithms' stubs when it was built with another; the table's stub when the
 * input has no stub of its own (vmlinux, raw Image).
 */
function chooseStub(facts: KernelFacts, rows: readonly StubRow[], algorithm: StubAlgorithm, payloadBytes: number): StubChoice | string {
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

/** Decompression on the board: its own figure, else calibrated from one of its figures against this machine. */
export function boardDecompressMs(
  board: Board,
  algorithm: StubAlgorithm,
  m: { payloadBytes: number; outputBytes: number; hostDecompressMs: number | null },
  all: readonly MeasuredPayload[],
): { ms: number | null; source: string } {
  const direct = decompressionMs(board, algorithm, m.payloadBytes, m.outputBytes);
  const fig = board.decompression?.[algorithm];
  if (direct !== null) return { ms: direct, source: `board figure (${fig!.mb_s} MB/s of ${fig!.rate_of}${fig!.proxy ? `, proxy: ${fig!.measured_on}` : ''})` };
  if (m.hostDecompressMs === null) return { ms: null, source: 'no board figure and no host timing' };
  for (const [ref, f] of Object.entries(board.decompression ?? {})) {
    if (!f || f.rate_of === 'unstated') continue;
    const refM = all.find((x) => x.algorithm === ref && x.hostDecompressMs !== null);
    if (!refM) continue;
    const refBoard = decompressionMs(board, ref as StubAlgorithm, refM.payloadBytes, refM.outputBytes)!;
    const k = refBoard / refM.hostDecompressMs!;
    return {
      ms: m.hostDecompressMs * k,
      source: `calibrated: this machine's ${algorithm} time x ${k.toFixed(1)} (the board's ${ref} figure / this machine's ${ref} time)`,
    };
  }
  const unstated = Object.keys(board.decompression ?? {});
  return {
    ms: null,
    source: unstated.length ? `no usable board figure (${unstated.join(', ')}: rate not stated as input or output)` : 'the board has no decompression figures',
  };
}

export interface PickInput {
  board: Board;
  facts: KernelFacts;
  measured: readonly MeasuredPayload[];
  stubs: readonly StubRow[];
}

/** Boot time of a candidate that reads `readBytes` from storage and decompresses: unknown when the decompression is. */
function bootTime(c: Candidate, board: Board, readBytes: number, dec: { ms: number | null; source: string }): void {
  c.read_ms = flashReadMs(board, readBytes);
  c.decompress_ms = dec.ms;
  c.boot_source = dec.source;
  c.boot_ms = dec.ms === null ? null : (c.read_ms ?? 0) + dec.ms;
}

/** Every candidate for a board, with fits/reason/headroom; frontier and recommendation from pickFrom. */
export function evaluate(input: PickInput): { candidates: Candidate[]; notes: string[] } {
  const { board, facts, measured, stubs } = input;
  const notes: string[] = [];
  if (board.arch !== facts.arch) throw new PickError(`board ${board.name} is ${board.arch}, the kernel is ${facts.arch}`);
  const out: Candidate[] = [];
  const base = (strategy: Strategy, algorithm: string, setting: string): Candidate => ({
    board: board.name,
    strategy,
    algorithm,
    setting,
    flash_bytes: null,
    ram_bytes: null,
    boot_ms: null,
    read_ms: null,
    decompress_ms: null,
    boot_source: '',
    unchecked: [],
    fits: false,
    reason: '',
    flash_headroom_bytes: null,
    ram_headroom_bytes: null,
    boot_headroom_ms: null,
    pareto: false,
    basis: '',
  });

  for (const m of measured) {
    // Self-decompressing image.
    const c = base('self-decompressing', m.algorithm, m.setting);
    const stub = chooseStub(facts, stubs, m.algorithm, m.payloadBytes);
    const unreadable =
      typeof stub !== 'string' && (stub.parts.kind === 'bzImage' || stub.parts.kind === 'zImage')
        ? formatProblem(m.setting, kernelDecompressorFormats(), "the kernel's boot decompressor")
        : null;
    if (typeof stub === 'string') {
      c.reason = stub;
    } else if (unreadable) {
      c.reason = `${m.algorithm}: ${unreadable}`;
    } else {
      const pred = predictImageBytes(stub.parts);
      c.flash_bytes = pred.imageBytes;
      c.basis = `${pred.rule}; stub: ${stub.basis}`;
      c.ram_bytes = selfDecompressingRam(facts, stub, m, pred.imageBytes);
      bootTime(c, board, pred.imageBytes, boardDecompressMs(board, m.algorithm, m, measured));
    }
    out.push(c);

    // Boot loader decompression (no stub).
    const supported = board.bootloader_decompression;
    if (!supported) continue;
    const b = base('bootloader', m.algorithm, m.setting);
    const entry = supported.map((e) => parseLoaderEntry(e, board.sources['bootloader_decompression'] ?? board.file)).find((e) => e.algorithm === m.algorithm);
    const unreadableByLoader = entry ? formatProblem(m.setting, entry.requirements, "the board's boot loader") : null;
    if (!entry) b.reason = `the board's boot loader does not decompress ${m.algorithm} (it takes ${supported.join(', ')})`;
    else if (unreadableByLoader) b.reason = `${m.algorithm}: ${unreadableByLoader}`;
    else {
      b.flash_bytes = m.payloadBytes;
      b.ram_bytes = m.payloadBytes + Math.max(m.outputBytes, facts.kernelMemoryBytes);
      b.basis = `payload only; RAM = payload + kernel (${facts.kernelMemorySource})`;
      bootTime(b, board, m.payloadBytes, boardDecompressMs(board, m.algorithm, m, measured));
    }
    out.push(b);
  }
  if (!board.bootloader_decompression) {
    const b = base('bootloader', 'any', '');
    b.reason = `${board.name}'s boot loader decompresses nothing (no bootloader_decompression in ${board.file})`;
    out.push(b);
  }

  // XIP and XIP with compressed data.
  const x = base('xip', 'none', 'none');
  const xd = base('xip-deflated-data', 'gzip', '');
  const xipArches = formatRules().xipArches;
  if (!board.xip) {
    x.reason = xd.reason = `${board.name} cannot execute in place (xip: false in ${board.file})`;
  } else if (!xipArches.includes(facts.arch)) {
    x.reason = xd.reason = `${facts.arch} has no XIP_KERNEL (only ${xipArches.join(', ')}: data/format-rules.csv)`;
  } else if (facts.sections.length === 0) {
    x.reason = xd.reason = 'the kernel has no section table to split into flash and RAM parts';
  } else {
    try {
      const p = predictXip(facts.sections);
      x.flash_bytes = p.flashBytes;
      x.ram_bytes = p.ramBytes;
      x.basis = `text ${fmt(p.flash.text)} + rodata ${fmt(p.flash.rodata)} + tables ${fmt(p.flash.ex_table_unwind)} + init ${fmt(p.flash.init_rom)} + data load image ${fmt(p.flash.data_load_image)} in flash; data, init data and bss in RAM`;
      x.read_ms = flashReadMs(board, p.flash.data_load_image);
      x.decompress_ms = 0;
      x.boot_ms = x.read_ms ?? 0;
      x.boot_source = 'no decompression (the data load image is copied)';
      if (facts.arch !== 'arm') xd.reason = `XIP_DEFLATED_DATA is an arm option (arch/arm/Kconfig); ${facts.arch} has none`;
      else if (facts.xipData) {
        xd.setting = formatRules().xipDataSetting;
        xd.flash_bytes = p.flashBytes - p.flash.data_load_image + facts.xipData.compressedBytes;
        xd.ram_bytes = p.ramBytes;
        xd.basis = `as xip, with the data load image as ${xd.setting} (${fmt(facts.xipData.compressedBytes)} bytes)`;
        const data = { payloadBytes: facts.xipData.compressedBytes, outputBytes: p.flash.data_load_image, hostDecompressMs: facts.xipData.hostDecompressMs };
        bootTime(xd, board, facts.xipData.compressedBytes, boardDecompressMs(board, 'gzip', data, measured));
      } else xd.reason = 'the data load image was not compressed (no XIP data measurement)';
    } catch (e) {
      x.reason = xd.reason = (e as Error).message;
    }
  }
  out.push(x, xd);
  if (x.flash_bytes !== null) {
    const slow = xipRuntime().filter((r) => r.metric.startsWith('lmbench'));
    notes.push(
      `XIP runs code from flash, which boot_ms does not count: ${slow.map((r) => `${r.metric.replace('lmbench_', '')} ${r.nonXip} -> ${r.xip} ${r.unit}`).join(', ')} on ${slow[0]?.platform ?? 'one board'} (${slow[0]?.source ?? 'data/xip-runtime.csv'})`,
    );
  }

  for (const c of out) judge(c, board);
  return { candidates: out, notes };
}

/** RAM a self-decompressing image needs while it starts. */
function selfDecompressingRam(facts: KernelFacts, stub: StubChoice, m: MeasuredPayload, imageBytes: number): number | null {
  switch (stub.parts.kind) {
    case 'bzImage': {
      // The image's own payload: its header says what it needs.
      const own = facts.own;
      if (own && own.initSize !== null && own.algorithm === m.algorithm && own.parts.payloadBytes === m.payloadBytes && own.outputBytes === m.outputBytes)
        return own.initSize;
      // arch/x86/boot/header.S: init_size = max(ZO_INIT_SIZE, VO_INIT_SIZE),
      // ZO_INIT_SIZE = (ZO__end - startup_32) + min_extract_offset.
      if (stub.zoOverhead === null) return null;
      const zo = stub.zoOverhead + m.payloadBytes + minExtractOffset(m.outputBytes, m.payloadBytes);
      return Math.max(zo, facts.kernelMemoryBytes);
    }
    case 'zImage':
      // arch/arm/boot/compressed/head.S: the decompressed Image and the
      // zImage (moved above it when they overlap) with its stack and heap.
      return Math.max(m.outputBytes + imageBytes + rule('arm_stack_bytes') + rule('arm_malloc_bytes'), facts.kernelMemoryBytes);
    case 'vmlinuz.efi':
      return imageBytes + Math.max(m.outputBytes, facts.kernelMemoryBytes);
    case 'Image':
      return m.payloadBytes + Math.max(m.outputBytes, facts.kernelMemoryBytes);
  }
}

/** Check a candidate against the board's limits: fits, reason, headroom, unchecked. */
function judge(c: Candidate, board: Board): void {
  if (c.reason) {
    c.fits = false;
    return;
  }
  const over: string[] = [];
  const name =
    c.strategy === 'xip'
      ? 'xip'
      : c.strategy === 'xip-deflated-data'
        ? 'xip with deflated data'
        : c.strategy === 'bootloader'
          ? `${c.algorithm} (boot loader)`
          : c.algorithm;
  const budget = board.imageBudgetBytes;
  if (budget === null) c.unchecked.push('flash');
  else if (c.flash_bytes !== null) {
    c.flash_headroom_bytes = budget - c.flash_bytes;
    const what = board.kernel_partition_bytes !== undefined ? `${fmt(budget)}-byte partition` : `${fmt(budget)} bytes of flash`;
    if (c.flash_headroom_bytes < 0) over.push(`${name}: ${fmt(-c.flash_headroom_bytes)} bytes over the ${what}`);
  }
  if (board.ram_bytes === undefined) c.unchecked.push('ram');
  else if (c.ram_bytes === null) c.unchecked.push('ram (not modelled for this image)');
  else {
    c.ram_headroom_bytes = board.ram_bytes - c.ram_bytes;
    if (c.ram_headroom_bytes < 0) over.push(`${name}: ${fmt(-c.ram_headroom_bytes)} bytes over the ${fmt(board.ram_bytes)} bytes of RAM`);
  }
  if (board.boot_budget_ms === undefined) c.unchecked.push('boot time');
  else if (c.boot_ms === null) c.unchecked.push('boot time (no speed for it)');
  else {
    c.boot_headroom_ms = board.boot_budget_ms - c.boot_ms;
    if (c.boot_headroom_ms < 0) over.push(`${name}: boot ${fmt(c.boot_ms)} ms, ${fmt(-c.boot_headroom_ms)} ms over the ${fmt(board.boot_budget_ms)} ms budget`);
  }
  if (c.read_ms === null && c.flash_bytes !== null) c.unchecked.push('storage read time (board has no flash_read_mb_s)');
  c.fits = over.length === 0;
  c.reason = over.join('; ');
}

/** a dominates b: no worse in every known objective, better in one. RAM and boot count only when both have them. */
function dominates(a: Candidate, b: Candidate): boolean {
  const keys: (keyof Candidate)[] = ['flash_bytes'];
  if (a.ram_bytes !== null && b.ram_bytes !== null) keys.push('ram_bytes');
  if (a.boot_ms !== null && b.boot_ms !== null) keys.push('boot_ms');
  let better = false;
  for (const k of keys) {
    const x = a[k] as number | null;
    const y = b[k] as number | null;
    if (x === null || y === null) return false;
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/** Mark the Pareto frontier among the candidates that fit. */
export function markPareto(candidates: Candidate[]): void {
  const fitting = candidates.filter((c) => c.fits && c.flash_bytes !== null);
  for (const c of candidates) c.pareto = fitting.includes(c) && !fitting.some((o) => o !== c && dominates(o, c));
}

/**
 * The recommendation: among the frontier, the fastest boot (candidates whose
 * boot time is known first), then the least flash, then the least RAM.
 */
export function recommend(candidates: readonly Candidate[]): { pick: Candidate | null; why: string } {
  const front = candidates.filter((c) => c.pareto);
  if (front.length === 0) {
    const over = candidates
      .filter((c) => c.flash_bytes !== null && c.reason)
      .sort((a, b) => (b.flash_headroom_bytes ?? -Infinity) - (a.flash_headroom_bytes ?? -Infinity));
    return {
      pick: null,
      why: over.length
        ? `nothing fits; the closest: ${over
            .slice(0, 3)
            .map((c) => c.reason)
            .join('; ')}`
        : 'no candidate could be evaluated',
    };
  }
  const sorted = [...front].sort(
    (a, b) =>
      (a.boot_ms === null ? 1 : 0) - (b.boot_ms === null ? 1 : 0) ||
      (a.boot_ms ?? 0) - (b.boot_ms ?? 0) ||
      a.flash_bytes! - b.flash_bytes! ||
      (a.ram_bytes ?? Infinity) - (b.ram_bytes ?? Infinity),
  );
  const p = sorted[0]!;
  const rest = sorted.length - 1;
  const by =
    p.boot_ms !== null
      ? `the fastest boot on the frontier (${fmt(p.boot_ms)} ms; ${p.boot_source})`
      : 'the least flash on the frontier (boot time unknown for every candidate on it)';
  return { pick: p, why: `${by}; ${rest} other frontier candidate(s)` };
}

/** Evaluate, mark the frontier, recommend. */
export function pick(input: PickInput): PickResult {
  const { candidates, notes } = evaluate(input);
  markPareto(candidates);
  const { pick: p, why } = recommend(candidates);
  return { board: input.board.name, recommendation: p, why, candidates, notes };
}
