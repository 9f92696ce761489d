// Number and label formatting shared by the Markdown and HTML renderings, so
// both say the same thing in the same words.

import { basename } from 'node:path';
import type { ImageReport, SettingSummary, Versus } from './summary.js';

export const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function mib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : n >= 1 << 10 ? `${(n / (1 << 10)).toFixed(1)} KiB` : `${n} B`;
}

/** Three significant digits, no exponent. */
export function sig3(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

export const ratioText = (r: number) => (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(2) : r.toFixed(3));
/**
 * Decompression MB/s; for a setting with disturbed units (timed on a busy
 * machine), the thread-CPU-time figure beside it: "52.1 (CPU 109, disturbed)".
 */
export const mbsText = (s: SettingSummary | { decompressMbS: number }) => {
  const t = s as Partial<Pick<SettingSummary, 'decompressCpuMbS' | 'disturbedUnits'>>;
  if (t.disturbedUnits && t.decompressCpuMbS) return `${sig3(s.decompressMbS)} (CPU ${sig3(t.decompressCpuMbS)}, disturbed)`;
  return sig3(s.decompressMbS);
};

export function sizeVs(v: Versus | null): string {
  if (!v) return '';
  if (v.bytesDelta === 0) return '0';
  return `${v.sizePct > 0 ? '+' : ''}${v.sizePct.toFixed(1)}% (${v.bytesDelta > 0 ? '+' : '-'}${int(Math.abs(v.bytesDelta))} B)`;
}

export function speedVs(v: Versus | null): string {
  return v ? `${sig3(v.speedFactor)}x` : '';
}

export function imageTitle(im: ImageReport): string {
  return basename(im.image) || im.image;
}

/** "x86_64, Linux 6.1.0-56-amd64, ships xz (from run.json)". */
export function imageFacts(im: ImageReport): string {
  const c = im.context;
  const parts = [
    c.arch ?? 'arch unknown',
    c.release ? `Linux ${c.release}` : 'release unknown',
    c.shippedAlgorithm === null ? 'uncompressed image' : c.shippedAlgorithm ? `ships ${c.shippedAlgorithm}` : 'shipped algorithm unknown',
  ];
  return `${parts.join(', ')}${c.source ? ` (from ${c.source})` : ''}`;
}

export function basisText(im: ImageReport): string {
  return im.basis === 'whole'
    ? `the whole unit (what the kernel build compresses), ${int(im.unitBytes)} bytes (${mib(im.unitBytes)}) uncompressed`
    : `the sum of ${im.sectionNames.length} sections, ${int(im.unitBytes)} bytes (${mib(im.unitBytes)}) uncompressed; only settings verified on every section count`;
}

export function definitions(withBaseline: boolean): string {
  return (
    'Smallest: fewest compressed bytes on the basis (ties: faster decompression). ' +
    'Fastest: highest decompression speed, in MB/s of uncompressed output (MB = 10^6 bytes) from the median of the timed runs' +
    ' (the undisturbed ones; "CPU x, disturbed" follows a figure whose runs kept losing the CPU to other processes, x being the speed by the thread\'s own CPU time).' +
    (withBaseline ? " Against the default: size change relative to the kernel default's compressed bytes, and speed as a multiple of its MB/s." : '')
  );
}

/** Column heads of the per-algorithm tables; the "vs default" ones only when there is a default. */
export function settingHead(withBaseline: boolean): { head: string[]; numeric: boolean[] } {
  return withBaseline
    ? {
        head: ['algorithm', 'setting', 'compressed bytes', 'ratio', 'size vs default', 'decompress MB/s', 'speed vs default'],
        numeric: [false, false, true, true, true, true, true],
      }
    : { head: ['algorithm', 'setting', 'compressed bytes', 'ratio', 'decompress MB/s'], numeric: [false, false, true, true, true] };
}
