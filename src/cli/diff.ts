// kzbench diff OLD NEW [--profile kernel|none] [--codec ALGO[:SETTING]...] [--json|--csv]
// [--config FILE] [--new-config FILE]: where the bytes went between two
// kernel images, raw and compressed. Text (symbol blocks exactly as
// bloat-o-meter -c prints them), JSON (the DiffResult), or one tidy CSV (a
// `table` column tells the row kinds apart); columns in docs/diff.md.
import { KzError } from '../errors.js';
import { stringify } from 'csv-stringify/sync';
import { checkSpecs, diffImages, bloatOMeterText, summaryLine, totalLine, type DiffResult, type ImageSummary, type Profile } from '../diff/index.js';
import { openKernelImage } from '../image/index.js';
import { table } from './format.js';
import { UsageError } from './usage.js';

export interface DiffCommandOptions {
  profile?: string;
  codec?: string[];
  json?: boolean;
  csv?: boolean;
  config?: string;
  newConfig?: string;
}

/** Two images: an error names the one it is about (main's guarded() gets no file for diff). */
function named<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof KzError ? e.about(path) : e;
  }
}

export async function diffCommand(oldPath: string, newPath: string, opts: DiffCommandOptions): Promise<number> {
  const profile = opts.profile ?? 'kernel';
  if (profile !== 'kernel' && profile !== 'none') throw new UsageError(`--profile ${profile}: allowed: kernel, none`);
  if (opts.json && opts.csv) throw new UsageError('--json and --csv: choose one output format');
  checkSpecs(opts.codec ?? [], profile);
  const old = named(oldPath, () => openKernelImage(oldPath, { configPath: opts.config }));
  const now = named(newPath, () => openKernelImage(newPath, { configPath: opts.newConfig }));
  const log = (s: string) => process.stderr.write(s + '\n');
  const started = Date.now();
  const result = await diffImages(old, now, {
    profile: profile as Profile,
    codecs: opts.codec,
    onProgress: (p) => {
      const r = p.finished;
      if (r)
        log(
          `[${p.done}/${p.total}] ${r.unit} ${r.setting}: ${r.verified ? `${r.compressed_bytes} bytes` : `FAILED: ${r.error}`} (${((Date.now() - started) / 1000).toFixed(0)}s)`,
        );
    },
  });
  process.stdout.write(opts.json ? renderJson(result) : opts.csv ? renderCsv(result) : renderText(result));
  const failed = result.compressed?.rows.some((r) => [r.old, r.new].some((s) => s.reason?.startsWith('failed'))) ?? false;
  return failed ? 1 : 0;
}

const n = (x: number) => x.toLocaleString('en-US');
const signed = (x: number) => (x > 0 ? '+' : '') + n(x);
const pct = (x: number | null) => (x === null ? '-' : (x > 0 ? '+' : '') + x.toFixed(2) + '%');

function imageLine(which: string, s: ImageSummary): string {
  const shipped = s.shipped
    ? s.shipped.storedBytes !== null
      ? `ships ${s.shipped.algorithm} (${n(s.shipped.storedBytes)} bytes stored)`
      : `.config chooses ${s.shipped.algorithm}`
    : 'uncompressed';
  return `${which}: ${s.path}\n     ${s.format} ${s.arch}${s.release ? ' ' + s.release : ''}, ${n(s.fileBytes)} bytes, ${shipped}; symbols: ${s.symbols.source} (${n(s.symbols.count)})`;
}

export function renderText(d: DiffResult): string {
  const out: string[] = [imageLine('old', d.old), imageLine('new', d.new)];
  for (const m of d.messages) out.push(`note: ${m}`);

  if (d.compressed) {
    const c = d.compressed;
    out.push('', 'compressed size (the flash cost of the change): the whole kernel as its build compresses it, with each kernel profile');
    const rows = [['uncompressed', '', n(c.unit.old), n(c.unit.new), signed(c.unit.delta), pct(c.unit.old ? (c.unit.delta * 100) / c.unit.old : null)]];
    for (const r of c.rows) {
      const setting = r.old.setting === r.new.setting ? (r.old.setting ?? '') : `${r.old.setting ?? '-'} | ${r.new.setting ?? '-'}`;
      rows.push([
        r.spec,
        setting,
        r.old.bytes === null ? '-' : n(r.old.bytes),
        r.new.bytes === null ? '-' : n(r.new.bytes),
        r.delta === null ? '-' : signed(r.delta),
        pct(r.percent),
      ]);
    }
    out.push(table(['algorithm', 'setting', 'old', 'new', 'delta', 'change'], rows, [false, false, true, true, true, true]));
    for (const r of c.rows) {
      for (const [w, s] of [
        ['old', r.old],
        ['new', r.new],
      ] as const)
        if (s.reason) out.push(`  ${r.spec} ${w}: ${s.reason}`);
    }
  }

  const s = d.sections;
  out.push('', 'sections (bytes in memory; totals over loaded sections):');
  const rows = s.rows.map((r) => [r.name, r.kind, r.old ? n(r.old.bytes) : '-', r.new ? n(r.new.bytes) : '-', signed(r.delta), r.change]);
  rows.push(['total loaded', '', n(s.loaded.old), n(s.loaded.new), signed(s.loaded.delta), '']);
  rows.push(['total stored', '', n(s.stored.old), n(s.stored.new), signed(s.stored.delta), '']);
  out.push(table(['section', 'kind', 'old', 'new', 'delta', 'change'], rows, [false, false, true, true, true, false]));

  const y = d.symbols;
  out.push('');
  if (!y.compared) out.push(`symbols: not compared: ${y.reason}`);
  else {
    if (y.all) out.push(`symbols, all classes (bloat-o-meter without -c): ${summaryLine(y.all)}`, totalLine(y.all));
    out.push('', `symbols by class (bloat-o-meter -c; sizes: ${y.sizeMethod === 'st_size' ? 'st_size' : 'extent to the next symbol'}):`);
    for (const c of y.classes) {
      out.push(c.compared ? bloatOMeterText(c) : c.reason!);
    }
  }
  return out.join('\n') + '\n';
}

export function renderJson(d: DiffResult): string {
  return JSON.stringify(d, null, 2) + '\n';
}

export const CSV_COLUMNS = ['table', 'class', 'name', 'kind', 'old_bytes', 'new_bytes', 'delta_bytes', 'change', 'old_setting', 'new_setting'] as const;

export function renderCsv(d: DiffResult): string {
  const rows: (string | number | null)[][] = [];
  const row = (r: Partial<Record<(typeof CSV_COLUMNS)[number], string | number | null>>) => rows.push(CSV_COLUMNS.map((c) => r[c] ?? null));
  if (d.compressed) {
    const c = d.compressed;
    row({ table: 'compressed', name: 'uncompressed', old_bytes: c.unit.old, new_bytes: c.unit.new, delta_bytes: c.unit.delta });
    for (const r of c.rows) {
      row({
        table: 'compressed',
        class: r.algorithm,
        name: r.spec,
        old_bytes: r.old.bytes,
        new_bytes: r.new.bytes,
        delta_bytes: r.delta,
        old_setting: r.old.setting,
        new_setting: r.new.setting,
      });
    }
  }
  for (const r of d.sections.rows) {
    row({
      table: 'section',
      name: r.name,
      kind: r.kind,
      old_bytes: r.old?.bytes ?? null,
      new_bytes: r.new?.bytes ?? null,
      delta_bytes: r.delta,
      change: r.change,
    });
  }
  for (const [name, t] of [
    ['loaded', d.sections.loaded],
    ['stored', d.sections.stored],
  ] as const) {
    row({ table: 'section_total', name, old_bytes: t.old, new_bytes: t.new, delta_bytes: t.delta });
  }
  // Symbol rows per class (bloat-o-meter -c); the all-classes table adds only its total.
  for (const c of [...d.symbols.classes, ...(d.symbols.all ? [d.symbols.all] : [])]) {
    if (!c.compared) continue;
    if (c.class !== 'all')
      for (const r of c.rows)
        row({ table: 'symbol', class: c.class, name: r.name, old_bytes: r.old, new_bytes: r.new, delta_bytes: r.delta, change: r.change });
    row({ table: 'symbol_total', class: c.class, old_bytes: c.before, new_bytes: c.after, delta_bytes: c.after - c.before });
  }
  return stringify([[...CSV_COLUMNS], ...rows.map((r) => r.map((v) => (v === null ? '' : String(v).replace(/[\r\n]+/g, ' '))))], { record_delimiter: 'unix' });
}
