// The report as one self-contained HTML file: inline CSS, inline SVG charts
// rendered in Node, the Vega-Lite specs kept beside them as JSON data blocks
// (never executed), no script, and a Content-Security-Policy that forbids
// every load, so opening it offline or from a mail attachment shows exactly
// the same page and nothing phones home.

import type { Report } from './load.js';
import { modelFrontierChart, ratioSpeedChart, renderSvg, sectionSizeChart, type Chart } from './charts.js';
import { versus, type ImageReport, type SettingSummary } from './summary.js';
import { basisText, definitions, imageFacts, imageTitle, int, mbsText, mib, ratioText, settingHead, sig3, sizeVs, speedVs } from './text.js';

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe inside a <script type="application/json"> element. */
function jsonBlock(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

const code = (s: string) => `<code>${escapeHtml(s)}</code>`;

function table(head: string[], rows: string[][], numeric: boolean[] = [], cls = ''): string {
  const th = head.map((h, i) => `<th${numeric[i] ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

function label(s: SettingSummary, im: ImageReport): string {
  const tag = s === im.baseline ? ' <span class="tag default">kernel default</span>' : s.kernelProfile ? ' <span class="tag">kernel profile</span>' : '';
  return code(s.setting) + tag;
}

function settingRow(s: SettingSummary, im: ImageReport, first: string): string[] {
  if (!im.baseline) return [escapeHtml(first), label(s, im), int(s.compressedBytes), ratioText(s.ratio), mbsText(s)];
  const v = versus(s, im.baseline);
  return [escapeHtml(first), label(s, im), int(s.compressedBytes), ratioText(s.ratio), escapeHtml(sizeVs(v)), mbsText(s), escapeHtml(speedVs(v))];
}

interface RenderedChart extends Chart {
  svg: string;
}

function figure(c: RenderedChart): string {
  return `<figure id="${c.id}"><figcaption><strong>${escapeHtml(c.title)}.</strong> ${escapeHtml(c.caption)}</figcaption>\n<div class="chart">${c.svg}</div></figure>`;
}

function imageHtml(im: ImageReport, charts: RenderedChart[]): string {
  const out: string[] = [];
  out.push(`<section class="image"><h2>${escapeHtml(imageTitle(im))}</h2>`);
  out.push(`<p>${escapeHtml(imageFacts(im))}. <span class="muted">sha256 ${code(im.sha256)}<br>${code(im.image)}</span></p>`);
  out.push(`<p>Compared on ${escapeHtml(basisText(im))}.</p>`);
  if (im.baseline) {
    const b = im.baseline;
    out.push(
      `<p class="baseline">Kernel default: ${code(b.setting)}: <strong>${int(b.compressedBytes)} bytes</strong> (${mib(b.compressedBytes)}), ratio ${ratioText(b.ratio)}, decompresses at <strong>${mbsText(b)} MB/s</strong>. <span class="muted">${escapeHtml(im.baselineNote)}.</span></p>`,
    );
  } else {
    out.push(`<p class="baseline">Kernel default: none; ${escapeHtml(im.baselineNote)}.</p>`);
  }
  for (const c of charts) out.push(figure(c));
  if (im.settings.length) {
    const { head, numeric } = settingHead(im.baseline !== null);
    out.push(`<p class="muted">${escapeHtml(definitions(im.baseline !== null))}</p>`);
    out.push(
      '<h3>Smallest setting per algorithm</h3>',
      table(
        head,
        im.best.map((b) => settingRow(b.smallest, im, b.algorithm)),
        numeric,
      ),
    );
    out.push(
      '<h3>Fastest setting per algorithm</h3>',
      table(
        head,
        im.best.map((b) => settingRow(b.fastest, im, b.algorithm)),
        numeric,
      ),
    );
    out.push(
      `<details><summary>All ${im.settings.length} settings, fewest bytes first</summary>`,
      table(
        [...head, 'compress ms', 'MAD ms', 'runs'],
        im.settings.map((s) => [...settingRow(s, im, s.algorithm), sig3(s.compressMs), sig3(s.decompressMadMs), String(s.decompressRuns)]),
        [...numeric, true, true, true],
      ),
      '</details>',
    );
  } else {
    out.push('<p>No setting was verified on the whole basis.</p>');
  }
  if (im.incomplete.length) {
    out.push(
      `<p class="muted">Left out of the sum (not verified on every section): ${im.incomplete.map((i) => `${code(i.setting)} (${i.missingUnits} missing)`).join(', ')}.</p>`,
    );
  }
  if (im.sectionNames.length) {
    const settings = [...new Set(im.sections.map((p) => p.setting))];
    const at = new Map(im.sections.map((p) => [`${p.unit}\0${p.setting}`, p]));
    const rows = im.sectionNames.map((name) => {
      const any = im.sections.find((p) => p.unit === name)!;
      return [
        code(name),
        any.unitOffset === null ? '' : `0x${any.unitOffset.toString(16)}`,
        int(any.unitBytes),
        ...settings.map((s) => {
          const p = at.get(`${name}\0${s}`);
          return p ? `${int(p.compressedBytes)}<br><span class="muted">${ratioText(p.ratio)}x, ${sig3(p.decompressMbS)} MB/s</span>` : '';
        }),
      ];
    });
    out.push(
      `<details><summary>Every section (${im.sectionNames.length}), in kernel order: compressed bytes, ratio and MB/s per setting</summary>`,
      table(['section', 'offset', 'bytes', ...settings], rows, [false, true, true, ...settings.map(() => true)], 'sections'),
      '</details>',
    );
  }
  out.push('</section>');
  return out.join('\n');
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0 auto;max-width:1100px;padding:1.5em 2em;color:#222;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.3em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}h3{font-size:1.05em;margin:1.3em 0 .4em}
code{font:12.5px ui-monospace,"DejaVu Sans Mono",monospace;background:#f4f4f4;padding:0 .25em;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;margin:.4em 0 1em;font-size:13.5px}th,td{padding:.25em .6em;border-bottom:1px solid #e6e6e6;text-align:left;vertical-align:top}
th{background:#fafafa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.sections td{font-size:12.5px}.muted{color:#666;font-size:.92em}.warning{color:#8a1c00;background:#fff4e5;padding:.5em .8em;border-left:4px solid #d9480f}
.tag{font-size:11px;background:#eef;border:1px solid #ccd;border-radius:3px;padding:0 .3em;white-space:nowrap}.tag.default{background:#222;color:#fff;border-color:#222}
figure{margin:1em 0 1.5em}figcaption{margin-bottom:.4em}.chart svg{max-width:100%;height:auto}
.baseline{background:#f7f7f2;border-left:3px solid #999;padding:.4em .8em}
details{margin:.6em 0}summary{cursor:pointer;color:#335}
.failed td{background:#fff6f6}
`;

/** The whole report as one HTML document (no network, no script). */
export async function renderHtml(report: Report): Promise<string> {
  const specs: { id: string; title: string; spec: unknown }[] = [];
  const render = async (c: Chart | null): Promise<RenderedChart[]> => {
    if (!c) return [];
    specs.push({ id: c.id, title: c.title, spec: c.spec });
    return [{ ...c, svg: await renderSvg(c.spec, c.id) }];
  };
  const body: string[] = [];
  const r = report.run;
  body.push(`<h1>kzbench report</h1>`);
  body.push(
    `<p>${code(report.dir)}: ${report.verifiedRows} verified cell(s), ${report.failed.length} failed, ${report.images.length} image(s).` +
      (r
        ? ` kzbench ${escapeHtml(r.kzbenchVersion ?? '?')}, Node ${escapeHtml(r.node ?? '?')}, ${escapeHtml(r.cpuModel ?? 'CPU unknown')}${r.cpuCount ? ` (${r.cpuCount} CPUs)` : ''}, ${escapeHtml(r.start ?? '')}${r.end ? ` to ${escapeHtml(r.end)}` : r.interrupted ? ' (interrupted)' : ''}.`
        : ' No run.json.') +
      '</p>',
  );
  if (r?.command) body.push(`<p class="muted">Command: ${code(r.command)}</p>`);
  if (report.timingWarning) body.push(`<p class="warning" role="alert"><strong>${escapeHtml(report.timingWarning)}</strong></p>`);
  let n = 0;
  for (const im of report.images) {
    const charts = [...(await render(ratioSpeedChart(im, `ratio-speed-${++n}`))), ...(await render(sectionSizeChart(im, `section-size-${n}`)))];
    body.push(imageHtml(im, charts));
  }
  if (report.model) {
    const m = report.model;
    body.push('<section class="model"><h2>Model frontier</h2>');
    const charts = await render(modelFrontierChart(m, 'model-frontier'));
    body.push(...charts.map(figure));
    const front = m.points.filter((p) => p.frontier).sort((a, b) => a.flashBytes - b.flashBytes);
    body.push(
      `<p>${m.points.length} candidate(s) from ${code(m.path)}; ${front.length} on the Pareto frontier over flash, RAM and boot time (as pick marked it in the file).</p>`,
    );
    if (front.length) {
      body.push(
        table(
          ['board', 'strategy', 'algorithm', 'setting', 'flash bytes', 'RAM bytes', 'boot ms'],
          front.map((p) => [
            escapeHtml(p.board),
            escapeHtml(p.strategy),
            escapeHtml(p.algorithm),
            p.setting ? code(p.setting) : '',
            int(p.flashBytes),
            p.ramBytes === null ? '' : int(p.ramBytes),
            sig3(p.bootMs),
          ]),
          [false, false, false, false, true, true, true],
        ),
      );
    }
    body.push('</section>');
  }
  if (report.failed.length) {
    body.push('<section><h2>Failed cells</h2><p>Listed here only; no figure or table above uses them.</p>');
    body.push(
      table(
        ['image', 'unit', 'setting', 'attempts', 'error'],
        report.failed.map((f) => [escapeHtml(f.image.split('/').pop() ?? f.image), code(f.unit), code(f.setting), String(f.attempts), escapeHtml(f.error)]),
        [false, false, false, true, false],
        'failed',
      ),
      '</section>',
    );
  }
  if (report.recoveredFailures)
    body.push(`<p class="muted">${report.recoveredFailures} failed row(s) were re-run successfully (resume) and count as verified.</p>`);
  if (report.notes.length) body.push('<section><h2>Notes</h2><ul>', ...report.notes.map((x) => `<li>${escapeHtml(x)}</li>`), '</ul></section>');
  if (r && Object.keys(r.backends).length) {
    body.push(
      '<details><summary>Backends</summary>',
      table(
        ['backend', 'version'],
        Object.entries(r.backends).map(([k, v]) => [code(k), escapeHtml(v)]),
      ),
      '</details>',
    );
  }
  const specBlocks = specs.map((s) => `<script type="application/json" class="vega-lite-spec" data-chart="${s.id}">${jsonBlock(s.spec)}</script>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="kzbench${r?.kzbenchVersion ? ' ' + escapeHtml(r.kzbenchVersion) : ''}">
<title>kzbench report: ${escapeHtml(report.dir)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
<!-- The Vega-Lite specs of the charts above, as data (not executed): paste one into the Vega editor to explore it. -->
${specBlocks}
</body>
</html>
`;
}
