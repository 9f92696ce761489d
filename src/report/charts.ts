// The report's charts: Vega-Lite specs built from a Report, rendered to SVG
// strings in Node (vega-lite compile, then a headless vega View with
// renderer 'none'). Data is always inline; the loader refuses every load, so
// rendering can never touch the network or the disk.

import { compile, type TopLevelSpec } from 'vega-lite';
import { loader as vegaLoader, parse as vegaParse, View } from 'vega';
import { ALGORITHMS } from '../codecs/index.js';
import type { ModelResults } from './model.js';
import type { ImageReport } from './summary.js';

export interface Chart {
  /** Stable id (used for the SVG ids and the embedded spec). */
  id: string;
  title: string;
  /** One sentence saying how to read it. */
  caption: string;
  spec: TopLevelSpec;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const ALGO_COLORS: Record<string, string> = {
  gzip: '#4c78a8',
  bzip2: '#9d755d',
  lzma: '#b279a2',
  xz: '#e45756',
  lzo: '#72b7b2',
  lz4: '#54a24b',
  zstd: '#f58518',
};

function algorithmScale(present: readonly string[]) {
  const domain = [...ALGORITHMS.filter((a) => present.includes(a)), ...present.filter((a) => !(ALGORITHMS as readonly string[]).includes(a)).sort()];
  return { domain, range: domain.map((a) => ALGO_COLORS[a] ?? '#888888') };
}

const CONFIG = {
  font: 'sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, symbolOpacity: 1 },
};

/** Ratio against decompression speed, one colour per algorithm; the kernel default circled. */
export function ratioSpeedChart(im: ImageReport, id: string): Chart | null {
  if (!im.settings.length) return null;
  const values = im.settings.map((s) => ({
    algorithm: s.algorithm,
    setting: s.setting,
    ratio: s.ratio,
    mb_s: s.decompressMbS,
    compressed_bytes: s.compressedBytes,
    kind: s === im.baseline ? 'kernel default' : s.kernelProfile ? 'kernel profile' : 'other setting',
    // Each algorithm named once, at its smallest setting; the default says so.
    label: s === im.baseline ? `${s.algorithm} (kernel default)` : im.best.some((b) => b.smallest === s) ? s.algorithm : '',
  }));
  const x = {
    field: 'mb_s',
    type: 'quantitative',
    title: 'decompression speed (MB/s of output, log scale)',
    scale: { type: 'log', nice: false, padding: 12 },
  } as const;
  const y = { field: 'ratio', type: 'quantitative', title: 'compression ratio (unit bytes / compressed bytes)', scale: { zero: false, padding: 12 } } as const;
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    width: 640,
    height: 380,
    config: CONFIG,
    data: { values },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 1, opacity: 0.5 },
        encoding: {
          x,
          y,
          color: { field: 'algorithm', type: 'nominal', scale: algorithmScale(im.best.map((b) => b.algorithm)) },
          order: { field: 'mb_s', type: 'quantitative' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70, opacity: 0.9 },
        encoding: {
          x,
          y,
          color: {
            field: 'algorithm',
            type: 'nominal',
            title: 'algorithm',
            scale: algorithmScale(im.best.map((b) => b.algorithm)),
            legend: { symbolOpacity: 1 },
          },
          shape: {
            field: 'kind',
            type: 'nominal',
            title: 'setting',
            scale: { domain: ['kernel default', 'kernel profile', 'other setting'], range: ['diamond', 'square', 'circle'] },
          },
        },
      },
      {
        transform: [{ filter: "datum.kind === 'kernel default'" }],
        mark: { type: 'point', size: 420, strokeWidth: 2, color: '#222', filled: false },
        encoding: { x, y },
      },
      {
        transform: [{ filter: "datum.label !== ''" }],
        mark: { type: 'text', dx: 9, dy: -11, align: 'left', fontSize: 11, color: '#222' },
        encoding: { x, y, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
  return {
    id,
    title: 'Compression ratio against decompression speed',
    caption: `Each point is one verified setting on ${im.basis === 'whole' ? 'the whole unit' : 'the sum of all sections'}; up is smaller, right is faster. Lines join the settings of one algorithm.`,
    spec,
  };
}

/** Compressed bytes per section for every setting, against the section's own size. */
export function sectionSizeChart(im: ImageReport, id: string): Chart | null {
  if (!im.sections.length) return null;
  const sizes = new Map<string, number>();
  for (const p of im.sections) sizes.set(p.unit, p.unitBytes);
  const order = [...sizes.keys()].sort((a, b) => sizes.get(b)! - sizes.get(a)! || a.localeCompare(b));
  const values = [
    ...order.map((unit) => ({ section: unit, bytes: sizes.get(unit)!, series: 'uncompressed', algorithm: '' })),
    ...im.sections.map((p) => ({ section: p.unit, bytes: p.compressedBytes, series: p.setting, algorithm: p.algorithm })),
  ].filter((v) => v.bytes > 0);
  const settings = [...new Set(im.sections.map((p) => p.setting))].sort((a, b) => {
    const ia = (ALGORITHMS as readonly string[]).indexOf(im.sections.find((p) => p.setting === a)!.algorithm);
    const ib = (ALGORITHMS as readonly string[]).indexOf(im.sections.find((p) => p.setting === b)!.algorithm);
    return ia - ib || a.localeCompare(b);
  });
  // One setting per algorithm: the algorithm's colour, as in the ratio chart; else a palette.
  const algorithmOf = (setting: string) => im.sections.find((p) => p.setting === setting)!.algorithm;
  const onePerAlgorithm = new Set(settings.map(algorithmOf)).size === settings.length;
  const palette = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#1b9e77', '#7570b3'];
  const colors = settings.map((st, i) => (onePerAlgorithm ? ALGO_COLORS[algorithmOf(st)] : undefined) ?? palette[i % palette.length]!);
  const y = { field: 'section', type: 'nominal', sort: order, title: null, axis: { labelLimit: 220 } } as const;
  const all = values.map((v) => v.bytes);
  const decades: number[] = [];
  for (let e = Math.floor(Math.log10(Math.min(...all))); e <= Math.ceil(Math.log10(Math.max(...all))); e++) decades.push(10 ** e);
  const x = {
    field: 'bytes',
    type: 'quantitative' as const,
    title: 'bytes (log scale)',
    scale: { type: 'log' as const, domain: [decades[0]!, decades[decades.length - 1]!] },
    axis: { format: '~s', values: decades },
  };
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    width: 620,
    height: { step: 16 },
    config: CONFIG,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.series === 'uncompressed'" }],
        mark: { type: 'bar', color: '#e2e2e2', opacity: 1, height: { band: 0.8 } },
        encoding: { y, x: { ...x, stack: null }, x2: { value: 0 } },
      },
      {
        transform: [{ filter: "datum.series !== 'uncompressed'" }],
        mark: { type: 'point', filled: true, size: 40, opacity: 0.85 },
        encoding: {
          y,
          x,
          color: {
            field: 'series',
            type: 'nominal',
            title: 'setting',
            scale: { domain: settings, range: colors },
            legend: { orient: 'top', direction: 'vertical', labelLimit: 600, symbolOpacity: 1 },
          },
        },
      },
    ],
  };
  return {
    id,
    title: 'Compressed size per section',
    caption: 'Grey bars: the section uncompressed; dots: its compressed bytes with each setting (log scale, largest sections first).',
    spec,
  };
}

/** The model's candidates on flash bytes against boot time, the frontier joined. */
export function modelFrontierChart(model: ModelResults, id: string): Chart | null {
  if (!model.points.length) return null;
  const values = model.points.map((p) => ({
    strategy: p.strategy || 'candidate',
    label: [p.strategy, p.algorithm].filter(Boolean).join(' '),
    setting: p.setting,
    flash_bytes: p.flashBytes,
    boot_ms: p.bootMs,
    status: p.frontier ? 'frontier' : p.fits ? 'fits' : 'does not fit',
  }));
  const x = { field: 'flash_bytes', type: 'quantitative', title: 'flash bytes', scale: { zero: false }, axis: { format: '~s' } } as const;
  const y = { field: 'boot_ms', type: 'quantitative', title: 'boot time (ms)', scale: { zero: false } } as const;
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    width: 640,
    height: 360,
    config: CONFIG,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.status !== 'frontier'" }],
        mark: { type: 'point', size: 40 },
        encoding: {
          x,
          y,
          color: { value: '#aaa' },
          shape: { field: 'status', type: 'nominal', title: 'candidate', scale: { domain: ['fits', 'does not fit'], range: ['circle', 'cross'] } },
        },
      },
      {
        transform: [{ filter: "datum.status === 'frontier'" }],
        mark: { type: 'line', color: '#333', strokeWidth: 1.5, point: false },
        encoding: { x, y, order: { field: 'flash_bytes', type: 'quantitative' } },
      },
      {
        transform: [{ filter: "datum.status === 'frontier'" }],
        mark: { type: 'point', filled: true, size: 80 },
        encoding: { x, y, color: { field: 'strategy', type: 'nominal', title: 'frontier strategy' } },
      },
      {
        transform: [{ filter: "datum.status === 'frontier'" }],
        mark: { type: 'text', dx: 8, dy: -8, align: 'left', fontSize: 10 },
        encoding: { x, y, text: { field: 'label' } },
      },
    ],
  };
  return {
    id,
    title: 'Model: flash bytes against boot time',
    caption: `Every candidate from ${model.path}; the line joins the Pareto frontier (nothing fits in less flash and boots faster).`,
    spec,
  };
}

/** Vega ids (clip paths, gradients) are per render; prefix them so several SVGs can share one page. */
function scopeIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!));
  let out = svg;
  for (const id of ids) {
    const esc = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out
      .replace(new RegExp(`\\bid="${esc}"`, 'g'), `id="${prefix}-${id}"`)
      .replace(new RegExp(`url\\(#${esc}\\)`, 'g'), `url(#${prefix}-${id})`)
      .replace(new RegExp(`href="#${esc}"`, 'g'), `href="#${prefix}-${id}"`);
  }
  return out;
}

const noLoads = vegaLoader();
for (const method of ['load', 'sanitize', 'http', 'file'] as const) {
  (noLoads as unknown as Record<string, unknown>)[method] = async (uri: string) => {
    throw new Error(`report charts use inline data only; refused to load ${uri}`);
  };
}

/** SVG markup for a Vega-Lite spec, rendered without a browser. */
export async function renderSvg(spec: TopLevelSpec, idPrefix = 'chart'): Promise<string> {
  const vega = compile(spec).spec;
  const view = new View(vegaParse(vega), { renderer: 'none', loader: noLoads });
  try {
    const svg = await view.toSVG();
    return scopeIds(svg, idPrefix);
  } finally {
    view.finalize();
  }
}
