// What `kzbench pick` measures on the user's kernel: the facts the model needs
// (its own stub, init_size, the memory it occupies, its sections) and the
// whole-kernel payloads of every algorithm, either from a `kzbench run`
// results directory or by running the cells now (same pool, same round trip).

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KernelImage } from '../image/index.js';
import { compress, decompressInto, parseSetting } from '../codecs/index.js';
import { isAlgorithm } from '../codecs/types.js';
import { forEachResultRow, ownString } from '../results/reader.js';
import type { ResultRow } from '../results/schema.js';
import { measureImageParts } from './image-size.js';
import type { KernelFacts, MeasuredPayload } from './pick.js';
import { PickError } from './pick.js';
import { predictXip, type XipSectionInput } from './xip.js';
import { formatRules } from './rules.js';
import { STUB_ALGORITHMS, type StubAlgorithm } from './stubs.js';
import { resolveTiming, timeRepeated } from '../measure/timing.js';
import { median } from '../measure/stats.js';

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

/** The facts of the user's kernel the model needs. */
export function kernelFacts(img: KernelImage, options: { xipData?: boolean } = {}): KernelFacts {
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
  if (options.xipData && facts.sections.length) facts.xipData = measureXipData(img, facts.sections);
  return facts;
}

/**
 * The data load image of an XIP build of this kernel (initial .data and init
 * data, in section order) compressed as XIP_DEFLATED_DATA stores it, verified
 * and timed on this machine.
 */
function measureXipData(img: KernelImage, sections: readonly XipSectionInput[]): KernelFacts['xipData'] {
  const p = predictXip(sections);
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
  const setting = parseSetting(formatRules().xipDataSetting);
  const packed = compress(setting, data);
  const out = new Uint8Array(total);
  const n = decompressInto(setting, packed, out);
  if (n !== total || Buffer.compare(Buffer.from(out), Buffer.from(data)) !== 0) throw new PickError(`${img.path}: the XIP data load image did not survive a ${setting.key} round trip`);
  const t = timeRepeated(() => decompressInto(setting, packed, out), resolveTiming({ minRuns: 5, minTimeMs: 200 }));
  return { compressedBytes: packed.length, hostDecompressMs: median(t.samplesMs) };
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
      hostDecompressMs: r.decompress_ms_median,
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
  forEachResultRow(file, (r) => {
    if (r.unit !== 'whole' || !r.verified) return;
    let settings = byImage.get(r.image);
    if (!settings) byImage.set(ownString(r.image), (settings = new Map()));
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
  return { image: chosen, rows: [...byImage.get(chosen)!.values()] };
}
