// Read a results directory into a Report: results.csv (required), run.json
// (what produced it), model.csv (optional, the model's candidates), and, for
// each image, its arch, release and shipped algorithm, which decide the
// kernel's default setting.
//
// Where the image facts come from, first found wins:
//   1. run.json fields for its image (`payload_algorithm`, `arch`, `release`,
//      `thumb2`) when run.json's image_sha256 is the image's, or an
//      `images: [{image_sha256, ...}]` list;
//   2. the image file itself, read with the image reader, when it is still at
//      the recorded path and its sha256 matches;
//   3. nothing: the report says the default is unknown.
// `baseline` (an algorithm name) overrides the shipped algorithm.

import { KzError } from '../errors.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isAlgorithm } from '../codecs/index.js';
import { openKernelImage } from '../image/index.js';
import { forEachResultRow } from '../results/reader.js';
import { readRunJson, type RunJson } from '../results/run-json.js';
import { readModelCsv, type ModelResults } from './model.js';
import { CellCollector } from './cells.js';
import { reportTimingWarning, summarizeCells, type ImageContext, type Summary } from './summary.js';

export interface RunInfo {
  kzbenchVersion?: string;
  node?: string;
  cpuModel?: string;
  cpuCount?: number;
  start?: string;
  end?: string;
  interrupted: boolean;
  command?: string;
  backends: Record<string, string>;
}

export interface Report extends Summary {
  dir: string;
  run: RunInfo | null;
  model: ModelResults | null;
  /** Things the reader should know: dropped torn line, unknown columns, skipped model rows. */
  notes: string[];
  /** Said once, above everything: figures taken on a busy machine, disturbed or wide cells (summary.ts reportTimingWarning). */
  timingWarning?: string;
}

export interface BuildOptions {
  /** Compare with this algorithm's kernel profile instead of the shipped algorithm's. */
  baseline?: string;
  /** Read image files to learn facts run.json lacks (default true). */
  readImages?: boolean;
}

export class ReportError extends KzError {
  override name = 'ReportError';
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

function runInfo(run: RunJson): RunInfo {
  const cmd = run.command ?? run.command_line?.slice(2);
  return {
    kzbenchVersion: str(run.kzbench_version),
    node: str(run.node_version),
    cpuModel: str(run.cpu_model),
    cpuCount: typeof run.cpu_count === 'number' ? run.cpu_count : undefined,
    start: str(run.start),
    end: str(run.end),
    interrupted: run.interrupted === true,
    command: cmd ? `kzbench ${cmd.join(' ')}` : undefined,
    backends: run.backend_versions ?? {},
  };
}

/** Image facts run.json records, keyed by image sha256. */
function contextsFromRun(run: RunJson | undefined): Map<string, ImageContext> {
  const out = new Map<string, ImageContext>();
  if (!run) return out;
  const take = (o: Record<string, unknown>, source: string) => {
    const sha = str(o['image_sha256']) ?? str(o['sha256']);
    if (!sha) return;
    const shipped = o['payload_algorithm'] ?? o['shipped_algorithm'];
    // run.json's top-level `arch` is the host's unless the run recorded the
    // image's (the CLI does, with release and image_format beside it).
    const imageArch = source === 'run.json' ? (str(o['release']) || str(o['image_format']) ? str(o['arch']) : undefined) : str(o['arch']);
    const ctx: ImageContext = {
      ...(imageArch ? { arch: imageArch } : {}),
      ...(str(o['release']) ? { release: str(o['release']) } : {}),
      ...(o['thumb2'] === true ? { thumb2: true } : {}),
      ...(shipped === null || typeof shipped === 'string' ? { shippedAlgorithm: shipped as string | null } : {}),
      source,
    };
    out.set(sha, ctx);
  };
  take(run, 'run.json');
  const images = run['images'];
  if (Array.isArray(images)) for (const im of images) if (im && typeof im === 'object') take(im as Record<string, unknown>, 'run.json images');
  return out;
}

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Arch, release and shipped algorithm from the image file, if it is the same file. */
function contextFromImage(path: string, sha: string): ImageContext | undefined {
  try {
    if (!existsSync(path) || !statSync(path).isFile() || sha256Of(path) !== sha) return undefined;
    const img = openKernelImage(path);
    const shipped = img.payload?.algorithm ?? (img.config?.compression && isAlgorithm(img.config.compression) ? img.config.compression : null);
    return {
      ...(img.arch !== 'unknown' ? { arch: img.arch } : {}),
      ...(img.release ? { release: img.release } : {}),
      ...(img.config?.thumb2 ? { thumb2: true } : {}),
      shippedAlgorithm: shipped,
      source: 'the image file',
    };
  } catch {
    return undefined;
  }
}

/** IMAGES: sha256 -> path, of the images with verified rows. */
function resolveContexts(images: ReadonlyMap<string, string>, run: RunJson | undefined, options: BuildOptions): Map<string, ImageContext> {
  const fromRun = contextsFromRun(run);
  const out = new Map<string, ImageContext>();
  for (const [sha, path] of images) {
    let ctx = fromRun.get(sha) ?? {};
    const complete = ctx.arch !== undefined && ctx.shippedAlgorithm !== undefined;
    if (!complete && options.readImages !== false) {
      const fromFile = contextFromImage(path, sha);
      if (fromFile) ctx = { ...fromFile, ...ctx, source: ctx.source ? `${ctx.source} and the image file` : fromFile.source };
    }
    if (options.baseline) ctx = { ...ctx, shippedAlgorithm: options.baseline, source: `${ctx.source ?? 'nothing'}; default chosen with --baseline` };
    out.set(sha, ctx);
  }
  return out;
}

/** Everything the Markdown and HTML renderings need, from a results directory. */
export function buildReport(dir: string, options: BuildOptions = {}): Report {
  if (options.baseline !== undefined && !isAlgorithm(options.baseline)) {
    throw new ReportError(`--baseline ${options.baseline}: not an algorithm (gzip, bzip2, lzma, xz, lzo, lz4, zstd)`);
  }
  const csv = join(dir, 'results.csv');
  if (!existsSync(csv)) {
    throw new ReportError(existsSync(dir) ? `${dir}: no results.csv here; make one with \`kzbench run --out ${dir}\`` : `${dir}: no such directory`);
  }
  // Streamed: each row is checked and cut down to its cell as it passes (a malformed row is a one-line KzError naming FILE:LINE).
  const cells = new CellCollector();
  const parsed = forEachResultRow(csv, (r) => cells.add(r));
  const notes: string[] = [];
  if (parsed.droppedPartialLine) notes.push('results.csv ends in an incomplete line (an interrupted write); it was left out');
  if (parsed.unknownColumns.length) notes.push(`results.csv has columns this version does not know: ${parsed.unknownColumns.join(', ')}`);
  let runJson: RunJson | undefined;
  try {
    runJson = readRunJson(join(dir, 'run.json'));
  } catch (e) {
    // run.json only describes the run: a broken one is said, and the report goes on without it.
    if (!(e instanceof KzError)) throw e;
    notes.push(`run.json left out: ${e.message}`);
  }
  if (!runJson) notes.push('no readable run.json: the machine and tool versions are unknown');
  else if (runJson.interrupted)
    notes.push(`the run was interrupted${runJson.stopped ? ` at ${runJson.stopped}` : ''}; resume it with \`kzbench run --resume\``);
  let model: ModelResults | null = null;
  try {
    model = readModelCsv(join(dir, 'model.csv'));
  } catch (e) {
    notes.push(`model.csv left out: ${(e as Error).message}`);
  }
  if (model) notes.push(...model.skipped);
  const summary = summarizeCells(cells, resolveContexts(cells.images, runJson, options));
  if (!parsed.rows) notes.push('results.csv has no rows yet');
  const timingWarning = reportTimingWarning(summary, runJson?.['machine']);
  return { dir, run: runJson ? runInfo(runJson) : null, model, notes, ...summary, ...(timingWarning ? { timingWarning } : {}) };
}
