// Pool worker entry point (piscina loads this file's default export).
// One cell: compress once (timed), decompress into a preallocated buffer,
// compare bytes, then time warm decompression repeatedly.

import { threadId, workerData } from 'node:worker_threads';
import { loadCodecApi } from './codec-api.js';
import { timeRepeated, hrClock } from '../measure/timing.js';
import { median, mad } from '../measure/stats.js';
import { FAULT_EXIT_CODE, type CellMeasurement, type CellTask } from './task.js';

const data = (workerData ?? {}) as { codecModule?: string };
const codecs = await loadCodecApi(data.codecModule);

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

export default function runCell(task: CellTask): CellMeasurement {
  const startedAt = new Date().toISOString();
  const setting = codecs.parseSetting(task.spec);
  const input = new Uint8Array(task.input.buffer, task.input.offset, task.input.length);

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
  const { samplesMs } = timeRepeated(() => {
    const n = codecs.decompressInto(setting, compressed, out);
    if (n !== input.length) badLength = n;
  }, task.timing);
  if (badLength >= 0) {
    throw new RoundTripError(`decompression of ${setting.key} gave ${badLength} bytes on a timed run, expected ${input.length}`);
  }

  return {
    compressedBytes: compressed.length,
    compressMs,
    decompressMsMedian: median(samplesMs),
    decompressMsMad: mad(samplesMs),
    decompressRuns: samplesMs.length,
    verified: true,
    worker: threadId,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}
