// `decoder: kernel` (a suite key, `--decoder kernel` on run): each cell's
// compressed bytes are decoded by the kernel's own decompressor too. Per
// image, the decompressors are built (src/kdecoder) from the kernel source
// of its version, or the tree given, with this machine's boot flags and the
// image's own .config, and each cell of an algorithm with one gets its
// program.
import { readFileSync } from 'node:fs';
import { parseSetting } from '../codecs/index.js';
import { KzError } from '../errors.js';
import { hostArch, kernelDecoders, type KernelDecoders } from '../kdecoder/build.js';
import { debianKernelSource, kernelSeries, kernelTree } from '../kdecoder/source.js';
import type { Cell } from '../run/index.js';
import type { SuiteImage } from './expand.js';

/** What run.json records of the kernel decoders a run used, per image. */
export interface KernelDecoderInfo {
  image: string;
  source: string;
  version: string;
  arch: string;
  cflags: string;
  built: string[];
  failed: Record<string, string>;
}

/** Attach the kernel decoder of each cell's image and algorithm; what was built, for run.json. */
export function attachKernelDecoders(cells: Cell[], images: readonly SuiteImage[], options: { tree?: string; log?: (s: string) => void }): KernelDecoderInfo[] {
  const log = options.log ?? (() => {});
  const byImage = new Map<string, KernelDecoders>();
  const info: KernelDecoderInfo[] = [];
  for (const img of images) {
    if (byImage.has(img.sha256)) continue;
    if (!img.config) {
      throw new KzError(
        `decoder: kernel needs the image's .config (its BCJ filter, word size and unaligned access decide how the kernel's decompressors are built): give config: with the image`,
        img.path,
      );
    }
    const version = img.image.version ?? img.image.release;
    if (!options.tree && !version)
      throw new KzError('the image does not say its kernel version: give kernel_source: (a kernel tree) for decoder: kernel', img.path);
    const source = options.tree ? kernelTree(options.tree) : debianKernelSource(kernelSeries(version!), log);
    const kd = kernelDecoders(source, hostArch(), readFileSync(img.config, 'utf8'), log);
    byImage.set(img.sha256, kd);
    info.push({
      image: img.path,
      source: source.origin,
      version: source.version,
      arch: kd.arch,
      cflags: kd.cflags,
      built: Object.keys(kd.programs),
      failed: kd.failed,
    });
  }
  for (const cell of cells) {
    const sha = cell.unit.image?.sha256 ?? images[0]?.sha256;
    const kd = sha ? byImage.get(sha) : undefined;
    const program = kd?.programs[parseSetting(cell.setting).algorithm];
    if (kd && program) cell.kernelDecoder = { program, label: `linux ${kd.source.version} ${kd.arch}` };
  }
  return info;
}
