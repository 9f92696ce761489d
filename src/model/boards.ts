// Boards (issue 5, part 2): what a target offers a kernel image, from
// data/boards/*.yaml. Every figure a board file gives carries its citation in
// `sources`; every figure it cannot give is named in `unknown` with the
// reason, so a model using the board knows which limits it cannot check.
// No figure lives in this file.

import { excerpt, KzError } from '../errors.js';
import { MAX_YAML_FILE, readUtf8Input } from '../files.js';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { byPosition, LocatedDocument, strictObject, YamlFileError, type Problem } from '../located.js';
import { STUB_ALGORITHMS, type StubAlgorithm } from './stubs.js';
import { projectPath } from '../project.js';
import { coreFamilies } from './cores.js';

export const BOARD_ARCHES = ['arm', 'arm64', 'x86_64', 'riscv64'] as const;

/** Figures a board may give; each one given needs `sources.<field>`. */
export const BOARD_FIGURES = [
  'flash_bytes',
  'kernel_partition_bytes',
  'flash_reserved_bytes',
  'flash_read_mb_s',
  'ram_bytes',
  'boot_budget_ms',
  'core',
] as const;
export type BoardFigure = (typeof BOARD_FIGURES)[number];

/**
 * What every board must either give or name in `unknown`: `storage` is
 * flash_bytes or kernel_partition_bytes, `decompression` its core (the
 * model: src/model/cores.ts) or a measured figure for at least one algorithm.
 */
export const BOARD_REQUIRED = ['storage', 'flash_read_mb_s', 'ram_bytes', 'boot_budget_ms', 'decompression'] as const;

const bytes = z.number().int('expected a whole number of bytes').positive('must be more than 0');
const rate = z.number().positive('must be more than 0');
const text = z.string().trim().min(1, 'must not be empty');

export const decompressionSchema = strictObject({
  /** Speed in MB/s (10^6 bytes per second). */
  mb_s: rate,
  /**
   * What the rate counts: `output` (decompressed bytes per second),
   * `input` (compressed bytes per second) or `unstated` (the source does not
   * say; a model cannot use it for time without assuming one).
   */
  rate_of: z.enum(['output', 'input', 'unstated']),
  /** Citation: REFERENCE.md section and the original it cites, or a datasheet. */
  source: text,
  /** The hardware the figure was measured on. */
  measured_on: text,
  /** true when measured on other hardware than this board (a stand-in). */
  proxy: z.boolean(),
  note: text.optional(),
});
export type DecompressionSpeed = z.infer<typeof decompressionSchema>;

const algorithmKey = z.enum(STUB_ALGORITHMS);

export const boardSchema = strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower case letters, digits, ".", "_" and "-"'),
  description: text,
  arch: z.enum(BOARD_ARCHES),
  flash_bytes: bytes.optional(),
  kernel_partition_bytes: bytes.optional(),
  /** Bytes at the start of the flash not available to the kernel (bootloader). */
  flash_reserved_bytes: z.number().int().nonnegative().optional(),
  /** Storage read speed at boot in MB/s: one figure, or [low, high] when the sources give a range. */
  flash_read_mb_s: z.union([rate, z.tuple([rate, rate]).refine(([lo, hi]) => lo <= hi, 'expected [low, high] with low <= high')]).optional(),
  ram_bytes: bytes.optional(),
  xip: z.boolean(),
  /** The CPU core that runs the decompressor: its family (data/core-families.csv) and clock. */
  core: strictObject({ family: text, clock_ghz: rate }).optional(),
  decompression: z.partialRecord(algorithmKey, decompressionSchema).optional(),
  boot_budget_ms: rate.optional(),
  /**
   * Compressed Image.* formats the board's boot loader decompresses itself,
   * each "ALGORITHM" or "ALGORITHM:param=value" when it reads only one form
   * (e.g. "lz4:frame=lz4f"); needs sources.bootloader_decompression.
   */
  bootloader_decompression: z
    .array(
      z
        .string()
        .regex(
          new RegExp(`^(${STUB_ALGORITHMS.join('|')})(:[a-z_]+=[a-z0-9_|]+(,[a-z_]+=[a-z0-9_|]+)*)?$`),
          `expected ALGORITHM or ALGORITHM:param=value[,param=value], ALGORITHM one of ${STUB_ALGORITHMS.join(', ')}`,
        ),
    )
    .min(1, 'list at least one algorithm, or leave the field out')
    .optional(),
  sources: z.record(text, text),
  /** Figures with no published value: key (a BOARD_REQUIRED entry, a figure or decompression.<algorithm>) → why. */
  unknown: z.record(text, text).optional(),
});
export type BoardFile = z.infer<typeof boardSchema>;

export interface Board extends BoardFile {
  /** The file it was read from. */
  file: string;
  /** Bytes of storage the kernel image may use: partition, or flash minus reserved; null when unknown. */
  imageBudgetBytes: number | null;
}

export class BoardError extends KzError {
  override name = 'BoardError';
}

/** data/boards of this checkout (found upwards from this module, like data/stubs.csv). */
export function defaultBoardsDir(): string {
  return projectPath('data', 'boards');
}

/** Names of the boards shipped in a boards directory. */
export function listBoards(dir = defaultBoardsDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** A key from the file in a message: as it is when it is a plain name, else a short excerpt. */
function keyText(k: string): string {
  return /^[A-Za-z0-9_.-]{1,40}$/.test(k) ? k : excerpt(k, 20);
}

/** Rules zod cannot say: sources for every figure, unknown for every gap. */
function crossCheck(doc: LocatedDocument, b: BoardFile, file: string): Problem[] {
  const out: Problem[] = [];
  const unknown = b.unknown ?? {};
  const given = (k: string): boolean => {
    if (k === 'storage') return b.flash_bytes !== undefined || b.kernel_partition_bytes !== undefined;
    if (k === 'decompression') return b.core !== undefined || Object.keys(b.decompression ?? {}).length > 0;
    return (b as Record<string, unknown>)[k] !== undefined;
  };
  if (b.flash_bytes !== undefined && b.kernel_partition_bytes !== undefined)
    out.push(doc.problem(['kernel_partition_bytes'], 'give flash_bytes or kernel_partition_bytes, not both'));
  if (b.flash_reserved_bytes !== undefined && b.flash_bytes === undefined)
    out.push(doc.problem(['flash_reserved_bytes'], 'flash_reserved_bytes needs flash_bytes'));
  if (b.flash_reserved_bytes !== undefined && b.flash_bytes !== undefined && b.flash_reserved_bytes >= b.flash_bytes)
    out.push(doc.problem(['flash_reserved_bytes'], `${b.flash_reserved_bytes} reserved leaves nothing of ${b.flash_bytes} bytes of flash`));
  for (const f of BOARD_FIGURES) {
    if (b[f] !== undefined && !b.sources[f]) out.push(doc.problem([f], `${f} is given without its source: add sources.${f}`));
    if (unknown[f] !== undefined && b[f] !== undefined) out.push(doc.problem(['unknown', f], `${f} is given and also listed as unknown`, true));
  }
  if (b.bootloader_decompression !== undefined && !b.sources['bootloader_decompression'])
    out.push(doc.problem(['bootloader_decompression'], 'bootloader_decompression is given without its source: add sources.bootloader_decompression'));
  for (const k of BOARD_REQUIRED) {
    if (!given(k) && unknown[k] === undefined && !(k === 'storage' && (unknown.flash_bytes || unknown.kernel_partition_bytes)))
      out.push(
        doc.problem(
          [k === 'storage' ? 'flash_bytes' : k],
          `${k === 'storage' ? 'flash_bytes or kernel_partition_bytes' : k} is missing: give it with its source, or say why in unknown.${k}`,
        ),
      );
    if (given(k) && unknown[k] !== undefined) out.push(doc.problem(['unknown', k], `${k} is given and also listed as unknown`, true));
  }
  for (const a of Object.keys(b.decompression ?? {})) {
    if (unknown[`decompression.${a}`] !== undefined)
      out.push(doc.problem(['unknown', `decompression.${a}`], `decompression.${a} is given and also listed as unknown`, true));
  }
  const known = new Set<string>([
    ...BOARD_FIGURES,
    ...BOARD_REQUIRED,
    'xip',
    'arch',
    'bootloader_decompression',
    ...STUB_ALGORITHMS.map((a) => `decompression.${a}`),
  ]);
  for (const k of Object.keys(unknown)) if (!known.has(k)) out.push(doc.problem(['unknown', k], `unknown.${keyText(k)} names nothing a board has`, true));
  for (const k of Object.keys(b.sources))
    if (!known.has(k) && k !== 'description') out.push(doc.problem(['sources', k], `sources.${keyText(k)} names nothing a board has`, true));
  if (b.core) {
    const families = coreFamilies().map((f) => f.family);
    if (!families.includes(b.core.family))
      out.push(doc.problem(['core', 'family'], `no core family ${excerpt(b.core.family, 40)} in data/core-families.csv; known: ${families.join(', ')}`));
  }
  const stem = basename(file).replace(/\.ya?ml$/, '');
  if (stem !== b.name && /\.ya?ml$/.test(file)) out.push(doc.problem(['name'], `name ${excerpt(b.name, 40)} differs from the file name ${excerpt(stem, 40)}`));
  return out;
}

/** Check a board file's text; every mistake reported with its line and column (YamlFileError). */
export function parseBoard(textOfFile: string, file = 'board.yaml'): Board {
  const doc = new LocatedDocument(file, textOfFile);
  if (doc.syntaxProblems.length) throw new YamlFileError(file, doc.syntaxProblems);
  const value = doc.value();
  if (value === undefined || value === null) throw new YamlFileError(file, [{ file, line: 0, col: 0, path: '', message: 'empty board file' }]);
  const foreign = doc.notA(value, 'board file', Object.keys(boardSchema.shape));
  if (foreign) throw new YamlFileError(file, [foreign]);
  const parsed = boardSchema.safeParse(value);
  if (!parsed.success) throw new YamlFileError(file, doc.zodProblems(parsed.error.issues).sort(byPosition));
  const problems = crossCheck(doc, parsed.data, file);
  if (problems.length) throw new YamlFileError(file, problems.sort(byPosition));
  const b = parsed.data;
  const imageBudgetBytes = b.kernel_partition_bytes ?? (b.flash_bytes !== undefined ? b.flash_bytes - (b.flash_reserved_bytes ?? 0) : null);
  return { ...b, file, imageBudgetBytes };
}

/**
 * A board by name (data/boards/NAME.yaml) or by path (anything with a "/" or
 * ending in .yaml/.yml). Unknown names list the boards there are.
 */
export function loadBoard(nameOrPath: string, dir = defaultBoardsDir()): Board {
  const isPath = /[\\/]/.test(nameOrPath) || /\.ya?ml$/.test(nameOrPath);
  const file = isPath ? nameOrPath : join(dir, `${nameOrPath}.yaml`);
  if (!isPath && !existsSync(file)) throw new BoardError(`no board named ${excerpt(nameOrPath, 40)} in ${dir}; known: ${listBoards(dir).join(', ') || 'none'}`);
  return parseBoard(readUtf8Input(file, 'board file', MAX_YAML_FILE), file);
}

/** Every board in a directory. */
export function loadBoards(dir = defaultBoardsDir()): Board[] {
  return listBoards(dir).map((n) => loadBoard(n, dir));
}

/**
 * Milliseconds to decompress on the board, from its speed for `algorithm`:
 * an `output` rate counts decompressed bytes, an `input` rate compressed
 * bytes. null when the board has no figure for the algorithm or the figure
 * does not say what it counts (`unstated`).
 */
export function decompressionMs(board: Board, algorithm: StubAlgorithm, compressedBytes: number, decompressedBytes: number): number | null {
  const s = board.decompression?.[algorithm];
  if (!s || s.rate_of === 'unstated') return null;
  const n = s.rate_of === 'output' ? decompressedBytes : compressedBytes;
  return (n / (s.mb_s * 1e6)) * 1000;
}

/** The board's storage read speed as [low, high] MB/s; null when unknown. */
export function flashReadRange(board: Board): [number, number] | null {
  const r = board.flash_read_mb_s;
  return r === undefined ? null : typeof r === 'number' ? [r, r] : r;
}

/** Milliseconds to read `bytes` from the board's storage (at the middle of its range); null when its read speed is unknown. */
export function flashReadMs(board: Board, bytes: number): number | null {
  const r = flashReadRange(board);
  return r === null ? null : (bytes / (((r[0] + r[1]) / 2) * 1e6)) * 1000;
}
