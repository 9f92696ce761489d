// npm run bench [-- --mb N] [--workers N] [--skip-compress] [--skip-codecs] [--skip-pool]
//                   [--skip-busy] [--busy-min-time MS] [--busy-scenarios quiet,burner,per-core,workers1] [--skip-kernel-decoder]
//
// Side by side in one run, on the same bytes (the decompressed payload of
// Debian's amd64 kernel, fetched by package name into the cache):
//  1. per algorithm, the kernel build's setting: compress and decompress
//     throughput in process (our addon) against the native tool the build
//     calls, as ratios (in-process speed / tool speed; > 1 means faster);
//  2. the worker pool's speedup from 1 to N workers on a sweep of sections;
//  3. `kzbench run` quiet and beside CPU burners: reported and CPU-time
//     speeds against quiet, and whether the disturbed cells were flagged
//     (bench/busy.ts);
//  4. per algorithm, the kernel's own decompressor against the library
//     decoder, and both against gzip beside Terrell's published ratios
//     (bench/kernel-decoder.ts).
// The tool side reads a file in the page cache and writes to /dev/null, so
// it pays for a process start and pipe copies; the in-process side pays for
// neither. Both are what a user of each would get.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compress, decompressInto, kernelProfile, parseSetting, backendVersions, type Algorithm } from '../src/codecs/index.js';
import { fetchDebianKernel } from '../src/corpus/debian.js';
import { openKernelImage } from '../src/image/index.js';
import { median } from '../src/measure/stats.js';
import { runCells, type Cell } from '../src/run/index.js';
import { sectionUnits } from '../src/units/index.js';
import { busyBench, SCENARIOS, type Scenario } from './busy.js';
import { kernelDecoderBench } from './kernel-decoder.js';

const { values: args } = parseArgs({
  options: {
    mb: { type: 'string' },
    workers: { type: 'string' },
    image: { type: 'string' },
    'skip-compress': { type: 'boolean' },
    'skip-pool': { type: 'boolean' },
    'skip-codecs': { type: 'boolean' },
    runs: { type: 'string' },
    'skip-busy': { type: 'boolean' },
    'skip-kernel-decoder': { type: 'boolean' },
    'busy-min-time': { type: 'string' },
    'busy-scenarios': { type: 'string' },
  },
});

/** The kernel build's commands for x86_64 at 6.1 (scripts/Makefile.lib, scripts/xz_wrap.sh), without size_append; test/codecs-exactness pins that our profile gives the same bytes. */
const TOOLS: Record<Algorithm, { compress: string; decompress: string }> = {
  gzip: { compress: 'gzip -n -f -9', decompress: 'gzip -dc' },
  bzip2: { compress: 'bzip2 -9', decompress: 'bzip2 -dc' },
  lzma: { compress: 'lzma -9', decompress: 'lzma -dc' },
  xz: { compress: 'xz --check=crc32 --x86 --lzma2=,dict=32MiB', decompress: 'xz -dc --single-stream' },
  lzo: { compress: 'lzop -9', decompress: 'lzop -dc' },
  lz4: { compress: 'lz4 -l -9', decompress: 'lz4 -dc' },
  zstd: { compress: 'zstd -22 --ultra', decompress: 'zstd -dc' },
};

function ms(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function sh(cmd: string): void {
  const r = spawnSync('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr.toString().trim()}`);
}

const fmt = (n: number, d = 1) => n.toFixed(d);

async function main(): Promise<void> {
  const path = args.image ?? fetchDebianKernel('linux-image-amd64', 'amd64', (s) => console.error(s)).image;
  const img = openKernelImage(path);
  const all = img.kernel;
  const data = args.mb ? all.subarray(0, Math.min(all.length, Number(args.mb) * 1e6)) : all;
  const runs = Number(args.runs ?? 5);
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-bench-'));
  const raw = join(dir, 'unit');
  writeFileSync(raw, data);
  console.log(`# kzbench bench: ${path} (${img.release}), ${data.length.toLocaleString('en-US')} bytes of the decompressed payload`);
  console.log(`# ${cpus()[0]?.model}, ${availableParallelism()} CPUs, node ${process.version}; backends ${JSON.stringify(backendVersions())}`);
  if (!args['skip-codecs']) codecTable(data, raw, dir, runs);
  rmSync(dir, { recursive: true, force: true });
  if (!args['skip-pool']) await poolSpeedup(img);
  if (!args['skip-busy']) {
    const scenarios = args['busy-scenarios']?.split(',').filter(Boolean);
    const bad = scenarios?.find((x) => !(SCENARIOS as readonly string[]).includes(x));
    if (bad) throw new Error(`--busy-scenarios: ${bad} is not one of ${SCENARIOS.join(', ')}`);
    busyBench({
      image: path,
      ...(args['busy-min-time'] !== undefined ? { minTimeMs: Number(args['busy-min-time']) } : {}),
      ...(scenarios ? { scenarios: scenarios as Scenario[] } : {}),
    });
  }
  // Debian's amd64 kernel with its .config, which the kernel decoders are built with.
  if (!args['skip-kernel-decoder']) await kernelDecoderBench();
}

function codecTable(data: Uint8Array, raw: string, dir: string, runs: number): void {
  console.log('');
  console.log('## In process vs the native tool (kernel profile, x86_64 6.1), median of ' + runs + ' decompressions, 1 compression each');
  console.log('');
  console.log(
    '| algorithm | backend | compressed bytes | compress in-process s | compress tool s | compress ratio | decompress in-process MB/s | decompress tool MB/s | decompress ratio |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const short: string[] = [];
  for (const algorithm of Object.keys(TOOLS) as Algorithm[]) {
    const profile = kernelProfile(algorithm, { arch: 'x86_64', kernelVersion: '6.1.0' });
    const setting = parseSetting(profile.key.replace(/,size_append\b/, ''));
    const tool = TOOLS[algorithm];
    let packed!: Uint8Array;
    const cIn = ms(() => {
      packed = compress(setting, data);
    });
    const file = join(dir, `unit.${algorithm}`);
    writeFileSync(file, packed);
    const cTool = args['skip-compress'] ? NaN : ms(() => sh(`${tool.compress} < ${raw} > /dev/null`));
    const out = new Uint8Array(data.length + 1);
    decompressInto(setting, packed, out); // warm
    if (!Buffer.from(out.buffer, 0, data.length).equals(Buffer.from(data.buffer, data.byteOffset, data.length)))
      throw new Error(`${algorithm}: round trip differs`);
    sh(`${tool.decompress} < ${file} > /dev/null`); // warm
    const dIn: number[] = [];
    const dTool: number[] = [];
    for (let i = 0; i < runs; i++) {
      dIn.push(ms(() => decompressInto(setting, packed, out)));
      dTool.push(ms(() => sh(`${tool.decompress} < ${file} > /dev/null`)));
    }
    const mbIn = data.length / 1e6 / (median(dIn) / 1000);
    const mbTool = data.length / 1e6 / (median(dTool) / 1000);
    const ratio = mbIn / mbTool;
    if (ratio < 0.9) short.push(`${algorithm} (${fmt(ratio, 2)}x)`);
    console.log(
      `| ${algorithm} | ${setting.backend} | ${packed.length.toLocaleString('en-US')} | ${fmt(cIn / 1000, 2)} | ${fmt(cTool / 1000, 2)} | ${fmt(cTool / cIn, 2)}x | ${fmt(mbIn, 0)} | ${fmt(mbTool, 0)} | ${fmt(ratio, 2)}x |`,
    );
  }
  console.log('');
  console.log(
    short.length
      ? `In-process decompression below 0.9x of the tool: ${short.join(', ')}`
      : 'In-process decompression is at least 0.9x of the tool for every algorithm.',
  );
}

async function poolSpeedup(img: ReturnType<typeof openKernelImage>): Promise<void> {
  const n = Number(args.workers ?? availableParallelism());
  const units = sectionUnits(img).map((u) => ({ name: u.name, bytes: u.bytes, kind: u.kind, offset: u.offset }));
  const settings = ['gzip:6', 'lz4:legacy,9', 'zstd:3', 'zstd:19', 'lzo:1', 'bzip2:9', 'xz:6'];
  const cells: Cell[] = units.flatMap((unit) => settings.map((setting) => ({ unit, setting })));
  const timing = { minRuns: 3, minTimeMs: 0 };
  console.log('');
  console.log(`## Pool speedup: ${cells.length} cells (${units.length} sections x ${settings.length} settings), 3 timed decompressions each`);
  const wall: Record<number, number> = {};
  for (const workers of [1, n]) {
    const t0 = performance.now();
    const r = await runCells(cells, { workers, timing });
    wall[workers] = performance.now() - t0;
    if (r.failed) throw new Error(`${r.failed} cells failed`);
    console.log(`- ${workers} worker(s): ${fmt(wall[workers]! / 1000, 1)} s, ${r.rows.filter((x) => x.verified).length} verified rows`);
  }
  console.log(`- speedup ${n} workers over 1: ${fmt(wall[1]! / wall[n]!, 2)}x`);
}

await main();
