// Plain-text helpers for terminal output.

export function bytesText(n: number): string {
  const unit = n >= 1 << 20 ? ` (${(n / (1 << 20)).toFixed(2)} MiB)` : n >= 1 << 10 ? ` (${(n / (1 << 10)).toFixed(1)} KiB)` : '';
  return `${n.toLocaleString('en-US')} bytes${unit}`;
}

/** Columns padded to their widest cell; `right` says which to right-align. */
export function table(head: string[], rows: string[][], right: boolean[] = []): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
