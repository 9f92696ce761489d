// What `kzbench pick` measures on the user's kernel: the facts the model needs
// (its own stub, init_size, the memory it occupies, its sections) and the
// whole-kernel payloads of every algorithm and the XIP data load image, either
// from a `kzbench run` results directory or by running the cells now (same
// pool, same round trip, same results.csv).

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KernelImage } from '../image/index.js';
import { parseSetting } from '../codecs/index.js';
import { isAlgorithm } from '../codecs/types.js';
import { forEachResultRow, ownString } from '../results/reader.js';
import type { ResultRow } from '../results/schema.js';
import { measureImageParts } from './image-size.js';
import type { KernelFacts, MeasuredPayload } from './pick.js';
import { PickError } from './pick.js';
import { predictXip, type XipSectionInput } from './xip.js';
import { formatRules } from './rules.js';
import { STUB_ALGORITHMS, type StubAlgorithm } from './stubs.js';

const isStubAlgorithm = (a: string): a is StubAlgorithm => (STUB_ALGORITHMS as readonly string[]).includes(a);

/** _end - _text from the symbols, else the span of the loaded and bss sections. */
function kernelMemory(img: KernelImage): { bytes: number; source: string } {
  const sym = (n: string) => img.symbols.list.find((s) => s.name === n)?.address;
  const text = sym('_text') ?? sym('_stext');
  const end = sym('_end');
  if (text !== undefined && end !== undefined && end > text) return { bytes: Number(end - text), source: `_end - _text from ${img.symbols.source}` };
  const spans = img.sections.filter((s) => s.kind !== 'other' && s.address > 0n && s.bytes > 0 && !/^\.init\.scratch$/.test(s.name));
  if (spans.length) {
    const lo = spans.reduce((m, s) => (s.address < m ? s.address : m), spans[0]!.address);
    const hi = spans.reduce((m, s) => (s.address + BigInt(s.bytes) > m ? s.address + BigInt(s.bytes) : m), 0n);
    const bss = spans.some((s) => s.kind === 'bss');
    return { bytes: Number(hi - lo), source: `the span of its sections${bss ? '' : ' (no bss section found: bss not counted)'}` };
  }
  return { bytes: img.kernel.length, source: 'the decompressed kernel (no symbols or sections: bss not counted)' };
}

/** Board arch name of an image's arch. */
export function boardArch(arch: string): string {
  return arch === 'riscv' ? 'riscv64' : arch;
}

/** The facts of the user's kernel the model needs (xipData comes from a measured row: xipDataFromRows). */
export function kernelFacts(img: KernelImage): KernelFacts {
  const mem = kernelMemory(img);
  let own: KernelFacts['own'] = null;
  if ((img.format === 'bzimage' || img.format === 'zimage') && img.payload && isStubAlgorithm(img.payload.algorithm)) {
    const parts = measureImageParts({
      kind: img.format === 'bzimage' ? 'bzImage' : 'zImage',
      bytes: readFileSync(img.path),
      signatureBytes: img.signatureBytes,
      setupBytes: img.format === 'bzimage' ? Number(img.header['setup_bytes']) : 0,
      payloadFileOffset: img.payload.offset,
      payloadBytes: img.payload.storedBytes,
    });
    const initSize = typeof img.header['init_size'] === 'number' ? (img.header['init_size'] as number) : null;
    own = { algorithm: img.payload.algorithm, parts, outputBytes: img.payload.decompressedBytes, initSize };
  }
  const sections: XipSectionInput[] = img.sections
    .filter((s) => s.kind !== 'unknown' || s.bytes === 0)
    .map((s) => ({ name: s.name, kind: s.kind, bytes: s.bytes, fileBytes: s.fileBytes }));
  const unknown = img.sections.filter((s) => s.kind === 'unknown' && s.bytes > 0);
  const facts: KernelFacts = {
    arch: boardArch(img.arch),
    own,
    kernelMemoryBytes: mem.bytes,
    kernelMemorySource: mem.source,
    sections: unknown.length ? [] : sections,
    thumb2: img.config?.thumb2 ?? false,
  };
  return facts;
}

/** The `unit` (and `unit_kind`) of the XIP data load image's rows in results.csv. */
export const XIP_DATA_UNIT = 'xip-data';

/**
 * The data load image of an XIP build of this kernel: initial .data and init
 * data, in section order, as XIP_DEFLATED_DATA compresses it. The pool
 * measures it like any other unit (compressed, verified, timed: a row in
 * results.csv); xipDataFromRows reads the measurement back.
 */
export function xipDataLoadImage(img: KernelImage): Uint8Array | undefined {
  const facts = kernelFacts(img);
  if (facts.sections.length === 0) return undefined;
  const p = predictXip(facts.sections);
  const parts: Uint8Array[] = [];
  for (const s of img.sections) {
    const place = p.placed.find((x) => x.name === s.name)?.place;
    if ((place === 'data' || place === 'init_data') && s.offset !== null && s.fileBytes > 0) parts.push(img.kernel.subarray(s.offset, s.offset + s.fileBytes));
  }
  const total = parts.reduce((n, b) => n + b.length, 0);
  if (total === 0) return undefined;
  const data = new Uint8Array(total);
  let at = 0;
  for (const b of parts) {
    data.set(b, at);
    at += b.length;
  }
  return data;
}

/** The XIP data setting's verified row of the data load image, as the model's xipData. */
export function xipDataFromRows(rows: readonly ResultRow[]): KernelFacts['xipData'] {
  const key = parseSetting(formatRules().xipDataSetting).key;
  const row = rows.find((r) => r.unit === XIP_DATA_UNIT && r.verified && r.setting === key && r.compressed_bytes !== null);
  return row ? { compressedBytes: row.compressed_bytes! } : undefined;
}

/** Verified whole-kernel rows of one image → measured payloads (one per setting). */
export function payloadsFromRows(rows: readonly ResultRow[]): MeasuredPayload[] {
  const out = new Map<string, MeasuredPayload>();
  for (const r of rows) {
    if (r.unit !== 'whole' || !r.verified || r.compressed_bytes === null || !isAlgorithm(r.algorithm) || !isStubAlgorithm(r.algorithm)) continue;
    out.set(r.setting, {
      algorithm: r.algorithm,
      setting: r.setting,
      payloadBytes: r.compressed_bytes,
      outputBytes: r.unit_bytes,
    });
  }
  return [...out.values()];
}

/**
 * A results directory's whole-kernel rows for one image (the only image
 * there, or the one named). The file is streamed: only verified whole rows
 * are kept, the last one of each setting per image (what payloadsFromRows
 * uses), so a results.csv of many section or failed rows costs no memory.
 */
export function rowsFromResults(dir: string, image?: string): { image: string; rows: ResultRow[] } {
  const file = join(dir, 'results.csv');
  if (!existsSync(file)) throw new PickError(`${file}: cannot read the results: ENOENT`);
  const byImage = new Map<string, Map<string, ResultRow>>();
  // pick's own XIP data load image rows (kzbench pick --out), by image and setting
  const xipByImage = new Map<string, Map<string, ResultRow>>();
  forEachResultRow(file, (r) => {
    if ((r.unit !== 'whole' && r.unit !== XIP_DATA_UNIT) || !r.verified) return;
    const rowsOf = r.unit === 'whole' ? byImage : xipByImage;
    let settings = rowsOf.get(r.image);
    if (!settings) rowsOf.set(ownString(r.image), (settings = new Map()));
    // The last row of a setting wins, in the place of its first (as payloadsFromRows orders them).
    settings.set(r.setting, r);
  });
  const images = [...byImage.keys()];
  const list = (xs: string[]) => (xs.length > 5 ? `${xs.slice(0, 5).join(', ')} and ${xs.length - 5} more` : xs.join(', '));
  if (images.length === 0) throw new PickError(`${file}: no verified whole-kernel rows (run kzbench run --unit whole first)`);
  let chosen = images[0]!;
  if (image !== undefined) {
    const match = images.find((i) => resolve(i) === resolve(image));
    if (!match) throw new PickError(`${file}: no rows for ${image}; it has ${list(images)}`);
    chosen = match;
  } else if (images.length > 1) throw new PickError(`${file}: rows of ${images.length} images (${list(images)}): name one with --image`);
  return { image: chosen, rows: [...byImage.get(chosen)!.values(), ...(xipByImage.get(chosen)?.values() ?? [])] };
}
