// kzbench corpus list | kzbench corpus fetch [NAME...]
import { cachedKernels, CorpusError, releaseOf } from '../corpus/debian.js';
import { cachedEntry, corpusKernel, findEntry, loadManifest } from '../corpus/manifest.js';
import { bytesText, table } from './format.js';
import { readFileSync, statSync } from 'node:fs';
import { backendVersions, kernelProfile } from '../codecs/index.js';
import { hostDebArch } from '../corpus/common.js';
import { releaseTool } from '../corpus/libraries.js';
import { releaseCompressor, reproduce, systemCompressor, type Compressor } from '../corpus/reproduce.js';
import { openKernelImage } from '../image/index.js';
import { kernelTarget } from '../run/settings.js';

export interface CorpusOptions {
  manifest?: string;
  json?: boolean;
}

/** Fetch the named kernels (default: all); each one's outcome on a line. Exit 1 if any could not be had. */
export function corpusFetchCommand(names: string[], opts: CorpusOptions): number {
  const entries = loadManifest(opts.manifest);
  const wanted = names.length ? names.map((n) => findEntry(entries, n)) : entries;
  const log = (s: string) => process.stderr.write(`  ${s}\n`);
  let failed = 0;
  for (const e of wanted) {
    process.stderr.write(`${e.name}: ${e.package}:${e.arch} from ${e.distribution ?? "this machine's release"}${e.version ? ` at ${e.version}` : ''}\n`);
    try {
      const k = corpusKernel(e, log);
      const how = k.outcome === 'fetched' ? 'fetched' : k.outcome === 'cached' ? 'already cached' : 'could not get the current version; older cached one kept';
      process.stdout.write(
        `${e.name}: ${k.package} ${k.version} ${k.arch} (${how}) ${k.image} sha256 ${k.image_sha256}${k.release ? ` (${k.release}${k.suite ? ` ${k.suite}` : ''})` : ''}\n`,
      );
    } catch (err) {
      failed++;
      process.stdout.write(`${e.name}: FAILED: ${(err as Error).message}\n`);
    }
  }
  if (failed === wanted.length && failed > 0) throw new CorpusError(`no kernel could be fetched (${failed} failed)`);
  return failed ? 1 : 0;
}

export function corpusListCommand(opts: CorpusOptions): number {
  const entries = loadManifest(opts.manifest);
  const cached = cachedKernels();
  const rows = entries.map((e) => ({ name: e.name, package: e.package, arch: e.arch, release: e.distribution, version: e.version, kernel: cachedEntry(e) }));
  const known = new Set(rows.map((r) => r.kernel?.image).filter(Boolean));
  const others = cached.filter((k) => !known.has(k.image));
  if (opts.json) {
    process.stdout.write(JSON.stringify({ manifest: rows, other_cached: others }, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(
    table(
      ['name', 'package', 'arch', 'cached version', 'image', 'bytes', 'sha256', 'release'],
      rows.map((r) => [
        r.name,
        r.package,
        r.arch,
        r.kernel ? `${r.kernel.package} ${r.kernel.version}` : '(not cached: kzbench corpus fetch ' + r.name + ')',
        r.kernel?.image ?? '',
        r.kernel ? statSync(r.kernel.image).size.toLocaleString('en-US') : '',
        r.kernel ? r.kernel.image_sha256.slice(0, 16) : '',
        r.kernel ? (releaseOf(r.kernel) ?? '') : (r.release ?? ''),
      ]),
      [false, false, false, false, false, true, false, false],
    ) + '\n',
  );
  for (const k of others) process.stdout.write(`also cached: ${k.package} ${k.version} ${k.arch} ${k.image} (${bytesText(statSync(k.image).size)})\n`);
  return 0;
}

export interface ReproduceOptions extends CorpusOptions {
  /** Whose library compresses: the system's (kzbench's backend), the kernel's release's, or both (default). */
  libs?: string;
}

/**
 * kzbench corpus reproduce NAME: does the kernel profile reproduce the
 * shipped payload, with the system's library and with the release's own
 * tool and library, and if not, why. Exit 0 when reproduced, 1 when not.
 */
export function corpusReproduceCommand(name: string, opts: ReproduceOptions): number {
  const libs = opts.libs ?? 'both';
  if (!['system', 'release', 'both'].includes(libs)) throw new CorpusError(`--libs ${libs}: allowed: system, release, both`);
  const e = findEntry(loadManifest(opts.manifest), name);
  const log = (s: string) => process.stderr.write(`  ${s}\n`);
  const k = corpusKernel(e, log);
  const img = openKernelImage(k.image, { configPath: k.config ?? undefined });
  const p = img.payload;
  if (!p) throw new CorpusError(`${k.image}: ${img.format} has no compressed payload: nothing to reproduce`);
  const setting = kernelProfile(p.algorithm, kernelTarget(img));
  const shipped = readFileSync(k.image).subarray(p.offset, p.offset + p.compressedBytes);
  const release = k.release ?? e.distribution;
  const compressors: Compressor[] = [];
  if (libs !== 'release') compressors.push(systemCompressor(setting, backendVersions()[setting.backend] ?? '?'));
  if (libs !== 'system') {
    if (!release) throw new CorpusError(`${name}: which Debian release the kernel came from is not known; give the entry a distribution:`);
    compressors.push(releaseCompressor(setting, release, hostDebArch(), log));
  }
  process.stderr.write(`${name}: ${k.package} ${k.version}: ${p.algorithm} payload of ${p.compressedBytes} bytes; kernel profile ${setting.key}\n`);
  const r = reproduce(img.kernel, shipped, setting, compressors);
  if (opts.json)
    process.stdout.write(JSON.stringify({ name, package: k.package, version: k.version, release, image_sha256: k.image_sha256, ...r }, null, 2) + '\n');
  else {
    for (const a of r.attempts)
      process.stdout.write(
        `${a.by}: ${a.command}: ${a.bytes.toLocaleString('en-US')} bytes, ${a.identical ? 'byte for byte identical' : `differs from byte ${a.firstDifference}`} (shipped ${r.shippedBytes.toLocaleString('en-US')})\n`,
      );
    process.stdout.write(`${name}: ${r.verdict}\n`);
  }
  return r.attempts.some((a) => a.identical) ? 0 : 1;
}

/** kzbench corpus libs RELEASE [ALGORITHM...]: fetch a release's tools and libraries into the cache, one line each. Exit 1 if any cannot run here. */
export function corpusLibsCommand(release: string, algorithms: string[], opts: { arch?: string }): number {
  const wanted = algorithms.length ? algorithms : ['zstd', 'xz', 'lz4', 'gzip', 'bzip2', 'lzo'];
  const log = (s: string) => process.stderr.write(`  ${s}\n`);
  let failed = 0;
  for (const alg of wanted) {
    try {
      const t = releaseTool(release, alg, opts.arch ?? hostDebArch(), log);
      process.stdout.write(
        `${release} ${alg}: ${t.tool.package} ${t.tool.version} with ${t.library.package} ${t.library.version} (${t.tool.suite}): ${t.versionLine}\n`,
      );
    } catch (e) {
      failed++;
      process.stdout.write(`${release} ${alg}: FAILED: ${(e as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}
