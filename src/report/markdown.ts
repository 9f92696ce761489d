// The report as Markdown: what `kzbench report DIR` prints.

import type { Report } from './load.js';
import { versus, type ImageReport, type SettingSummary } from './summary.js';
import { basisText, definitions, imageFacts, imageTitle, int, mbsText, ratioText, settingHead, sig3, sizeVs, speedVs } from './text.js';

/** Largest sections listed in the Markdown (all of them are in the HTML). */
export const MARKDOWN_SECTIONS = 12;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');

export function mdTable(head: string[], rows: string[][], right: boolean[] = []): string {
  const sep = head.map((_, i) => (right[i] ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

export function settingLabel(s: SettingSummary, baseline: SettingSummary | null): string {
  const tags = [s === baseline ? 'kernel default' : s.kernelProfile ? 'kernel profile' : ''].filter(Boolean);
  return `\`${s.setting}\`${tags.length ? ` (${tags.join(', ')})` : ''}`;
}

function settingRows(im: ImageReport, pick: 'smallest' | 'fastest'): string[][] {
  return im.best.map((b) => {
    const s = b[pick];
    if (!im.baseline) return [b.algorithm, settingLabel(s, null), int(s.compressedBytes), ratioText(s.ratio), mbsText(s)];
    const v = versus(s, im.baseline);
    return [b.algorithm, settingLabel(s, im.baseline), int(s.compressedBytes), ratioText(s.ratio), sizeVs(v), mbsText(s), speedVs(v)];
  });
}

function imageSection(im: ImageReport, out: string[]): void {
  out.push(`## ${imageTitle(im)}`, '');
  out.push(`${imageFacts(im)}. sha256 \`${im.sha256.slice(0, 16)}…\`, path \`${im.image}\`.`, '');
  if (!im.settings.length && !im.sections.length && im.cold.length) {
    coldSection(im, out);
    return;
  }
  out.push(`Compared on ${basisText(im)}.`, '');
  if (im.baseline) {
    const b = im.baseline;
    out.push(
      `Kernel default: \`${b.setting}\`: ${int(b.compressedBytes)} bytes, ratio ${ratioText(b.ratio)}, decompresses at ${mbsText(b)} MB/s (${im.baselineNote}).`,
      '',
    );
  } else {
    out.push(`Kernel default: none; ${im.baselineNote}.`, '');
  }
  if (!im.settings.length) {
    out.push('No setting was verified on the whole basis.', '');
  } else {
    const { head, numeric } = settingHead(im.baseline !== null);
    out.push(definitions(im.baseline !== null), '');
    out.push('### Smallest setting per algorithm', '', mdTable(head, settingRows(im, 'smallest'), numeric), '');
    out.push('### Fastest setting per algorithm', '', mdTable(head, settingRows(im, 'fastest'), numeric), '');
  }
  if (im.incomplete.length) {
    out.push(
      `Left out of the sum (not verified on every section): ${im.incomplete.map((i) => `\`${i.setting}\` (${i.missingUnits} missing)`).join(', ')}.`,
      '',
    );
  }
  if (im.sectionNames.length) {
    const bySection = new Map<string, typeof im.sections>();
    for (const p of im.sections) bySection.set(p.unit, [...(bySection.get(p.unit) ?? []), p]);
    const names = [...bySection.keys()].sort((a, b) => bySection.get(b)![0]!.unitBytes - bySection.get(a)![0]!.unitBytes || a.localeCompare(b));
    const shown = names.slice(0, MARKDOWN_SECTIONS);
    const rows = shown.map((name) => {
      const ps = bySection.get(name)!;
      const small = [...ps].sort((a, b) => a.compressedBytes - b.compressedBytes || b.decompressMbS - a.decompressMbS)[0]!;
      const fast = [...ps].sort((a, b) => b.decompressMbS - a.decompressMbS || a.compressedBytes - b.compressedBytes)[0]!;
      return [
        name,
        int(ps[0]!.unitBytes),
        `\`${small.setting}\``,
        int(small.compressedBytes),
        ratioText(small.ratio),
        `\`${fast.setting}\``,
        sig3(fast.decompressMbS),
      ];
    });
    out.push(`### Sections, largest first${names.length > shown.length ? ` (${shown.length} of ${names.length}; all in report.html)` : ''}`, '');
    out.push(
      mdTable(['section', 'bytes', 'smallest setting', 'compressed bytes', 'ratio', 'fastest setting', 'decompress MB/s'], rows, [
        false,
        true,
        false,
        true,
        true,
        false,
        true,
      ]),
      '',
    );
  }
  coldSection(im, out);
}

function coldSection(im: ImageReport, out: string[]): void {
  if (!im.cold.length) return;
  out.push('### Cold code (kzbench cold, docs/cold.md)', '');
  // One table per trace and held-out trace: their partitions differ.
  const groups = new Map<string, typeof im.cold>();
  for (const r of im.cold) {
    const k = `${r.trace ?? ''}\0${r.holdout_trace ?? ''}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const opt = (v: number | null | undefined, f: (x: number) => string) => (v === null || v === undefined ? '' : f(v));
  for (const rowsOfTrace of groups.values()) {
    const f = rowsOfTrace[0]!;
    const share = f.function_bytes ? ((f.hot_bytes ?? 0) / f.function_bytes) * 100 : 0;
    out.push(
      `Trace \`${f.trace}\`: ${int(f.hot_functions ?? 0)} functions ran, ${int(f.hot_bytes ?? 0)} of ${int(f.function_bytes ?? 0)} function bytes (${share.toFixed(1)}%); ` +
        `${int(f.cold_functions ?? 0)} cold functions, ${int(f.unit_bytes)} bytes; ${int(f.hole_bytes ?? 0)} bytes of holes not counted.` +
        (f.holdout_trace ? ` Held out: \`${f.holdout_trace}\` (replay time measured on this machine).` : ''),
      '',
    );
    const rows = rowsOfTrace.map((r) => [
      r.layout ?? '',
      int(r.block_bytes ?? 0),
      `\`${r.setting}\``,
      int(r.compressed_bytes!),
      ratioText(r.ratio ?? r.unit_bytes / r.compressed_bytes!),
      int(r.flash_xip_bytes ?? 0),
      opt(r.holdout_misses, int),
      opt(r.holdout_raw_bytes, int),
      opt(r.holdout_ms, (x) => x.toFixed(1)),
    ]);
    out.push(
      mdTable(
        ['layout', 'block bytes', 'setting', 'cold compressed (with index)', 'ratio', 'flash, hot code XIP', 'holdout blocks', 'holdout bytes', 'holdout ms'],
        rows,
        [false, true, false, true, true, true, true, true, true],
      ),
      '',
    );
  }
}

export function renderMarkdown(report: Report): string {
  const out: string[] = [`# kzbench report: ${report.dir}`, ''];
  const r = report.run;
  const when = r?.start ? `${r.start}${r.end ? ` to ${r.end}` : r.interrupted ? ' (interrupted)' : ' (unfinished)'}` : 'time unknown';
  out.push(
    `${report.verifiedRows} verified cell(s), ${report.failed.length} failed, ${report.images.length} image(s). ` +
      (r
        ? `kzbench ${r.kzbenchVersion ?? '?'}, Node ${r.node ?? '?'}, ${r.cpuModel ?? 'CPU unknown'}${r.cpuCount ? ` (${r.cpuCount} CPUs)` : ''}, ${when}.`
        : 'No run.json.'),
    '',
  );
  if (r?.command) out.push(`Command: \`${r.command}\``, '');
  if (report.timingWarning) out.push(`> **${report.timingWarning}**`, '');
  for (const im of report.images) imageSection(im, out);
  if (report.model) {
    const m = report.model;
    const front = m.points.filter((p) => p.frontier).sort((a, b) => a.flashBytes - b.flashBytes);
    out.push('## Model frontier', '');
    out.push(
      `${m.points.length} candidate(s) from ${m.path}; ${front.length} on the Pareto frontier over flash, RAM and boot time (as pick marked it in the file).`,
      '',
    );
    if (front.length) {
      out.push(
        mdTable(
          ['board', 'strategy', 'algorithm', 'setting', 'flash bytes', 'RAM bytes', 'boot ms'],
          front.map((p) => [
            p.board,
            p.strategy,
            p.algorithm,
            p.setting ? `\`${p.setting}\`` : '',
            int(p.flashBytes),
            p.ramBytes === null ? '' : int(p.ramBytes),
            sig3(p.bootMs),
          ]),
          [false, false, false, false, true, true, true],
        ),
        '',
      );
    }
  }
  if (report.failed.length) {
    out.push('## Failed cells (not in any figure)', '');
    out.push(
      mdTable(
        ['image', 'unit', 'setting', 'attempts', 'error'],
        report.failed.map((f) => [f.image.split('/').pop() ?? f.image, f.unit, `\`${f.setting}\``, String(f.attempts), f.error]),
        [false, false, false, true, false],
      ),
      '',
    );
  }
  if (report.recoveredFailures) out.push(`${report.recoveredFailures} failed row(s) were re-run successfully (resume) and are counted as verified.`, '');
  if (report.notes.length) out.push('## Notes', '', ...report.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
