// kzbench corpus list | kzbench corpus fetch [NAME...]
import { cachedKernels, CorpusError, releaseOf } from '../corpus/debian.js';
import { cachedEntry, corpusKernel, findEntry, loadManifest } from '../corpus/manifest.js';
import { bytesText, table } from './format.js';
import { statSync } from 'node:fs';

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
