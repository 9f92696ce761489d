// Load a suite file: YAML parsed with node positions, checked by the zod
// schema (every mistake reported with its path and line:col), hashed.
import { createHash } from 'node:crypto';
import { MAX_YAML_FILE, readUtf8Input } from '../files.js';
import { basename, dirname, extname, resolve } from 'node:path';
import { loadManifest, type CorpusEntry } from '../corpus/manifest.js';
import { byPosition, LocatedDocument, YamlFileError } from '../located.js';
import { DEFAULT_MAX_CELLS, suiteSchema, suiteShape, type Suite } from './schema.js';

export class SuiteError extends YamlFileError {
  override name = 'SuiteError';
}

export interface LoadedSuite {
  /** The file as given. */
  file: string;
  text: string;
  doc: LocatedDocument;
  suite: Suite;
  /** `name:` or the file's base name. */
  name: string;
  /** sha256 of the validated suite as canonical JSON: comments and layout do not change it. */
  hash: string;
  corpus: CorpusEntry[];
  baseDir: string;
  /** The cell limit it was checked against; expandSuite holds to it too. */
  maxCells: number;
}

/** JSON with object keys sorted, so equal data gives equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function suiteHash(suite: Suite): string {
  return createHash('sha256').update(canonicalJson(suite)).digest('hex');
}

export interface SuiteOptions {
  corpus?: CorpusEntry[];
  /** Where relative image paths start (default: the file's directory). */
  baseDir?: string;
  /** Most cells the suite may expand to (default DEFAULT_MAX_CELLS; `kzbench run --max-cells`). */
  maxCells?: number;
}

/** Check suite text; throws SuiteError listing every problem with its location. */
export function parseSuite(text: string, file: string, options: SuiteOptions = {}): LoadedSuite {
  const doc = new LocatedDocument(file, text);
  if (doc.syntaxProblems.length) throw new SuiteError(file, doc.syntaxProblems);
  const corpus = options.corpus ?? loadManifest();
  const baseDir = options.baseDir ?? dirname(resolve(file));
  let value: unknown;
  try {
    value = doc.value();
  } catch (e) {
    if (e instanceof YamlFileError) throw new SuiteError(file, e.problems);
    throw e;
  }
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new SuiteError(file, [
      { file, line: 1, col: 1, path: '', message: 'a suite is a mapping with images:, settings: and optionally units:, timing:, workers:, boards:' },
    ]);
  }
  const foreign = doc.notA(value, 'suite', Object.keys(suiteShape));
  if (foreign) throw new SuiteError(file, [foreign]);
  const maxCells = options.maxCells ?? DEFAULT_MAX_CELLS;
  const parsed = suiteSchema({ corpusNames: corpus.map((c) => c.name), baseDir, maxCells }).safeParse(value);
  if (!parsed.success) throw new SuiteError(file, doc.zodProblems(parsed.error.issues).sort(byPosition));
  const suite = parsed.data;
  return { file, text, doc, suite, name: suite.name ?? basename(file, extname(file)), hash: suiteHash(suite), corpus, baseDir, maxCells };
}

/** Read and check a suite file; `baseDir` (default: the file's directory) is where relative image paths start. */
export function loadSuite(file: string, options: SuiteOptions = {}): LoadedSuite {
  return parseSuite(readUtf8Input(file, 'suite file', MAX_YAML_FILE), file, options);
}
