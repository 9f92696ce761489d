// The decompression stub table: data/stubs.csv, measured by
// scripts/measure-stubs from real kernel builds (see data/stubs.md for the
// provenance, the columns and the composition rules). Nothing here is a
// figure of its own: every number comes from the CSV.

import { KzError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { parseCsvTable } from '../results/table.js';
import { z } from 'zod';
import { ALGORITHMS, type Algorithm } from '../codecs/types.js';
import { projectPath } from '../project.js';

/** The kernel's image compressors: the codec table's built-in algorithms (each has a boot decompressor and a stub to measure). */
export const STUB_ALGORITHMS = ALGORITHMS;
export type StubAlgorithm = Algorithm;

export const IMAGE_KINDS = ['bzImage', 'zImage', 'vmlinuz.efi'] as const;
export type StubImageKind = (typeof IMAGE_KINDS)[number];

/** One row of data/stubs.csv: one real kernel build. */
export interface StubRow {
  arch: string;
  config: string;
  algorithm: StubAlgorithm;
  kernelVersion: string;
  compiler: string;
  image: StubImageKind;
  imageBytes: number;
  setupBytes: number;
  stubBytes: number;
  payloadBytes: number;
  uncompressedBytes: number;
  decompressorBinBytes: number;
  payloadSection: string;
  payloadSectionOffset: number;
  dataSectionOffset: number;
  dataSectionBytes: number;
  /** x86 boot protocol header fields; null where the image has none. */
  setupSects: number | null;
  syssize: number | null;
  payloadOffset: number | null;
  payloadLength: number | null;
  initSize: number | null;
  kernelAlignment: number | null;
  buildSeconds: number;
  date: string;
  source: string;
  /** 1-based line of the row in the file (header is line 1). */
  line: number;
}

export class StubTableError extends KzError {
  override name = 'StubTableError';
}

const count = z
  .string()
  .regex(/^\d+$/, 'expected a whole number of bytes')
  .transform((s) => Number(s));
const optionalCount = z
  .string()
  .regex(/^(\d+)?$/, 'expected a whole number or nothing')
  .transform((s) => (s === '' ? null : Number(s)));
const text = z.string().min(1, 'must not be empty');

const rowSchema = z.object({
  arch: text,
  config: text,
  algorithm: z.enum(STUB_ALGORITHMS),
  kernel_version: text,
  compiler: text,
  image: z.enum(IMAGE_KINDS),
  image_bytes: count,
  setup_bytes: count,
  stub_bytes: count,
  payload_bytes: count,
  uncompressed_bytes: count,
  decompressor_bin_bytes: count,
  payload_section: text,
  payload_section_offset: count,
  data_section_offset: count,
  data_section_bytes: count,
  setup_sects: optionalCount,
  syssize: optionalCount,
  payload_offset: optionalCount,
  payload_length: optionalCount,
  init_size: optionalCount,
  kernel_alignment: optionalCount,
  build_seconds: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'expected seconds')
    .transform((s) => Number(s)),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'),
  source: text,
});

/** data/stubs.csv of this checkout (found from dist/src/model or src/model upwards). */
export function defaultStubTablePath(): string {
  return projectPath('data', 'stubs.csv');
}

/** Parse the text of a stubs.csv; errors name the line and the column. */
export function parseStubTable(csvText: string, where = 'stubs.csv'): StubRow[] {
  const rows: StubRow[] = [];
  const seen = new Set<string>();
  parseCsvTable(csvText, where, rowSchema).forEach((d) => {
    const line = d.line;
    const key = stubKey(d.arch, d.config, d.algorithm);
    if (seen.has(key)) throw new StubTableError(`${where}:${line}: a second row for ${key}`);
    seen.add(key);
    if (d.stub_bytes < d.data_section_bytes) {
      throw new StubTableError(`${where}:${line}: stub_bytes ${d.stub_bytes} is smaller than data_section_bytes ${d.data_section_bytes}`);
    }
    rows.push({
      arch: d.arch,
      config: d.config,
      algorithm: d.algorithm,
      kernelVersion: d.kernel_version,
      compiler: d.compiler,
      image: d.image,
      imageBytes: d.image_bytes,
      setupBytes: d.setup_bytes,
      stubBytes: d.stub_bytes,
      payloadBytes: d.payload_bytes,
      uncompressedBytes: d.uncompressed_bytes,
      decompressorBinBytes: d.decompressor_bin_bytes,
      payloadSection: d.payload_section,
      payloadSectionOffset: d.payload_section_offset,
      dataSectionOffset: d.data_section_offset,
      dataSectionBytes: d.data_section_bytes,
      setupSects: d.setup_sects,
      syssize: d.syssize,
      payloadOffset: d.payload_offset,
      payloadLength: d.payload_length,
      initSize: d.init_size,
      kernelAlignment: d.kernel_alignment,
      buildSeconds: d.build_seconds,
      date: d.date,
      source: d.source,
      line,
    });
  });
  if (rows.length === 0) throw new StubTableError(`${where}: no rows`);
  return rows;
}

const cache = new Map<string, StubRow[]>();

/** Load (once per path) and check data/stubs.csv. */
export function loadStubTable(path = defaultStubTablePath()): StubRow[] {
  let rows = cache.get(path);
  if (!rows) {
    rows = parseStubTable(readFileSync(path, 'utf8'), path);
    cache.set(path, rows);
  }
  return rows;
}

function stubKey(arch: string, config: string, algorithm: string): string {
  return `${arch}/${config}/${algorithm}`;
}

/** The row for arch, config and algorithm, or undefined. */
export function findStub(rows: readonly StubRow[], arch: string, config: string, algorithm: string): StubRow | undefined {
  return rows.find((r) => r.arch === arch && r.config === config && r.algorithm === algorithm);
}

/** Like findStub, but says what the table does have when the row is missing. */
export function getStub(rows: readonly StubRow[], arch: string, config: string, algorithm: string): StubRow {
  const row = findStub(rows, arch, config, algorithm);
  if (row) return row;
  const forTarget = stubRows(rows, arch, config);
  if (forTarget.length > 0) {
    throw new StubTableError(`no ${algorithm} stub for ${arch} ${config}: the table has ${forTarget.map((r) => r.algorithm).join(', ')}`);
  }
  const targets = [...new Set(rows.map((r) => `${r.arch} ${r.config}`))];
  throw new StubTableError(`no stubs for ${arch} ${config}: the table has ${targets.join('; ')}`);
}

/** Every row for one arch and config, in table order. */
export function stubRows(rows: readonly StubRow[], arch: string, config: string): StubRow[] {
  return rows.filter((r) => r.arch === arch && r.config === config);
}
