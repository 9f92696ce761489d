// One decode by a kernel decoder (build.ts): the compressed bytes and the
// original handed to its harness program, which decompresses with the
// kernel's own code, checks the output byte for byte and times each run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KzError } from '../errors.js';
import { mad, median } from '../measure/stats.js';
import type { TimingOptions } from '../measure/timing.js';

export class KernelDecodeError extends KzError {
  override name = 'KernelDecodeError';
}

export interface KernelDecodeSample {
  wallMs: number;
  cpuMs: number;
  /** Involuntary context switches of the decoding thread during the run. */
  nivcsw: number;
}

export interface KernelDecode {
  samples: KernelDecodeSample[];
  /** Median and MAD of the runs' thread CPU time, ms (the decoder's own time, whatever else ran). */
  cpuMsMedian: number;
  cpuMsMad: number;
  wallMsMedian: number;
  /** Output bytes per second of CPU time, in MB/s. */
  mbPerS: number;
}

/** Decode COMPRESSED with PROGRAM and compare with ORIGINAL; a failure or a difference is a KernelDecodeError. */
export function kernelDecode(
  program: string,
  compressed: Uint8Array,
  original: Uint8Array,
  timing: Pick<TimingOptions, 'minRuns' | 'minTimeMs' | 'maxTimeMs'>,
): KernelDecode {
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-kdecode-'));
  try {
    writeFileSync(join(dir, 'in'), compressed);
    writeFileSync(join(dir, 'want'), original);
    const r = spawnSync(program, [join(dir, 'in'), join(dir, 'want'), String(timing.minRuns), String(timing.minTimeMs), String(timing.maxTimeMs)], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    if (r.error) throw new KernelDecodeError(`cannot run the kernel decoder: ${r.error.message}`, program);
    if (r.status !== 0) {
      const why = r.stderr.trim().split('\n')[0] || `exit ${r.status ?? r.signal}`;
      throw new KernelDecodeError(r.status === 4 ? `output differs from the original: ${why}` : why, program);
    }
    const samples = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('run '))
      .map((l) => {
        const [, wall, cpu, sw] = l.split(' ');
        return { wallMs: Number(wall), cpuMs: Number(cpu), nivcsw: Number(sw) };
      });
    if (!samples.length || !/^ok \d+$/m.test(r.stdout)) throw new KernelDecodeError('the harness reported no verified run', program);
    const cpu = samples.map((s) => s.cpuMs);
    const cpuMsMedian = median(cpu);
    return {
      samples,
      cpuMsMedian,
      cpuMsMad: mad(cpu),
      wallMsMedian: median(samples.map((s) => s.wallMs)),
      mbPerS: cpuMsMedian > 0 ? original.length / 1e6 / (cpuMsMedian / 1e3) : Infinity,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
