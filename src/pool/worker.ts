// Pool worker entry point (piscina loads this file's default export).
// One cell: compress once (timed), decompress into a preallocated buffer,
// compare bytes, then time warm decompression repeatedly.

import { threadId, workerData } from 'node:worker_threads';
import { loadCodecApi } from './codec-api.js';
import { timeSamples, hrClock, wallOnlyClock, type ThreadClock, type TimingOptions } from '../measure/timing.js';
import { median } from '../measure/stats.js';
import { summarizeSamples, withNeighbours } from '../measure/disturbance.js';
import { threadClock } from '../codecs/native.js';
import { FAULT_EXIT_CODE, type CellMeasurement, type CellTask, type KernelDecodeMeasurement, type SharedBytes } from './task.js';
import { kernelDecode } from '../kdecoder/run.js';
import type { SettingLike } from './codec-api.js';
import { TimingGate } from './timing-gate.js';

const data = (workerData ?? {}) as { codecModule?: string; timingGate?: SharedArrayBuffer };
const codecs = await loadCodecApi(data.codecModule);
const clock: ThreadClock = threadClock() ?? wallOnlyClock;
const gate = data.timingGate ? new TimingGate(data.timingGate) : undefined;

/** ms the current cell waited for its gate slot. */
let gateWaitMs = 0;

/** The timed loop of a cell and the summary of its samples (src/measure/disturbance.ts). */
function timeDecodes(fn: () => void, timing: TimingOptions) {
  const before = gate?.othersCores ?? 0;
  const t = timeSamples(fn, timing, clock);
  const othersCores = Math.max(before, gate?.othersCores ?? 0);
  const summary = summarizeSamples(t.samples, t.epsilonMs, timing.minRuns);
  return { ...summary, quality: withNeighbours(summary.quality, othersCores), othersCores, samples: t.samples.length, gateWaitMs };
}

export class RoundTripError extends Error {
  override name = 'RoundTripError';
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

function view(b: SharedBytes): Uint8Array {
  return new Uint8Array(b.buffer, b.offset, b.length);
}

/** Compress once, decompress once and compare: the compressed size of verified bytes. */
function verifiedSize(setting: SettingLike, input: Uint8Array, what: string): number {
  const compressed = codecs.compress(setting, input);
  const out = new Uint8Array(input.length + 1);
  const written = codecs.decompressInto(setting, compressed, out);
  if (written !== input.length || !sameBytes(out.subarray(0, written), input)) {
    throw new RoundTripError(`round trip mismatch for ${setting.key} on ${what}: decoded ${written} bytes, expected ${input.length}`);
  }
  return compressed.length;
}

/** The fields every verified cell reports. */
function measurement(compressedBytes: number, compressMs: number, t: ReturnType<typeof timeDecodes>, startedAt: string): CellMeasurement {
  return {
    compressedBytes,
    compressMs,
    decompressMsMedian: t.wallMsMedian,
    decompressMsMad: t.wallMsMad,
    decompressRuns: t.runs,
    timing: {
      cpuMsMedian: t.cpuMsMedian,
      cpuMsMad: t.cpuMsMad,
      disturbed: t.disturbed,
      outliers: t.outliers,
      nivcsw: t.nivcsw,
      quality: t.quality,
      othersCores: t.othersCores,
      samples: t.samples,
      gateWaitMs: t.gateWaitMs,
    },
    verified: true,
    worker: threadId,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}

/**
 * A block cell: compress every block on its own (timed together), verify
 * each round trip, then time warm decompression of all blocks in sequence,
 * one sample per block per run, until the timing rule is met for the runs.
 */
function runBlocks(task: CellTask, setting: SettingLike, input: Uint8Array, startedAt: string): CellMeasurement {
  const ends = task.blocks!;
  const blocks: Uint8Array[] = [];
  let lo = 0;
  for (const end of ends) {
    if (!(Number.isInteger(end) && end > lo && end <= input.length))
      throw new RangeError(`block end ${end} after ${lo} is outside the ${input.length}-byte unit`);
    blocks.push(input.subarray(lo, end));
    lo = end;
  }
  if (lo !== input.length) throw new RangeError(`blocks end at ${lo}, the unit has ${input.length} bytes`);

  const c0 = hrClock();
  const compressed = blocks.map((b) => codecs.compress(setting, b));
  const compressMs = Number(hrClock() - c0) / 1e6;

  if (task.fault === 'exit') process.exit(FAULT_EXIT_CODE);
  if (task.fault === 'throw') throw new Error('injected fault (test hook): worker threw mid-cell');

  const largest = blocks.reduce((m, b) => Math.max(m, b.length), 0);
  const out = new Uint8Array(largest + 1);
  blocks.forEach((b, i) => {
    const written = codecs.decompressInto(setting, compressed[i]!, out);
    if (written !== b.length || !sameBytes(out.subarray(0, written), b)) {
      throw new RoundTripError(
        `round trip mismatch for ${setting.key} in block ${i} of ${blocks.length}: decoded ${written} bytes, expected ${b.length}` +
          (written === b.length ? `, first difference at byte ${firstDifference(out.subarray(0, written), b)}` : ''),
      );
    }
  });

  const perBlock: number[][] = blocks.map(() => []);
  let badBlock = -1;
  const timed = timeDecodes(() => {
    for (let i = 0; i < blocks.length; i++) {
      const t0 = hrClock();
      const n = codecs.decompressInto(setting, compressed[i]!, out);
      perBlock[i]!.push(Number(hrClock() - t0) / 1e6);
      if (n !== blocks[i]!.length) badBlock = i;
    }
  }, task.timing);
  if (badBlock >= 0) throw new RoundTripError(`decompression of ${setting.key} gave the wrong length for block ${badBlock} on a timed run`);

  return {
    ...measurement(
      compressed.reduce((n, c) => n + c.length, 0),
      compressMs,
      timed,
      startedAt,
    ),
    blocks: { compressedBytes: compressed.map((c) => c.length), decompressMsMedian: perBlock.map((s) => median(s)) },
    ...(task.alongside ? { alongsideCompressedBytes: verifiedSize(setting, view(task.alongside), 'the bytes alongside the blocks') } : {}),
  };
}

/**
 * The whole cell holds a slot of the pool's gate (src/pool/timing-gate.ts),
 * so no more cells of ours run at once than there are cores nobody else
 * uses. A worker that dies holding it has it given back by the pool.
 */
export default function runCell(task: CellTask): CellMeasurement {
  if (!gate) return runCellHeld(task);
  const holder = task.gateHolder ?? -1;
  const w0 = hrClock();
  gate.acquire(holder);
  gateWaitMs = Number(hrClock() - w0) / 1e6;
  try {
    return runCellHeld(task);
  } finally {
    gate.release(holder);
  }
}

function runCellHeld(task: CellTask): CellMeasurement {
  const startedAt = new Date().toISOString();
  const setting = codecs.parseSetting(task.spec);
  const input = new Uint8Array(task.input.buffer, task.input.offset, task.input.length);
  if (task.blocks) return runBlocks(task, setting, input, startedAt);

  const c0 = hrClock();
  const compressed = codecs.compress(setting, input);
  const c1 = hrClock();
  const compressMs = Number(c1 - c0) / 1e6;

  if (task.fault === 'exit') process.exit(FAULT_EXIT_CODE);
  if (task.fault === 'throw') throw new Error('injected fault (test hook): worker threw mid-cell');

  // One spare byte: a decoder producing more than the unit is caught, not truncated.
  const out = new Uint8Array(input.length + 1);
  const written = codecs.decompressInto(setting, compressed, out);
  const decoded = out.subarray(0, written);
  if (written !== input.length || !sameBytes(decoded, input)) {
    throw new RoundTripError(
      `round trip mismatch for ${setting.key}: decoded ${written} bytes, expected ${input.length}` +
        (written === input.length ? `, first difference at byte ${firstDifference(decoded, input)}` : ''),
    );
  }

  // Warm, repeated decompression into the same buffer: no allocation in the loop.
  let badLength = -1;
  const timed = timeDecodes(() => {
    const n = codecs.decompressInto(setting, compressed, out);
    if (n !== input.length) badLength = n;
  }, task.timing);
  if (badLength >= 0) {
    throw new RoundTripError(`decompression of ${setting.key} gave ${badLength} bytes on a timed run, expected ${input.length}`);
  }

  return {
    ...measurement(compressed.length, compressMs, timed, startedAt),
    ...(task.alongside ? { alongsideCompressedBytes: verifiedSize(setting, view(task.alongside), 'the bytes alongside the unit') } : {}),
    ...(task.kernelDecoder ? { kernel: kernelMeasurement(task.kernelDecoder, compressed, input, task.timing) } : {}),
  };
}

/**
 * The same compressed bytes decoded by the kernel's own decompressor, in
 * its harness (still holding this cell's slot): verified byte for byte and
 * timed by its thread CPU time. Its failure (a setting the kernel's
 * decoder does not read) is the row's note, not the cell's failure.
 */
function kernelMeasurement(program: string, compressed: Uint8Array, input: Uint8Array, timing: TimingOptions): KernelDecodeMeasurement {
  try {
    const r = kernelDecode(program, compressed, input, timing);
    return { cpuMsMedian: r.cpuMsMedian, cpuMsMad: r.cpuMsMad, runs: r.samples.length };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
