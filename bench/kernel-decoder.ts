// npm run bench -- --kernel-decoder   (or: node dist/bench/kernel-decoder.js [--image FILE] [--min-time MS] [--csv FILE] [--repeat N])
//
// Side by side in one run, on the same bytes (Debian's amd64 kernel, each
// of the seven kernel profiles): the library decoder kzbench times (thread
// CPU time, in process) against the kernel's own decompressor of the
// image's version (src/kdecoder, thread CPU time, in its harness), each as
// MB/s and relative to gzip, beside the published ratios of the kernel's
// decompressors (data/published-decompression.csv: Terrell 2017).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { stringify } from 'csv-stringify/sync';
import { parseArgs } from 'node:util';
import { compress, decompressInto, kernelAlgorithms, kernelProfile, parseSetting } from '../src/codecs/index.js';
import { corpusKernel, findEntry, loadManifest } from '../src/corpus/manifest.js';
import { openKernelImage } from '../src/image/index.js';
import { hostArch, kernelDecoders } from '../src/kdecoder/build.js';
import { kernelDecode } from '../src/kdecoder/run.js';
import { debianKernelSource, kernelSeries } from '../src/kdecoder/source.js';
import { publishedMeasurements } from '../src/model/published.js';
import { kernelTarget } from '../src/run/settings.js';
import { wholeUnit } from '../src/units/index.js';
import { threadClock } from '../src/codecs/native.js';
import { median } from '../src/measure/stats.js';

const log = (s: string) => process.stderr.write(s + '\n');

export interface KernelDecoderBenchOptions {
  image?: string;
  config?: string;
  minTimeMs?: number;
  minRuns?: number;
  /** Also write the kernel decoder's times here (data/host-kernel-decoder-times.csv: the x86 branch-miss cost is fitted on it). */
  csv?: string;
  /** Rounds of timing every algorithm (the table shows each one's median). */
  repeat?: number;
}

/** Thread CPU ms of each run of FN, until minRuns runs and minTimeMs of wall time. */
function cpuRuns(fn: () => void, minRuns: number, minTimeMs: number): number[] {
  const clock = threadClock();
  if (!clock) throw new Error('the addon has no thread clock: rebuild it (npm run install)');
  const t = new BigInt64Array(3);
  const out: number[] = [];
  const start = Date.now();
  while (out.length < minRuns || Date.now() - start < minTimeMs) {
    clock(t);
    const c0 = t[1]!;
    fn();
    clock(t);
    out.push(Number(t[1]! - c0) / 1e6);
    if (Date.now() - start > 20_000) break;
  }
  return out;
}

export async function kernelDecoderBench(opts: KernelDecoderBenchOptions = {}): Promise<void> {
  const minTimeMs = opts.minTimeMs ?? 1000;
  const minRuns = opts.minRuns ?? 5;
  let image = opts.image;
  let config = opts.config;
  if (!image) {
    const k = corpusKernel(findEntry(loadManifest(), 'debian12-amd64'), log);
    image = k.image;
    config = k.config ?? undefined;
  }
  if (!config) throw new Error('the kernel decoder needs the image .config: --config FILE');
  const img = openKernelImage(image, { configPath: config });
  const original = wholeUnit(img).bytes;
  const source = debianKernelSource(kernelSeries(img.version ?? img.release ?? ''), log);
  const kd = kernelDecoders(source, hostArch(), readFileSync(config, 'utf8'), log);
  const published = publishedMeasurements().filter((r) => r.source_id === 'terrell-2017');
  type Row = { run: number; alg: string; setting: string; bytes: number; lib: number; kern: number; kernMs: number; pub: number | undefined };
  const payloads = kernelAlgorithms(img.arch).map((alg) => {
    const setting = parseSetting(kernelProfile(alg, kernelTarget(img)).key);
    return { alg, setting, packed: compress(setting, original) };
  });
  const runs: Row[] = [];
  const repeat = opts.repeat ?? 1;
  // Every algorithm once per round, rounds one after another: a slow spell of the machine lands on one round, not on one algorithm.
  for (let run = 1; run <= repeat; run++) {
    for (const { alg, setting, packed } of payloads) {
      const out = new Uint8Array(original.length + 1);
      const lib = median(cpuRuns(() => decompressInto(setting, packed, out), minRuns, minTimeMs));
      const k = kernelDecode(kd.programs[alg]!, packed, original, { minRuns, minTimeMs, maxTimeMs: 20_000 });
      const mb = original.length / 1e6;
      runs.push({
        run,
        alg,
        setting: setting.key,
        bytes: packed.length,
        lib: mb / (lib / 1e3),
        kern: k.mbPerS,
        kernMs: k.cpuMsMedian,
        pub: Number(published.find((p) => p.algorithm === alg)?.mb_s) || undefined,
      });
      log(`round ${run}, ${alg}: library ${(mb / (lib / 1e3)).toFixed(0)} MB/s, kernel decoder ${k.mbPerS.toFixed(0)} MB/s`);
    }
  }
  // the table: each algorithm's median over the rounds
  const rows = payloads.map(({ alg }) => {
    const mine = runs.filter((r) => r.alg === alg);
    return { ...mine[0]!, lib: median(mine.map((r) => r.lib)), kern: median(mine.map((r) => r.kern)) };
  });
  if (opts.csv) {
    const cpu = cpus()[0];
    const date = new Date().toISOString().slice(0, 10);
    const out = runs.map((r) => ({
      run: r.run,
      arch: hostArch(),
      algorithm: r.alg,
      setting: r.setting,
      output_bytes: original.length,
      compressed_bytes: r.bytes,
      kernel_decoder_ms: Number(r.kernMs.toFixed(3)),
      kernel_decoder_mb_s: Number(r.kern.toFixed(1)),
      cpu: cpu?.model ?? '',
      cpu_mhz: cpu?.speed ?? '',
      kernel_source: source.origin,
      method: `node dist/bench/kernel-decoder.js --csv FILE --repeat ${repeat} (thread CPU time, median of at least ${minRuns} runs and ${minTimeMs} ms per round, nothing else running)`,
      date,
    }));
    writeFileSync(opts.csv, stringify(out, { header: true }));
    log(`wrote ${opts.csv}`);
  }
  const g = rows.find((r) => r.alg === 'gzip')!;
  const f = (n: number) => n.toFixed(n >= 100 ? 0 : 1);
  const rel = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(2) : '-');
  console.log(`\nkernel decoder bench: ${image} (${original.length.toLocaleString('en-US')} bytes), ${source.origin}, thread CPU time`);
  console.log(
    '| algorithm | compressed bytes | library MB/s | kernel decoder MB/s | kernel / library | library vs gzip | kernel decoder vs gzip | Terrell 2017 vs gzip |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.alg} | ${r.bytes.toLocaleString('en-US')} | ${f(r.lib)} | ${f(r.kern)} | ${rel(r.kern, r.lib)} | ${rel(r.lib, g.lib)} | ${rel(r.kern, g.kern)} | ${rel(r.pub, g.pub)} |`,
    );
  }
}

if (process.argv[1]?.endsWith('kernel-decoder.js')) {
  const { values: a } = parseArgs({
    options: {
      image: { type: 'string' },
      config: { type: 'string' },
      'min-time': { type: 'string' },
      'min-runs': { type: 'string' },
      csv: { type: 'string' },
      repeat: { type: 'string' },
    },
  });
  await kernelDecoderBench({
    ...(a.image ? { image: a.image } : {}),
    ...(a.config ? { config: a.config } : {}),
    ...(a['min-time'] ? { minTimeMs: Number(a['min-time']) } : {}),
    ...(a['min-runs'] ? { minRuns: Number(a['min-runs']) } : {}),
    ...(a.csv ? { csv: a.csv } : {}),
    ...(a.repeat ? { repeat: Number(a.repeat) } : {}),
  });
}
