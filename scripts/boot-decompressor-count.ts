// Regenerates data/boot-decompressor-instructions.csv: for each x86 bzImage,
// the instructions its real boot decompressor executes (booted under
// qemu-system-x86_64, src/kdecoder/boot.ts) beside the instructions the
// kernel decoder harness executes on the same payload (the kernel's
// decompressor of the same version, built with the same boot flags and the
// image's .config, src/kdecoder/count.ts). Matching counts show the harness
// runs what the boot runs. Images: Debian's amd64 kernel (corpus
// debian12-amd64) and the tinyconfig bzImages scripts/measure-stubs keeps in
// ~/.cache/kzbench/stubs/images (with their .config in ../logs).
//
// usage: node dist/scripts/boot-decompressor-count.js [IMAGE:CONFIG ...]
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { cacheDir } from '../src/corpus/debian.js';
import { corpusKernel, findEntry, loadManifest } from '../src/corpus/manifest.js';
import { openKernelImage } from '../src/image/index.js';
import { countBootDecompressor } from '../src/kdecoder/boot.js';
import { hostArch, kernelDecoders } from '../src/kdecoder/build.js';
import { countInstructions, insnCounter } from '../src/kdecoder/count.js';
import { debianKernelSource, kernelSeries } from '../src/kdecoder/source.js';
import { projectPath } from '../src/project.js';

const COLUMNS = [
  'image',
  'image_sha256_16',
  'algorithm',
  'kernel_version',
  'boot_instructions',
  'harness_instructions',
  'harness_over_boot',
  'begin',
  'end',
  'kernel_source',
  'method',
  'date',
] as const;

async function main(): Promise<void> {
  const log = (s: string) => process.stderr.write(s + '\n');
  const counter = await insnCounter(log);
  const pairs: { image: string; config: string; name: string }[] = [];
  const args = process.argv.slice(2);
  if (args.length) for (const a of args) pairs.push({ image: a.split(':')[0]!, config: a.split(':')[1]!, name: a.split(':')[0]! });
  else {
    const k = corpusKernel(findEntry(loadManifest(), 'debian12-amd64'), log);
    pairs.push({ image: k.image, config: k.config!, name: `debian12-amd64 ${k.package} ${k.version}` });
    const dir = join(cacheDir(), 'stubs', 'images');
    if (existsSync(dir)) {
      for (const f of readdirSync(dir)
        .filter((x) => /^x86_64-tiny-\w+\.bzImage$/.test(x))
        .sort()) {
        const alg = f.replace(/^x86_64-tiny-(\w+)\.bzImage$/, '$1');
        pairs.push({
          image: join(dir, f),
          config: join(cacheDir(), 'stubs', 'logs', `x86_64-tiny-${alg.toUpperCase()}.config`),
          name: `x86_64 tinyconfig ${alg}`,
        });
      }
    }
  }
  const rows: Record<string, string | number>[] = [];
  const date = new Date().toISOString().slice(0, 10);
  for (const p of pairs) {
    const img = openKernelImage(p.image, { configPath: p.config });
    if (!img.payload) throw new Error(`${p.image}: no compressed payload`);
    const stored = readFileSync(p.image).subarray(img.payload.offset, img.payload.offset + img.payload.storedBytes);
    const source = debianKernelSource(kernelSeries(img.version ?? img.release ?? ''), log);
    const kd = kernelDecoders(source, hostArch(), readFileSync(p.config, 'utf8'), log);
    const boot = countBootDecompressor(counter, p.image);
    const harness = countInstructions(counter, kd, img.payload.algorithm, stored, img.kernel);
    log(
      `${p.name}: boot ${boot.instructions.toLocaleString('en-US')}, harness ${harness.toLocaleString('en-US')} (${((harness / boot.instructions) * 100).toFixed(2)}%)`,
    );
    rows.push({
      image: p.name,
      image_sha256_16: (await import('node:crypto')).createHash('sha256').update(readFileSync(p.image)).digest('hex').slice(0, 16),
      algorithm: img.payload.algorithm,
      kernel_version: img.release ?? '',
      boot_instructions: boot.instructions,
      harness_instructions: harness,
      harness_over_boot: Number((harness / boot.instructions).toFixed(4)),
      begin: boot.begin,
      end: boot.end,
      kernel_source: source.origin,
      method: `${counter.method}; boot: qemu-system-x86_64 -kernel IMAGE -append nokaslr, counted from code32_start to the decompressed kernel's first instruction`,
      date,
    });
  }
  writeFileSync(projectPath('data', 'boot-decompressor-instructions.csv'), stringify([[...COLUMNS], ...rows.map((r) => COLUMNS.map((c) => r[c] ?? ''))]));
  log('wrote data/boot-decompressor-instructions.csv');
}

await main();
