// Statistics over timing samples, kept apart from the timing loop
// (hyperfine's split): pure functions over plain numbers, no clock here.

/** Median of the values; NaN for an empty list. Does not modify the input. */
export function median(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Median absolute deviation: median(|x - median(x)|), unscaled (not
 * multiplied by 1.4826 to estimate a normal sigma). Same unit as the values.
 * Robust to the odd slow run (page fault, preemption) that would inflate a
 * standard deviation. NaN for an empty list; 0 for a single value.
 */
export function mad(values: readonly number[]): number {
  const m = median(values);
  if (Number.isNaN(m)) return NaN;
  return median(values.map((v) => Math.abs(v - m)));
}

export interface Summary {
  runs: number;
  median: number;
  mad: number;
  min: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const runs = values.length;
  if (runs === 0) return { runs, median: NaN, mad: NaN, min: NaN, max: NaN, mean: NaN };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { runs, median: median(values), mad: mad(values), min, max, mean: sum / runs };
}

/**
 * Throughput in MB/s, MB = 1e6 bytes (decimal, like lzbench), of `bytes`
 * processed in `ms` milliseconds. For decompression, `bytes` is the
 * uncompressed (output) size.
 */
export function megabytesPerSecond(bytes: number, ms: number): number {
  if (!(ms > 0)) return NaN;
  return bytes / 1e6 / (ms / 1e3);
}
