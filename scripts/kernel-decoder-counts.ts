// Regenerates data/kernel-decoder-instructions.csv: for each arch of
// data/kernel-decoder.csv, a real Debian kernel of that arch (its whole
// unit, as its build compresses it) compressed with each of the arch's
// kernel profiles, then decoded once by the kernel's own decompressor of
// the kernel's version, built for that arch with its boot flags and the
// kernel's .config, and the instructions counted exactly under QEMU
// (src/kdecoder/count.ts), with its conditional branches and how many a
// gshare predictor mispredicts. These counts do not depend on the load of
// the machine, so this can run anywhere.
//
// usage: node dist/scripts/kernel-decoder-counts.js [ARCH...]
import { readFileSync, writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import { ALGORITHMS, compress, kernelAlgorithms, kernelProfile, parseSetting } from '../src/codecs/index.js';
import { corpusKernel, findEntry, loadManifest } from '../src/corpus/manifest.js';
import { openKernelImage } from '../src/image/index.js';
import { kernelTarget } from '../src/run/settings.js';
import { wholeUnit } from '../src/units/index.js';
import { bootFlags, kernelDecoders } from '../src/kdecoder/build.js';
import { countDecode, insnCounter } from '../src/kdecoder/count.js';
import { debianKernelSource, kernelSeries } from '../src/kdecoder/source.js';
import { projectPath } from '../src/project.js';
import { guarded } from '../src/cli/guarded.js';

/**
 * What each row of data/kernel-decoder-instructions.csv measures: the corpus
 * kernel (corpora/manifest.yaml; Debian 12, or 13 where 12 has none), the
 * row of data/kernel-decoder.csv whose flags build its decoders (the row's
 * own name when not given), and a change to the kernel's .config.
 */
const TARGETS: Record<string, { kernel: string; flags?: string; config?: (c: string) => string }> = {
  x86_64: { kernel: 'debian12-amd64' },
  i386: { kernel: 'debian12-i386' },
  arm: { kernel: 'debian12-armmp' },
  // ARMv7 as kernels before unaligned access built it: the decoders'
  // byte-wise paths, no unaligned loads from the compiler either (the
  // published 2010-2013 ARM figures; data/kernel-decoder.csv).
  'arm-aligned': { kernel: 'debian12-armmp', config: (c) => c.replace(/^CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS=y$/m, '') },
  'arm-thumb2': { kernel: 'debian12-armmp', config: (c) => c + 'CONFIG_THUMB2_KERNEL=y\n' },
  // a Cortex-M (no MMU) kernel: Thumb-2, no HAVE_EFFICIENT_UNALIGNED_ACCESS (arch/arm/Kconfig selects it only with an MMU)
  armv7m: { kernel: 'debian12-armmp', config: (c) => c.replace(/^CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS=y$/m, '') + 'CONFIG_THUMB2_KERNEL=y\n' },
  armv5te: { kernel: 'debian12-marvell' },
  arm64: { kernel: 'debian12-arm64' },
  riscv64: { kernel: 'debian13-riscv64' },
};

const COLUMNS = [
  'arch',
  'flags',
  'algorithm',
  'setting',
  'kernel_package',
  'kernel_version',
  'kernel_source',
  'output_bytes',
  'compressed_bytes',
  'image_format',
  'instructions',
  'instructions_per_output_byte',
  'conditional_branches',
  'mispredicted',
  'mispredicted_per_output_byte',
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
  for (const [arch, { kernel: name, flags = arch, config: edit = (c: string) => c }] of Object.entries(TARGETS)) {
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
    const kd = kernelDecoders(source, flags, edit(kernel.config ? readFileSync(kernel.config, 'utf8') : ''), log);
    const always = bootFlags(flags).size_append === 'always';
    const own = kernelAlgorithms(img.arch);
    // All seven decoders on every arch: an algorithm the arch's image cannot
    // use (arm has no bzip2 or zstd zImage) is compressed as x86's build does
    // it, and its decoder is the same lib/ file a boot loader or initramfs uses.
    for (const alg of ALGORITHMS) {
      const target = own.includes(alg) ? kernelTarget(img) : { ...kernelTarget(img), arch: 'x86_64' };
      const profile = parseSetting(kernelProfile(alg, target).key);
      // EFI zboot appends the size to every payload but gzip's (which carries its own)
      const setting = always && alg !== 'gzip' && !profile.params['size_append'] ? parseSetting(`${profile.key},size_append`).key : profile.key;
      const base = {
        arch,
        flags,
        algorithm: alg,
        setting,
        kernel_package: kernel.package,
        kernel_version: kernel.version,
        kernel_source: source.origin,
        image_format: own.includes(alg) ? 'yes' : `no (setting of x86's build)`,
        method: counter.method,
        date,
      };
      try {
        const t0 = Date.now();
        const packed = compress(parseSetting(setting), original);
        const t1 = Date.now();
        const counted = countDecode(counter, kd, alg, packed, original);
        const n = counted.instructions;
        log(
          `${arch} ${alg}: ${n.toLocaleString('en-US')} instructions, ${(n / original.length).toFixed(3)} per byte, ${(counted.mispredicted / original.length).toFixed(4)} mispredicted branches per byte (compress ${t1 - t0} ms, count ${Date.now() - t1} ms)`,
        );
        rows.push({
          ...base,
          output_bytes: original.length,
          compressed_bytes: packed.length,
          instructions: n,
          instructions_per_output_byte: Number((n / original.length).toFixed(4)),
          conditional_branches: counted.conditionalBranches,
          mispredicted: counted.mispredicted,
          mispredicted_per_output_byte: Number((counted.mispredicted / original.length).toFixed(5)),
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

await guarded(undefined, main);
