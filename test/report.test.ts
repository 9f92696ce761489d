// kzbench report: the summary logic on a synthetic results directory (best
// per algorithm, kernel default, sections basis, failures listed and never
// charted, the optional model.csv), and the HTML opened in headless Chromium
// with no console message at all (the page has no script, so any message is
// a blocked load, a CSP violation or a parse error).
import { KzError } from '../src/errors.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { kernelProfile } from '../src/codecs/index.js';
import { reportCommand } from '../src/cli/report.js';
import { buildReport, CSP, keyWithoutBackend, modelPoints, renderHtml, renderMarkdown } from '../src/report/index.js';
import { modelCsvText, parseModelCsv, type ModelValues } from '../src/results/model-csv.js';
import { headerLine, rowLine } from '../src/results/csv.js';
import { PARAM_COLUMNS, type ResultRow } from '../src/results/schema.js';

const root = mkdtempSync(join(tmpdir(), 'kzbench-report-'));
const SHA = 'ab'.repeat(32);
const IMAGE = '/nonexistent/vmlinuz-6.1.0-56-amd64';
const target = { arch: 'x86_64', kernelVersion: '6.1.0-56-amd64' };
const XZ_DEFAULT = kernelProfile('xz', target).key;
const GZIP_PROFILE = kernelProfile('gzip', target).key;

function row(
  unit: string,
  algorithm: string,
  setting: string,
  unitBytes: number,
  compressed: number | null,
  ms: number | null,
  extra: Partial<ResultRow> = {},
): ResultRow {
  const params = Object.fromEntries(PARAM_COLUMNS.map((c) => [c, null])) as Record<(typeof PARAM_COLUMNS)[number], null>;
  const ok = compressed !== null && ms !== null;
  return {
    image: IMAGE,
    image_sha256: SHA,
    unit,
    unit_bytes: unitBytes,
    algorithm,
    setting,
    backend: setting.includes('gzip-cli') ? 'gzip-cli' : 'lib',
    compressed_bytes: compressed,
    ratio: ok ? unitBytes / compressed : null,
    compress_ms: ok ? 10 : null,
    decompress_ms_median: ms,
    decompress_ms_mad: ok ? 0.5 : null,
    decompress_runs: ok ? 5 : null,
    decompress_mb_s: ok ? unitBytes / 1e6 / (ms / 1000) : null,
    verified: ok,
    unit_kind: unit === 'whole' ? 'whole' : 'section',
    unit_offset: unit === 'whole' ? 0 : unit === '.text' ? 0 : 1_000_000,
    error: ok ? '' : 'lz4: worker crashed (synthetic)',
    attempts: ok ? 1 : 2,
    worker: 1,
    cell_id: `${unit}|${setting}`,
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:01.000Z',
    ...params,
    ...extra,
  };
}

const W = 10_000_000;
const wholeRows = [
  row('whole', 'xz', XZ_DEFAULT, W, 1_250_000, 200), // 50 MB/s: the kernel default
  row('whole', 'xz', 'xz:preset=9,dict=64MiB,bcj=x86,check=crc32,size_append', W, 1_200_000, 210),
  row('whole', 'gzip', GZIP_PROFILE, W, 2_000_000, 100),
  row('whole', 'gzip', 'gzip:level=1,backend=gzip-cli', W, 2_400_000, 80),
  row('whole', 'lz4', 'lz4:level=9,frame=legacy,size_append', W, 3_000_000, 10),
  row('whole', 'lz4', 'lz4:level=1,frame=legacy,size_append', W, 3_500_000, 8),
  // A cell that failed and was never recovered: listed, never charted.
  row('whole', 'zstd', 'zstd:level=22,size_append', W, null, null, { error: 'zstd: out of memory (synthetic)' }),
  // A cell that failed, then was re-run verified (resume).
  row('whole', 'lzo', 'lzo:level=1', W, null, null),
  row('whole', 'lzo', 'lzo:level=1', W, 3_300_000, 20),
];
const sectionRows = [
  row('.text', 'gzip', 'gzip:level=6,backend=gzip-cli', 6_000_000, 2_000_000, 60),
  row('.rodata', 'gzip', 'gzip:level=6,backend=gzip-cli', 2_000_000, 500_000, 20),
  row('.text', 'zstd', 'zstd:level=3', 6_000_000, 2_200_000, 12),
  row('.rodata', 'zstd', 'zstd:level=3', 2_000_000, 450_000, 4),
  row('.text', 'lz4', 'lz4:level=1,frame=legacy', 6_000_000, 2_900_000, 5), // no .rodata row: incomplete
];

function writeDir(name: string, rows: ResultRow[], runExtra: Record<string, unknown> | null, model?: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.csv'), headerLine() + rows.map(rowLine).join(''));
  if (runExtra) {
    const run = {
      kzbench_version: '0.1.0',
      node_version: 'v20.0.0',
      arch: 'x86_64',
      cpu_model: 'Test CPU',
      cpu_count: 2,
      backend_versions: { liblzma: '5.4.1' },
      command_line: ['node', 'kzbench', 'run'],
      start: '2026-01-01T00:00:00.000Z',
      end: '2026-01-01T00:01:00.000Z',
      image: IMAGE,
      image_sha256: SHA,
      ...runExtra,
    };
    writeFileSync(join(dir, 'run.json'), JSON.stringify(run));
  }
  if (model !== undefined) writeFileSync(join(dir, 'model.csv'), model);
  return dir;
}

const wholeDir = writeDir('whole', [...wholeRows, ...sectionRows], { release: '6.1.0-56-amd64', image_format: 'bzimage', payload_algorithm: 'xz' });

/** Every chart's data values, from the Vega-Lite specs kept in the HTML. */
function chartValues(html: string): Record<string, unknown>[] {
  const blocks = [...html.matchAll(/<script type="application\/json" class="vega-lite-spec"[^>]*>([^<]*)<\/script>/g)].map((m) => JSON.parse(m[1]!));
  return blocks.flatMap((b) => (b.data?.values ?? []) as Record<string, unknown>[]);
}

/** A model.csv row as pick writes it. */
function cand(algorithm: string, flash: number, boot: number, fits: boolean, pareto: boolean, strategy = 'self-decompressing'): ModelValues {
  return {
    board: 'nas',
    strategy,
    algorithm,
    setting: `${algorithm}:level=9`,
    flash_bytes: flash,
    ram_bytes: 9_000_000,
    boot_ms: boot,
    read_ms: null,
    decompress_ms: boot,
    fits,
    pareto,
    recommended: false,
    reason: '',
    flash_headroom_bytes: null,
    ram_headroom_bytes: null,
    boot_headroom_ms: null,
    boot_source: 'test',
    unchecked: '',
    basis: 'test',
    boot_ms_low: boot,
    boot_ms_high: boot,
    read_ms_low: null,
    read_ms_high: null,
    decompress_ms_low: boot,
    decompress_ms_high: boot,
    boot_basis: 'test',
    boot_rank: null,
    boot_within_range_of: '',
  };
}

describe('report summary', () => {
  const report = buildReport(wholeDir, { readImages: false });
  const im = report.images[0]!;

  it("compares on the whole unit against the shipped algorithm's kernel profile", () => {
    assert.equal(report.images.length, 1);
    assert.equal(im.basis, 'whole');
    assert.equal(im.unitBytes, W);
    assert.equal(im.context.arch, 'x86_64');
    assert.equal(im.baselineKey, XZ_DEFAULT);
    assert.equal(im.baseline?.setting, XZ_DEFAULT);
    assert.equal(im.baseline?.compressedBytes, 1_250_000);
  });

  it('best per algorithm: smallest by bytes, fastest by MB/s', () => {
    const best = Object.fromEntries(im.best.map((b) => [b.algorithm, b]));
    assert.deepEqual(Object.keys(best), ['gzip', 'xz', 'lzo', 'lz4'], 'kernel order of algorithms; failed zstd absent');
    assert.equal(best['xz']!.smallest.setting, 'xz:preset=9,dict=64MiB,bcj=x86,check=crc32,size_append');
    assert.equal(best['xz']!.fastest.setting, XZ_DEFAULT);
    assert.equal(best['gzip']!.smallest.setting, GZIP_PROFILE);
    assert.equal(best['gzip']!.fastest.setting, 'gzip:level=1,backend=gzip-cli');
    assert.equal(best['lz4']!.smallest.setting, 'lz4:level=9,frame=legacy,size_append');
    assert.equal(best['lz4']!.fastest.setting, 'lz4:level=1,frame=legacy,size_append');
    assert.equal(best['gzip']!.smallest.kernelProfile, true);
    assert.equal(best['lzo']!.smallest.compressedBytes, 3_300_000, 'the recovered cell counts');
  });

  it('failures: listed once, recovered ones counted, never in a chart', async () => {
    assert.deepEqual(
      report.failed.map((f) => f.setting),
      ['zstd:level=22,size_append'],
    );
    assert.match(report.failed[0]!.error, /out of memory/);
    assert.equal(report.recoveredFailures, 1);
    const md = renderMarkdown(report);
    assert.match(md, /## Failed cells/);
    assert.match(md, /zstd:level=22,size_append.*out of memory/);
    const html = await renderHtml(report);
    const settings = new Set(chartValues(html).map((v) => v['setting'] ?? v['series']));
    assert.ok(settings.has(XZ_DEFAULT));
    assert.ok(!settings.has('zstd:level=22,size_append'), 'a failed cell is not charted');
  });

  it('Markdown: the default, sizes and speeds relative to it', () => {
    const md = renderMarkdown(report);
    assert.match(
      md,
      new RegExp(`Kernel default: \`${XZ_DEFAULT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\`: 1,250,000 bytes, ratio 8\\.000, decompresses at 50\\.0 MB/s`),
    );
    // xz preset 9: 50,000 bytes (4.0%) smaller, 200/210 as fast.
    assert.match(md, /\| xz \| `xz:preset=9[^|]*` \| 1,200,000 \| 8\.333 \| -4\.0% \(-50,000 B\) \| 47\.6 \| 0\.952x \|/);
    // lz4 level 1: 10e6 B / 8 ms = 1250 MB/s = 25x the default.
    assert.match(md, /\| lz4 \| `lz4:level=1,frame=legacy,size_append` \| 3,500,000 \| 2\.857 \| \+180\.0% \(\+2,250,000 B\) \| 1250 \| 25\.0x \|/);
    assert.match(md, /\(kernel default\)/);
    assert.match(md, /### Sections, largest first/);
    assert.match(md, /\| \.text \| 6,000,000 \| `gzip:level=6,backend=gzip-cli` \| 2,000,000 \|/);
  });

  it('sections basis: sums over sections, leaves out settings missing a section', () => {
    const dir = writeDir('sections', sectionRows, { release: '6.1.0-56-amd64', image_format: 'bzimage', payload_algorithm: 'xz' });
    const r = buildReport(dir, { readImages: false });
    const s = r.images[0]!;
    assert.equal(s.basis, 'sections');
    assert.equal(s.unitBytes, 8_000_000);
    assert.deepEqual(s.sectionNames, ['.text', '.rodata'], 'kernel order (offset)');
    assert.deepEqual(s.incomplete, [{ setting: 'lz4:level=1,frame=legacy', missingUnits: 1 }]);
    const zstd = s.settings.find((x) => x.algorithm === 'zstd')!;
    assert.equal(zstd.compressedBytes, 2_650_000);
    assert.equal(zstd.decompressMs, 16);
    assert.equal(zstd.decompressMbS, 8 / 0.016);
    assert.equal(s.baseline, null, 'the xz default was not run on the sections');
    assert.match(s.baselineNote, /kzbench run --codec xz/);
    const md = renderMarkdown(r);
    assert.doesNotMatch(md, /size vs default/, 'no default, no "vs default" columns');
    assert.match(md, /Left out of the sum .*lz4:level=1,frame=legacy/);
  });

  it('cold-code rows: kept out of the sections, listed in their own table', () => {
    const cold = (setting: string, compressed: number) =>
      row('cold:boot.txt:address:4KiB', 'xz', setting, 900_000, compressed, 20, {
        unit_kind: 'cold',
        trace: 'boot.txt',
        layout: 'address',
        block_bytes: 4096,
        hot_functions: 10,
        hot_bytes: 100_000,
        function_bytes: 1_000_000,
        cold_functions: 90,
        hole_bytes: 5_000,
        flash_xip_bytes: 100_000 + compressed,
        holdout_trace: 'work.txt',
        holdout_misses: 3,
        holdout_raw_bytes: 12_288,
        holdout_ms: 1.5,
      });
    const dir = writeDir('cold', [...sectionRows, cold(XZ_DEFAULT, 500_000)], { release: '6.1.0-56-amd64', image_format: 'bzimage', payload_algorithm: 'xz' });
    const r = buildReport(dir, { readImages: false });
    const s = r.images[0]!;
    assert.deepEqual(s.sectionNames, ['.text', '.rodata'], 'the cold unit is not a section');
    assert.equal(s.cold.length, 1);
    const md = renderMarkdown(r);
    assert.match(md, /### Cold code/);
    assert.match(md, /10 functions ran, 100,000 of 1,000,000 function bytes \(10\.0%\)/);
    assert.match(md, /\| address \| 4,096 \| `xz:[^`]+` \| 500,000 \| 1\.800 \| 600,000 \| 3 \| 12,288 \| 1\.5 \|/);
  });

  it('no run.json and no image file: no default, said plainly', () => {
    const dir = writeDir('bare', wholeRows, null);
    const r = buildReport(dir);
    assert.equal(r.run, null);
    assert.equal(r.images[0]!.baseline, null);
    assert.match(r.images[0]!.baselineNote, /unknown/);
    assert.ok(r.notes.some((x) => /run\.json/.test(x)));
  });

  it("--baseline picks another algorithm's kernel profile; a bad name is refused", () => {
    const r = buildReport(wholeDir, { readImages: false, baseline: 'gzip' });
    assert.equal(r.images[0]!.baseline?.setting, GZIP_PROFILE);
    assert.throws(() => buildReport(wholeDir, { baseline: 'brotli' }), /--baseline brotli: not an algorithm/);
    assert.throws(() => buildReport(join(root, 'missing')), /no such directory/);
  });

  it('matches the kernel profile whatever backend computed it', () => {
    assert.equal(keyWithoutBackend('gzip:level=9,backend=zlib'), 'gzip:level=9');
    assert.equal(keyWithoutBackend('gzip:level=9,backend=gzip-cli'), 'gzip:level=9');
    assert.equal(keyWithoutBackend('xz:preset=6,check=crc32'), 'xz:preset=6,check=crc32');
    const zlibRows = [row('whole', 'gzip', 'gzip:level=9,backend=zlib', W, 2_000_000, 100)];
    const dir = writeDir('zlib', zlibRows, { release: '6.1.0-56-amd64', image_format: 'bzimage', payload_algorithm: 'gzip' });
    assert.equal(buildReport(dir, { readImages: false }).images[0]!.baseline?.setting, 'gzip:level=9,backend=zlib');
  });

  it('model.csv: charted with its frontier when present, omitted when absent', async () => {
    assert.equal(report.model, null);
    assert.doesNotMatch(await renderHtml(report), /model-frontier/);
    // pick's Pareto flags are taken as written: here deliberately not the flash/boot frontier
    const csv = modelCsvText([cand('xz', 2_000_000, 900, true, true), cand('lz4', 3_000_000, 300, false, false), cand('gzip', 2_500_000, 500, true, false)]);
    const m = modelPoints(parseModelCsv(csv), 'model.csv');
    assert.deepEqual(
      m.points.map((p) => p.frontier),
      [true, false, false],
    );
    const noFlash = modelCsvText([{ ...cand('bzip2', 0, 0, false, false), flash_bytes: null, reason: 'no stub measured' }]);
    assert.match(modelPoints(parseModelCsv(noFlash), 'model.csv').skipped[0]!, /line 2: self-decompressing bzip2 has no flash_bytes \(no stub measured\)/);
    assert.throws(() => parseModelCsv('a,b\n1,2\n'), /no board, strategy, .* columns/);
    assert.throws(() => parseModelCsv(csv.replace(',900,', ',fast,')), /model\.csv:2: column boot_ms: expected a number or nothing \(got "fast"\)/);
    const dir = writeDir('model', wholeRows, { release: '6.1.0-56-amd64', image_format: 'bzimage', payload_algorithm: 'xz' }, csv);
    const r = buildReport(dir, { readImages: false });
    assert.equal(r.model?.points.length, 3);
    const html = await renderHtml(r);
    assert.match(html, /id="model-frontier"/);
    assert.match(renderMarkdown(r), /## Model frontier[\s\S]*\| nas \| self-decompressing \| xz \|/);
  });

  it('HTML is self-contained: inline SVG, CSP forbidding loads, no script, no remote reference', async () => {
    const html = await renderHtml(report);
    assert.ok(html.includes(`content="${CSP}"`));
    assert.equal((html.match(/<svg\b/g) ?? []).length, 2, 'ratio/speed and per-section charts');
    assert.doesNotMatch(html, /<script(?![^>]*type="application\/json")/, 'only JSON data blocks');
    assert.doesNotMatch(html, /<link\b|<iframe\b|<img\b/);
    assert.doesNotMatch(html, /\b(?:src|href)="(?!#|data:)/, 'no attribute points outside the page');
    assert.doesNotMatch(html, /url\((?!#)/);
  });

  it('reportCommand prints Markdown and writes DIR/report.html or --out', async () => {
    const dir = writeDir('cmd', wholeRows, { release: '6.1.0-56-amd64', image_format: 'bzimage', payload_algorithm: 'xz' });
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await reportCommand(dir, {});
      await reportCommand(dir, { out: join(dir, 'other.html') });
    } finally {
      process.stdout.write = write;
    }
    assert.equal(code, 0);
    assert.match(out.join(''), /^# kzbench report: /);
    assert.ok(existsSync(join(dir, 'report.html')));
    assert.ok(existsSync(join(dir, 'other.html')));
    await assert.rejects(reportCommand(join(root, 'nothing-here'), {}), (e: unknown) => e instanceof KzError && e.lines().length === 1);
  });
});

// Headless Chromium: the wrapper script, flags that keep it off the network,
// a fresh profile, console messages on stderr (":CONSOLE" lines).
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

function openInChromium(file: string): { dom: string; console: string[]; status: number | null; stderr: string } {
  const profile = mkdtempSync(join(tmpdir(), 'kzbench-chromium-'));
  try {
    const r = spawnSync(
      CHROMIUM!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--enable-logging=stderr',
        '--v=0',
        '--virtual-time-budget=2000',
        '--dump-dom',
        `file://${file}`,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 },
    );
    return { dom: r.stdout ?? '', console: (r.stderr ?? '').split('\n').filter((l) => /:CONSOLE[:(]/.test(l)), status: r.status, stderr: r.stderr ?? '' };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('report.html in headless Chromium', { skip: CHROMIUM ? false : 'chromium is not installed (Debian: apt-get install chromium)' }, () => {
  it('catches console messages (control: a page that breaks the policy)', () => {
    const bad = join(root, 'bad.html');
    writeFileSync(
      bad,
      `<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}"></head><body><img src="https://example.invalid/x.png"><p>bad</p></body></html>`,
    );
    const r = openInChromium(bad);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.console.length >= 1, `expected a CSP console message, got stderr:\n${r.stderr}`);
  });

  it('renders the report with its charts and no console message', async () => {
    const dir = writeDir(
      'chromium',
      [...wholeRows, ...sectionRows],
      { release: '6.1.0-56-amd64', image_format: 'bzimage', payload_algorithm: 'xz' },
      modelCsvText([cand('none', 3_000_000, 100, true, true, 'xip'), cand('xz', 2_000_000, 400, true, true)]),
    );
    const html = await renderHtml(buildReport(dir, { readImages: false }));
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    const r = openInChromium(file);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.console, [], 'no console messages');
    assert.match(r.dom, /<h1>kzbench report<\/h1>/);
    assert.equal((r.dom.match(/<svg\b/g) ?? []).length, 3, 'three charts in the DOM');
    assert.match(r.dom, /class="marks"/);
    assert.ok(r.dom.length > html.length / 2, 'the whole page was parsed');
    assert.ok(readFileSync(file, 'utf8').length === html.length);
  });
});
