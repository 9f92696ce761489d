// Regenerates data/kernel-decoder-instructions.csv: for each arch of
// data/kernel-decoder.csv, a real Debian kernel of that arch (its whole
// unit, as its build compresses it) compressed with each of the arch's
// kernel profiles, then decoded once by the kernel's own decompressor of
// the kernel's version, built for that arch with its boot flags and the
// kernel's .config, and the instructions counted exactly under QEMU
// (src/kdecoder/count.ts). Instruction counts do not depend on the load of
// the machine, so this can run anywhere.
//
// usage: node dist/scripts/kernel-decoder-counts.js [ARCH...]
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { compress, kernelAlgorithms, kernelProfile, parseSetting } from '../src/codecs/index.js';
import { corpusKernel, findEntry, loadManifest } from '../src/corpus/manifest.js';
import { openKernelImage } from '../src/image/index.js';
import { kernelTarget } from '../src/run/settings.js';
import { wholeUnit } from '../src/units/index.js';
import { bootFlags, kernelDecoders } from '../src/kdecoder/build.js';
import { countInstructions, insnCounter } from '../src/kdecoder/count.js';
import { debianKernelSource, kernelSeries } from '../src/kdecoder/source.js';
import { projectPath } from '../src/project.js';

/** The corpus kernel (corpora/manifest.yaml) each arch's counts are measured on: Debian 12, or 13 where 12 has none. */
const KERNELS: Record<string, string> = {
  x86_64: 'debian12-amd64',
  i386: 'debian12-i386',
  arm: 'debian12-armmp',
  arm64: 'debian12-arm64',
  riscv64: 'debian13-riscv64',
};

const COLUMNS = [
  'arch',
  'algorithm',
  'setting',
  'kernel_package',
  'kernel_version',
  'kernel_source',
  'output_bytes',
  'compressed_bytes',
  'instructions',
  'instructions_per_output_byte',
  'method',
  'error',
  'date',
] as const;

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(s + '\n');
  const out = projectPath('data', 'kernel-decoder-instructions.csv');
  const only = process.argv.slice(2);
  const counter = await insnCounter(log);
  const rows: Record<string, string | number>[] = [];
  const date = new Date().toISOString().slice(0, 10);
  const manifest = loadManifest();
  for (const [arch, name] of Object.entries(KERNELS)) {
    if (only.length && !only.includes(arch)) continue;
    let kernel;
    try {
      kernel = corpusKernel(findEntry(manifest, name), log);
    } catch (e) {
      // the archive does not serve it here: the row says so
      rows.push({ arch, algorithm: '', setting: '', kernel_package: name, method: counter.method, error: (e as Error).message.split('\n')[0]!, date });
      log(`${arch}: ${(e as Error).message}`);
      continue;
    }
    const img = openKernelImage(kernel.image, { configPath: kernel.config ?? undefined });
    const original = wholeUnit(img).bytes;
    const source = debianKernelSource(kernelSeries(img.version ?? kernel.version), log);
    const kd = kernelDecoders(source, arch, kernel.config ? readFileSync(kernel.config, 'utf8') : '', log);
    const always = bootFlags(arch).size_append === 'always';
    for (const alg of kernelAlgorithms(img.arch)) {
      const profile = parseSetting(kernelProfile(alg, kernelTarget(img)).key);
      // EFI zboot appends the size to every payload but gzip's (which carries its own)
      const setting = always && alg !== 'gzip' && !profile.params['size_append'] ? parseSetting(`${profile.key},size_append`).key : profile.key;
      const base = {
        arch,
        algorithm: alg,
        setting,
        kernel_package: kernel.package,
        kernel_version: kernel.version,
        kernel_source: source.origin,
        method: counter.method,
        date,
      };
      try {
        const t0 = Date.now();
        const packed = compress(parseSetting(setting), original);
        const t1 = Date.now();
        const n = countInstructions(counter, kd, alg, packed, original);
        log(
          `${arch} ${alg}: ${n.toLocaleString('en-US')} instructions, ${(n / original.length).toFixed(3)} per byte (compress ${t1 - t0} ms, count ${Date.now() - t1} ms)`,
        );
        rows.push({
          ...base,
          output_bytes: original.length,
          compressed_bytes: packed.length,
          instructions: n,
          instructions_per_output_byte: Number((n / original.length).toFixed(4)),
          error: '',
        });
      } catch (e) {
        rows.push({ ...base, error: (e as Error).message.split('\n')[0]! });
        log(`${arch} ${alg}: ${(e as Error).message}`);
      }
    }
  }
  // Rows of arches not measured this time are kept.
  let kept: string[] = [];
  try {
    kept = readFileSync(out, 'utf8').trim().split('\n').slice(1);
  } catch {
    // first run
  }
  const measured = new Set(rows.map((r) => String(r['arch'])));
  const keep = kept.filter((l) => !measured.has(l.split(',')[0]!));
  const text = stringify([[...COLUMNS], ...rows.map((r) => COLUMNS.map((c) => r[c] ?? ''))]);
  const [header, ...fresh] = text.trim().split('\n');
  writeFileSync(out, [header, ...keep, ...fresh].join('\n') + '\n');
  log(`wrote ${out}`);
}

await main();
