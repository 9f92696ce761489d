// corpora/manifest.yaml: real kernels named by distribution package (never
// the binaries), and the cache that holds what was fetched.
import { MAX_YAML_FILE, readUtf8Input } from '../files.js';
import { z } from 'zod';
import { byPosition, LocatedDocument, strictObject, YamlFileError } from '../located.js';
import { findRelease } from './apt.js';
import { cachedKernel, CorpusError, fetchDebianKernel, type CachedKernel, type FetchedKernel, type Pin } from './debian.js';
import { projectPath } from '../project.js';

export const CORPUS_NAME = /^[a-z0-9][a-z0-9._-]*$/;

const entrySchema = strictObject({
  distribution: z
    .string()
    .regex(/^debian-\d+$/, { error: 'expected a Debian release such as debian-13 (data/debian-releases.csv)' })
    .optional(),
  version: z
    .string()
    .regex(/^(\d+:)?[0-9][A-Za-z0-9.+~-]*$/, { error: 'expected a Debian package version such as 6.12.118-1' })
    .optional(),
  package: z.string().regex(/^[a-z0-9][a-z0-9.+-]+$/, { error: 'expected a Debian package name such as linux-image-amd64' }),
  arch: z.string().regex(/^[a-z0-9]+$/, { error: 'expected a Debian architecture such as amd64, arm64, armhf' }),
  description: z.string().optional(),
});

const manifestSchema = strictObject({
  kernels: z.record(z.string().regex(CORPUS_NAME, { error: 'a corpus name is lower case letters, digits, ".", "_" and "-"' }), entrySchema),
});

export interface CorpusEntry {
  name: string;
  package: string;
  arch: string;
  /** The Debian release the kernel must come from (default: this machine's). */
  distribution?: string;
  /** An exact package version, when the entry pins one. */
  version?: string;
  description?: string;
}

/** The release and version an entry pins. */
export function entryPin(e: CorpusEntry): Pin {
  return { release: e.distribution, version: e.version };
}

/** The repository's corpora/manifest.yaml (from dist/src/corpus or src/corpus). */
export function defaultManifestPath(): string {
  return projectPath('corpora', 'manifest.yaml');
}

/** Read and check a manifest; every mistake is reported with its location (YamlFileError). */
export function loadManifest(path = defaultManifestPath()): CorpusEntry[] {
  const text = readUtf8Input(path, 'corpus manifest', MAX_YAML_FILE);
  const doc = new LocatedDocument(path, text);
  if (doc.syntaxProblems.length) throw new YamlFileError(path, doc.syntaxProblems);
  const value = doc.value();
  const foreign = doc.notA(value, 'corpus manifest', Object.keys(manifestSchema.shape));
  if (foreign) throw new YamlFileError(path, [foreign]);
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) throw new YamlFileError(path, doc.zodProblems(parsed.error.issues).sort(byPosition));
  const entries = Object.entries(parsed.data.kernels).map(([name, e]) => ({ name, ...e }));
  for (const e of entries) {
    if (!e.distribution) continue;
    try {
      findRelease(e.distribution);
    } catch (err) {
      throw new YamlFileError(path, [doc.problem(['kernels', e.name, 'distribution'], (err as Error).message)]);
    }
  }
  return entries;
}

export function findEntry(entries: readonly CorpusEntry[], name: string): CorpusEntry {
  const e = entries.find((x) => x.name === name);
  if (!e) throw new CorpusError(`no corpus kernel named "${name}"; known: ${entries.map((x) => x.name).join(', ')}`);
  return e;
}

/** The cached kernel of an entry (newest version), without touching apt. */
export function cachedEntry(e: CorpusEntry): CachedKernel | undefined {
  return cachedKernel(e.package, e.arch, entryPin(e));
}

/**
 * The kernel of a corpus entry: the package's current version, fetched into
 * the cache when missing; the newest cached one when apt cannot resolve or
 * download it (offline), saying why.
 */
export function corpusKernel(e: CorpusEntry, log: (s: string) => void = () => {}): FetchedKernel {
  return fetchDebianKernel(e.package, e.arch, log, entryPin(e));
}
