// Boot time on the target board: reading the image from storage plus the
// kernel's decompressor running on the board's core, each with a low-high
// range and the figures it rests on.
//
//   decompress = (instructions + k x mispredicted branches) per output byte
//                (counted, decoder-counts.ts) x output bytes / (IPC x clock)
//   read       = bytes / storage read speed (the board's, cited)
//
// The board's own measured figure for an algorithm overrides the model for
// that algorithm and calibrates the board for the others (its instructions
// per second); otherwise its core family's IPC and its clock do.
//
// A candidate's boot time is boot(r, s, f) = readBytes / r + nominal x s x f:
// r the board's read speed, s the calibration's scale (both shared by every
// candidate on the board) and f the algorithm's factor (the one-IPC
// assumption's spread, shared by candidates of one algorithm). Two
// candidates' order is certain only when it holds at every corner of that box.

import type { Board } from './boards.js';
import { decompressionMs, flashReadRange } from './boards.js';
import type { StubAlgorithm } from './stubs.js';
import { coreFamily, decoderCost, familyIpc, familyMissCost } from './cores.js';
import { CoreModelError, decoderCount } from './decoder-counts.js';
import { algorithmSpread } from './validation.js';

/** The family a board without a `core` is modelled as (counts of its arch, spread of this family). */
const ARCH_FAMILY: Record<Board['arch'], string> = { arm: 'armv7-a', arm64: 'cortex-a53', x86_64: 'x86-64', riscv64: 'rv64' };

export interface BootTerms {
  readBytes: number;
  /** ms at s = 1, f = 1. */
  nominal: number;
  /** Relative range of the calibration (shared by the board's candidates). */
  scale: [number, number];
  /** Relative range of this algorithm's factor. */
  factor: [number, number];
  algorithm: string;
  /** Storage read speed range, MB/s; null when unknown (the read is then left out). */
  read: [number, number] | null;
}

export interface Estimate {
  ms: number;
  lo: number;
  hi: number;
  /** Where the figure came from, in words. */
  source: string;
}

const fmtN = (n: number): string => Math.round(n).toLocaleString('en-US');
const rel = (lo: number, hi: number): string => (lo === 1 && hi === 1 ? 'none' : `x${lo.toFixed(2)}-${hi.toFixed(2)}`);

/** Decompression on the board with its range, and the terms the ranking needs; null ms when nothing gives a speed. */
export function decompressEstimate(
  board: Board,
  algorithm: string,
  payload: { payloadBytes: number; outputBytes: number },
  measured: readonly { algorithm: string; payloadBytes: number; outputBytes: number }[],
): { estimate: Estimate; nominal: number; scale: [number, number]; factor: [number, number] } | { estimate: null; source: string } {
  const familyName = board.core?.family ?? ARCH_FAMILY[board.arch];
  const family = coreFamily(familyName);
  const countsArch = family.counts;
  const k = familyMissCost(familyName);
  const cost = (alg: string) => decoderCost(countsArch, alg, k);
  const own = board.decompression?.[algorithm as keyof NonNullable<Board['decompression']>];
  const ms0 = decompressionMs(board, algorithm as StubAlgorithm, payload.payloadBytes, payload.outputBytes);
  if (own && ms0 !== null) {
    const ms = ms0;
    return {
      estimate: { ms, lo: ms, hi: ms, source: `board figure (${own.mb_s} MB/s of ${own.rate_of}${own.proxy ? `, proxy: ${own.measured_on}` : ''})` },
      nominal: ms,
      scale: [1, 1],
      factor: [1, 1],
    };
  }
  let ipb: number;
  try {
    ipb = cost(algorithm);
  } catch (e) {
    // one algorithm without a count: its candidates' boot time is unknown, the others are still ranked
    if (e instanceof CoreModelError) return { estimate: null, source: e.message };
    throw e;
  }
  const instructions = ipb * payload.outputBytes;
  const per = `${ipb.toFixed(2)} instructions per byte${k ? ` (branch misses at ${k.toFixed(1)} each)` : ''} (${algorithm} on ${countsArch})`;
  const spread = algorithmSpread(familyName);
  // A board figure for another algorithm: the board's instructions per second.
  const figs = Object.entries(board.decompression ?? {}).filter(([, f]) => f && f.rate_of !== 'unstated');
  figs.sort(([, a], [, b]) => Number(a!.proxy) - Number(b!.proxy));
  const ref = figs[0];
  if (ref) {
    const [refAlg, fig] = ref as [string, NonNullable<typeof own>];
    const c = decoderCount(countsArch, refAlg);
    const m = measured.find((x) => x.algorithm === refAlg);
    const ratio = m ? m.outputBytes / m.payloadBytes : c.output_bytes / c.compressed_bytes;
    const ips = cost(refAlg) * fig.mb_s * 1e6 * (fig.rate_of === 'output' ? 1 : ratio);
    const ms = (instructions / ips) * 1000;
    return {
      estimate: {
        ms,
        lo: ms * spread.lo,
        hi: ms * spread.hi,
        source: `counted: ${per} x ${fmtN(payload.outputBytes)} bytes at the board's ${fmtN(ips / 1e6)} M instructions/s (its ${refAlg} figure, ${fig.mb_s} MB/s of ${fig.rate_of}${fig.rate_of === 'input' ? `, ${ratio.toFixed(2)}:1 ${m ? 'as measured' : `as Debian's ${countsArch} payload`}` : ''}${fig.proxy ? `, proxy: ${fig.measured_on}` : ''}); one-IPC spread ${rel(spread.lo, spread.hi)} (${spread.pairs} published pairs)`,
      },
      nominal: ms,
      scale: [1, 1],
      factor: [spread.lo, spread.hi],
    };
  }
  if (!board.core) return { estimate: null, source: `no core in ${board.file} and no decompression figure: the board's decompression speed is unknown` };
  const ipc = familyIpc(familyName);
  const hz = board.core.clock_ghz * 1e9;
  const ms = (instructions / (ipc.ipc.mid * hz)) * 1000;
  const scale: [number, number] = [ipc.ipc.mid / ipc.ipc.hi, ipc.ipc.mid / ipc.ipc.lo];
  const factor: [number, number] = !ipc.proxy && ipc.algorithm === algorithm ? [1, 1] : [spread.lo, spread.hi];
  return {
    estimate: {
      ms,
      lo: ms * scale[0] * factor[0],
      hi: ms * scale[1] * factor[1],
      source: `counted: ${per} x ${fmtN(payload.outputBytes)} bytes / (${ipc.basis} x ${board.core.clock_ghz} GHz); calibration range ${rel(scale[0], scale[1])}, one-IPC spread ${rel(factor[0], factor[1])} (${spread.pairs} published pairs)`,
    },
    nominal: ms,
    scale,
    factor,
  };
}

/** Reading `bytes` from the board's storage: [ms at the high speed, ms at the low speed]; null when the speed is unknown. */
export function readEstimate(board: Board, bytes: number): Estimate | null {
  const r = flashReadRange(board);
  if (!r) return null;
  const mid = (r[0] + r[1]) / 2;
  const ms = (v: number) => (bytes / (v * 1e6)) * 1000;
  return {
    ms: ms(mid),
    lo: ms(r[1]),
    hi: ms(r[0]),
    source: `${fmtN(bytes)} bytes at ${r[0] === r[1] ? r[0] : `${r[0]}-${r[1]}`} MB/s (${board.name} flash_read_mb_s)`,
  };
}

/** boot(A) - boot(B) at every corner of the shared box: is A surely faster (-1), surely slower (1), or is the order uncertain (0)? */
export function compareBoot(a: BootTerms, b: BootTerms): -1 | 0 | 1 {
  const reads = a.read ?? b.read ?? [1, 1];
  const sameAlg = a.algorithm === b.algorithm;
  // the board's calibration scale: whichever candidate has one (a board figure's and no decompression's are exact)
  const fixed = (x: BootTerms) => x.scale[0] === 1 && x.scale[1] === 1;
  const scale = fixed(a) ? b.scale : a.scale;
  let neg = false;
  let pos = false;
  for (const r of new Set(reads))
    for (const s of new Set(scale))
      for (const fa of new Set(a.factor))
        for (const fb of sameAlg ? [null] : new Set(b.factor)) {
          const t = (x: BootTerms, f: number) => (x.read ? x.readBytes / (r * 1e6) : 0) * 1000 + x.nominal * (fixed(x) ? 1 : s) * f;
          const d = t(a, fa) - t(b, fb ?? fa);
          if (d < 0) neg = true;
          if (d > 0) pos = true;
        }
  return neg && !pos ? -1 : pos && !neg ? 1 : 0;
}
