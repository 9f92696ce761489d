// Cold-code cells: a partition by one trace, its cold code in each layout,
// cut into blocks of each size, times each codec setting. Each cell is a
// runCells block unit whose rows carry the cold columns (docs/results.md,
// docs/cold.md). The CLI (`kzbench cold`) and suites build cells here.
import { basename } from 'node:path';
import type { TraceMatch } from './trace-map.js';
import { formatBytes } from '../codecs/settings.js';
import { kernelProfile, parseSetting } from '../codecs/index.js';
import { kernelTarget } from '../run/settings.js';
import type { KernelImage } from '../image/index.js';
import { median } from '../measure/stats.js';
import type { CellMeasurement } from '../pool/task.js';
import type { ColdColumns, ResultRow } from '../results/schema.js';
import type { Cell } from '../run/index.js';
import { planBlocks, replay, type BlockPlan, type Replay } from './blocks.js';
import { layoutCold, type Layout, type LayoutName } from './layout.js';
import { codeMap, hotBytes, partition, type CodeMap, type Partition } from './partition.js';
import type { HotSet } from './types.js';

export interface ColdSpec {
  /** The partition's trace, mapped onto the image. */
  trace: HotSet;
  /** A held-out trace to replay against the blocks. */
  holdout?: HotSet;
  /** The trace the `trace` layout orders by (never the holdout). */
  layoutTrace?: HotSet;
  layouts: readonly LayoutName[];
  blockSizes: readonly number[];
  /** Canonical setting keys. */
  settings: readonly string[];
  /** The `image` columns (else runCells' default). */
  image?: { path: string; sha256: string };
}

export interface ColdVariant {
  layout: Layout;
  plan: BlockPlan;
  replay: Replay | null;
  /** Unit name: cold:<trace basename>:<layout>:<block size>. */
  unit: string;
}

export interface ColdPlan {
  partition: Partition;
  /** Hot code, address order (compressed alongside each cell for the flash/RAM totals). */
  hot: Uint8Array;
  variants: ColdVariant[];
  cells: Cell[];
}

export function coldUnitName(trace: string, layout: LayoutName, blockBytes: number): string {
  return `cold:${basename(trace)}:${layout}:${formatBytes(blockBytes)}`;
}

/** Columns every row of a variant has, measured or not. */
function staticColumns(p: Partition, v: ColdVariant, spec: ColdSpec): ColdColumns {
  const t = p.totals;
  return {
    trace: spec.trace.trace,
    layout: v.layout.name,
    layout_trace: v.layout.name === 'trace' ? (spec.layoutTrace?.trace ?? '') : '',
    block_bytes: v.plan.blockBytes,
    blocks: v.plan.ends.length,
    index_bytes: v.plan.indexBytes,
    function_bytes: t.hotBytes + t.coldBytes,
    hot_functions: t.hotFunctions,
    hot_bytes: t.hotBytes,
    cold_functions: t.coldFunctions,
    hole_bytes: t.holeBytes,
    max_span_bytes: v.plan.maxSpanBytes,
    ram_xip_bytes: v.plan.maxSpanBytes,
    ram_ram_bytes: t.hotBytes + v.plan.indexBytes + v.plan.maxSpanBytes,
    holdout_trace: v.replay?.trace ?? '',
    holdout_functions: v.replay?.functions ?? null,
    holdout_misses: v.replay ? v.replay.blocks.length : null,
    holdout_raw_bytes: v.replay?.rawBytes ?? null,
  };
}

/** Columns from a block cell's measurement (compressed_bytes includes the index). */
export function measuredColumns(p: Partition, v: ColdVariant, m: CellMeasurement): Partial<ResultRow> {
  const blocks = m.blocks;
  if (!blocks) throw new Error(`cell ${v.unit} was not measured as blocks`);
  const compressed = m.compressedBytes + v.plan.indexBytes;
  const hotCompressed = m.alongsideCompressedBytes ?? null;
  const r = v.replay;
  return {
    compressed_bytes: compressed,
    ratio: compressed > 0 ? v.layout.bytes.length / compressed : null,
    hot_compressed_bytes: hotCompressed,
    block_decompress_ms_median: blocks.decompressMsMedian.length ? median(blocks.decompressMsMedian) : null,
    flash_xip_bytes: p.totals.hotBytes + compressed,
    flash_ram_bytes: hotCompressed === null ? null : hotCompressed + compressed,
    holdout_bytes: r ? r.blocks.reduce((n, b) => n + blocks.compressedBytes[b]!, 0) : null,
    holdout_ms: r ? r.blocks.reduce((n, b) => n + blocks.decompressMsMedian[b]!, 0) : null,
  };
}

/** Everything `kzbench cold` runs for one trace: partition, layouts, blocks, cells. */
export function planCold(img: KernelImage, spec: ColdSpec, code: CodeMap = codeMap(img)): ColdPlan {
  const p = partition(img, spec.trace, code);
  const hot = hotBytes(img, p);
  const variants: ColdVariant[] = [];
  const cells: Cell[] = [];
  for (const name of spec.layouts) {
    const layout = layoutCold(img, p, name, spec.layoutTrace);
    for (const size of spec.blockSizes) {
      const plan = planBlocks(layout, size);
      const v: ColdVariant = {
        layout,
        plan,
        replay: spec.holdout ? replay(p, layout, plan, spec.holdout) : null,
        unit: coldUnitName(spec.trace.trace, name, size),
      };
      variants.push(v);
      if (layout.bytes.length === 0) continue;
      const fixed = staticColumns(p, v, spec);
      for (const setting of spec.settings) {
        cells.push({
          setting,
          unit: {
            name: v.unit,
            bytes: layout.bytes,
            kind: 'cold',
            blocks: plan.ends,
            alongside: hot,
            ...(spec.image ? { image: spec.image } : {}),
            columns: (m) => ({ ...fixed, ...(m ? measuredColumns(p, v, m) : {}) }),
          },
        });
      }
    }
  }
  return { partition: p, hot, variants, cells };
}

export interface TraceInfo {
  file: string;
  format: string;
  entries: number;
  events: number;
  skipped_lines: number;
  matched: number;
  ambiguous: number;
  /** Functions (distinct addresses) it ran in the image. */
  functions: number;
  unmatched: number;
  /** The first few unmatched entries, with why. */
  unmatched_first: { name: string | null; address: string | null; why: string }[];
  /** The offset subtracted from the trace's addresses (given or inferred: a KASLR boot), as hex. */
  kaslr_offset?: string;
  /** Entries whose address named another function than their name (the address decided). */
  mismatched?: number;
  /** What the matcher noticed (inferred KASLR offset, name/address disagreements, ...). */
  notes?: string[];
}

export function traceInfo(
  set: HotSet,
  code: CodeMap,
  trace: { file: string; format: string; entries: unknown[]; events: number; skippedLines: number },
  first = 10,
): TraceInfo {
  const ranges = new Set<number>();
  for (const i of set.hot) ranges.add(code.rangeOf[i]!);
  return {
    file: trace.file,
    format: trace.format,
    entries: trace.entries.length,
    events: trace.events,
    skipped_lines: trace.skippedLines,
    matched: set.matched,
    ambiguous: set.ambiguous,
    functions: ranges.size,
    unmatched: set.unmatched.length,
    unmatched_first: set.unmatched
      .slice(0, first)
      .map((u) => ({ name: u.name, address: u.address === null ? null : '0x' + u.address.toString(16), why: u.why })),
    ...('kaslrOffset' in set
      ? { kaslr_offset: '0x' + (set as TraceMatch).kaslrOffset.toString(16), mismatched: (set as TraceMatch).mismatched, notes: (set as TraceMatch).notes }
      : {}),
  };
}

export interface ColdResult {
  algorithm: string;
  setting: string;
  layout: string;
  block_bytes: number;
  blocks: number;
  cold_raw_bytes: number;
  /** Compressed blocks plus the index. */
  cold_compressed_bytes: number | null;
  index_bytes: number;
  ratio: number | null;
  hot_bytes: number;
  hot_compressed_bytes: number | null;
  flash_xip_bytes: number | null;
  ram_xip_bytes: number | null;
  flash_ram_bytes: number | null;
  ram_ram_bytes: number | null;
  decompress_ms_all_blocks: number | null;
  block_decompress_ms_median: number | null;
  holdout: {
    trace: string;
    functions: number | null;
    misses: number | null;
    compressed_bytes: number | null;
    raw_bytes: number | null;
    ms_estimated: number | null;
  } | null;
  verified: boolean;
  error: string;
}

export interface ColdSummary {
  image: string;
  format: string;
  arch: string;
  release: string | null;
  symbols: string;
  trace: TraceInfo;
  holdout: TraceInfo | null;
  layout_trace: TraceInfo | null;
  /** Bytes of the text sections that hold functions. */
  text_bytes: number;
  function_bytes: number;
  hot_bytes: number;
  cold_bytes: number;
  hole_bytes: number;
  unstored_bytes: number;
  functions: number;
  hot_functions: number;
  cold_functions: number;
  /** hot_bytes / function_bytes. */
  hot_share: number | null;
  code_ends: { from_symbol_sizes: number; fill_stripped: number; fill_arch: string };
  sections: { section: string; bytes: number; function_bytes: number; hot_bytes: number; cold_bytes: number; hole_bytes: number; unstored_bytes: number }[];
  results: ColdResult[];
  results_csv?: string;
  /** Honest note on the held-out time estimate. */
  holdout_ms_note: string;
}

export function coldSummary(
  img: KernelImage,
  plan: ColdPlan,
  info: { trace: TraceInfo; holdout: TraceInfo | null; layoutTrace: TraceInfo | null },
  rows: readonly ResultRow[],
): ColdSummary {
  const p = plan.partition;
  const t = p.totals;
  const fb = t.hotBytes + t.coldBytes;
  const sectionBytes = new Map(img.sections.map((s) => [s.name, s.bytes]));
  const results: ColdResult[] = rows
    .filter((r) => r.unit_kind === 'cold')
    .map((r) => ({
      algorithm: r.algorithm,
      setting: r.setting,
      layout: r.layout ?? '',
      block_bytes: Number(r.block_bytes),
      blocks: Number(r.blocks),
      cold_raw_bytes: r.unit_bytes,
      cold_compressed_bytes: r.compressed_bytes,
      index_bytes: Number(r.index_bytes),
      ratio: r.ratio,
      hot_bytes: Number(r.hot_bytes),
      hot_compressed_bytes: r.hot_compressed_bytes ?? null,
      flash_xip_bytes: r.flash_xip_bytes ?? null,
      ram_xip_bytes: r.ram_xip_bytes ?? null,
      flash_ram_bytes: r.flash_ram_bytes ?? null,
      ram_ram_bytes: r.ram_ram_bytes ?? null,
      decompress_ms_all_blocks: r.decompress_ms_median,
      block_decompress_ms_median: r.block_decompress_ms_median ?? null,
      holdout: r.holdout_trace
        ? {
            trace: r.holdout_trace,
            functions: r.holdout_functions ?? null,
            misses: r.holdout_misses ?? null,
            compressed_bytes: r.holdout_bytes ?? null,
            raw_bytes: r.holdout_raw_bytes ?? null,
            ms_estimated: r.holdout_ms ?? null,
          }
        : null,
      verified: r.verified,
      error: r.error,
    }))
    .sort(
      (a, b) =>
        a.algorithm.localeCompare(b.algorithm) || a.setting.localeCompare(b.setting) || a.layout.localeCompare(b.layout) || a.block_bytes - b.block_bytes,
    );
  return {
    image: img.path,
    format: img.format,
    arch: img.arch,
    release: img.release,
    symbols: img.symbols.source,
    trace: info.trace,
    holdout: info.holdout,
    layout_trace: info.layoutTrace,
    text_bytes: p.sections.reduce((n, s) => n + (sectionBytes.get(s.section) ?? 0), 0),
    function_bytes: fb,
    hot_bytes: t.hotBytes,
    cold_bytes: t.coldBytes,
    hole_bytes: t.holeBytes,
    unstored_bytes: t.unstoredBytes,
    functions: t.functions,
    hot_functions: t.hotFunctions,
    cold_functions: t.coldFunctions,
    hot_share: fb > 0 ? t.hotBytes / fb : null,
    code_ends: { from_symbol_sizes: p.code.sized, fill_stripped: p.code.stripped, fill_arch: p.code.fill },
    sections: p.sections.map((s) => ({
      section: s.section,
      bytes: sectionBytes.get(s.section) ?? 0,
      function_bytes: s.hotBytes + s.coldBytes,
      hot_bytes: s.hotBytes,
      cold_bytes: s.coldBytes,
      hole_bytes: s.holeBytes,
      unstored_bytes: s.unstoredBytes,
    })),
    results,
    holdout_ms_note: 'holdout_ms sums the measured median decompression time of each missed block on this machine (warm, in memory); a target CPU is slower',
  };
}

/**
 * The setting a cold block cell uses for `key`: the same, except that the
 * kernel profile of zstd gets content_size. A block compressor knows each
 * block's size, as `zstd FILE` does; the kernel build pipes the whole image
 * (size unknown), and without the size zstd -22 sizes its tables for a
 * 128 MiB window, ~0.4-0.75 s per block whatever its size (docs/cold.md).
 */
export function coldSetting(img: KernelImage, key: string): string {
  const zstdProfile = kernelProfile('zstd', kernelTarget(img)).key;
  return key === zstdProfile ? parseSetting(`${key},content_size`).key : key;
}
