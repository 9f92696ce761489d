// Codec settings as users name them (--codec, suite entries), resolved for
// one image. One place decides what a bare algorithm name means: under the
// kernel profile it is the kernel build's own command for the image's arch,
// version and Thumb-2 choice; otherwise the library's default.
import { kernelAlgorithms, kernelProfile, parseSetting, type KernelTarget } from '../codecs/index.js';
import { isAlgorithm } from '../codecs/types.js';
import type { KernelImage } from '../image/index.js';
import { KzError } from '../errors.js';

/** Every setting spec that parseSetting refused, with its message. */
export class SettingsError extends KzError {
  override name = 'SettingsError';
  constructor(readonly problems: { spec: string; message: string }[]) {
    super(`invalid codec setting${problems.length > 1 ? 's' : ''}:\n` + problems.map((p) => `  ${p.spec}: ${p.message}`).join('\n'));
  }

  override lines(): string[] {
    return this.problems.map((p) => `--codec ${p.spec}: ${p.message}`);
  }
}

export type Profile = 'kernel' | 'none';
export const PROFILES: readonly Profile[] = ['kernel', 'none'];

/** What the kernel build's compression depends on, as the image (and its .config) tell it. */
export function kernelTarget(img: KernelImage): KernelTarget {
  return { arch: img.arch, kernelVersion: img.version ?? undefined, thumb2: img.config?.thumb2 ?? false, bigEndian: !img.littleEndian };
}

/**
 * Check specs before any work: bare algorithm names under the kernel
 * profile wait for the image; everything else must parse now. Every problem
 * is reported at once (SettingsError), not the first.
 */
export function checkSpecs(specs: readonly string[], profile: Profile): void {
  const problems: { spec: string; message: string }[] = [];
  for (const spec of specs) {
    if (profile === 'kernel' && isAlgorithm(spec)) continue;
    try {
      parseSetting(spec);
    } catch (e) {
      problems.push({ spec, message: (e as Error).message });
    }
  }
  if (problems.length) throw new SettingsError(problems);
}

/** The canonical setting key a spec means for this image. */
export function resolveSpec(spec: string, img: KernelImage, profile: Profile): string {
  return profile === 'kernel' && isAlgorithm(spec) ? kernelProfile(spec, kernelTarget(img)).key : parseSetting(spec).key;
}

/** The settings a run covers: every --codec, or every algorithm the arch supports, resolved for the image. */
export function resolveSettings(img: KernelImage, codecs: string[] | undefined, profile: Profile): string[] {
  checkSpecs(codecs ?? [], profile);
  const specs = codecs && codecs.length > 0 ? codecs : kernelAlgorithms(img.arch);
  return [...new Set(specs.map((spec) => resolveSpec(spec, img, profile)))];
}
