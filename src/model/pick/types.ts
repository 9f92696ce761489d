// What pick takes and returns, and the one interface every strategy meets.

import { KzError } from '../../errors.js';
import type { Board } from '../boards.js';
import type { ImageParts } from '../image-size.js';
import type { StubAlgorithm, StubRow } from '../stubs.js';
import type { XipSectionInput } from '../xip.js';

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
  /** The data load image compressed with the XIP data setting, when measured. */
  xipData?: { compressedBytes: number };
}

export interface Candidate {
  board: string;
  strategy: Strategy;
  algorithm: string;
  setting: string;
  flash_bytes: number | null;
  ram_bytes: number | null;
  /** Boot = read + decompress, ms; _low/_high: its range from the figures' uncertainty. */
  boot_ms: number | null;
  boot_ms_low: number | null;
  boot_ms_high: number | null;
  /** Parts of boot_ms: reading storage, decompressing. */
  read_ms: number | null;
  read_ms_low: number | null;
  read_ms_high: number | null;
  decompress_ms: number | null;
  decompress_ms_low: number | null;
  decompress_ms_high: number | null;
  /** Where the decompression speed came from. */
  boot_source: string;
  /** How each part of boot_ms was obtained: the read speed and the decompression figures. */
  boot_basis: string;
  /** Place by boot time among the fitting candidates whose boot time is known (1 = fastest); null otherwise. */
  boot_rank: number | null;
  /** Fitting candidates whose order against this one the figures' ranges cannot decide ("strategy:setting"). */
  boot_within_range_of: string[];
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

export interface PickInput {
  board: Board;
  facts: KernelFacts;
  measured: readonly MeasuredPayload[];
  stubs: readonly StubRow[];
}

/** What a strategy sees: the pick's input, and the notes it may add to the result. */
export interface StrategyContext extends PickInput {
  notes: string[];
}

/**
 * One way of storing and starting the kernel. pick asks every strategy, in
 * table order, for its candidates for each measured payload (in the order
 * measured), then for the candidates that depend on no payload; that order
 * is the order of the candidates in the result, model.csv and the table.
 */
export interface PickStrategy {
  readonly name: Strategy;
  /** Candidates for one measured payload; none when the strategy does not use payloads. */
  forPayload(ctx: StrategyContext, m: MeasuredPayload): Candidate[];
  /** Candidates that depend on no payload (XIP; the boot loader when it decompresses nothing). */
  forBoard(ctx: StrategyContext): Candidate[];
}
