// Step 2: locate kallsyms_num_syms, kallsyms_names and kallsyms_markers
// backwards from the token table, with kallsyms_seqs_of_names between
// markers and token_table (6.2/6.3) or not; a description of what is wrong
// when they do not fit.

import { ByteView, hex } from '../bytes.js';
import { Aligner, checkSeqs, findNames, markersBefore, readMarkers } from './markers.js';
import { MAX_MARKER_STEP, MIN_MARKER_STEP, type NameTables, type TokenTables } from './types.js';

function badNumSyms(r: ByteView, al: Aligner, names: number, n: number): string {
  const at = names - al.algn;
  return `kallsyms_num_syms at ${hex(at)} reads ${r.u32At(at)}, but kallsyms_names/kallsyms_markers ` + `before kallsyms_token_table hold ${n} symbols`;
}

export function locateNoSeqs(r: ByteView, al: Aligner, tt: TokenTables): NameTables | string {
  const mk = markersBefore(r, al, tt.tokenTable);
  if (!mk) return `no kallsyms_markers table right before kallsyms_token_table at ${hex(tt.tokenTable)}`;
  const found = findNames(r, al, mk.off, mk.values, undefined);
  if (!found) {
    const loose = findNames(r, al, mk.off, mk.values, undefined, true);
    if (loose) return badNumSyms(r, al, loose.names, loose.n);
    return `kallsyms_markers at ${hex(mk.off)} (${mk.values.length} entries) has no matching ` + 'kallsyms_num_syms/kallsyms_names before it';
  }
  return {
    numSymsOff: found.names - al.algn,
    names: found.names,
    markers: mk.off,
    markerValues: mk.values,
    n: found.n,
  };
}

/**
 * 6.2/6.3: seqs_of_names (n entries) sits between markers and token_table.
 * Strict: the seqs must be a permutation and num_syms must read n. Loose
 * (for diagnosis): neither is required; a description of what is wrong is
 * returned instead.
 */
export function locateSeqsBetween(r: ByteView, al: Aligner, tt: TokenTables, width: 3 | 4, strict: boolean): NameTables | string | undefined {
  const T = tt.tokenTable;
  const maxN = Math.floor(T / (width + 2));
  for (let n = 1; n <= maxN; n++) {
    const q = al.down(T - width * n);
    if (q < 0) break;
    const M = (n + 255) >>> 8;
    const mo = al.down(q - 4 * M);
    if (mo < 0) break;
    if (r.u32At(mo) !== 0) continue;
    if (M > 1) {
      const m1 = r.u32At(mo + 4);
      if (m1 < MIN_MARKER_STEP || m1 > MAX_MARKER_STEP) continue;
    }
    // Padding between markers and seqs, and between seqs and token_table, is zero.
    let pad = true;
    for (let o = mo + 4 * M; o < q && pad; o++) if (r.bytes[o] !== 0) pad = false;
    for (let o = q + width * n; o < T && pad; o++) if (r.bytes[o] !== 0) pad = false;
    if (!pad) continue;
    const markers = readMarkers(r, mo, M);
    if (!markers) continue;
    if (strict) {
      if (!checkSeqs(r, q, width, n)) continue;
      const found = findNames(r, al, mo, markers, n);
      if (!found) continue;
      return {
        numSymsOff: found.names - al.algn,
        names: found.names,
        markers: mo,
        markerValues: markers,
        n,
        seqs: { off: q, width },
      };
    }
    const found = findNames(r, al, mo, markers, n, true);
    if (!found) continue;
    if (r.u32At(found.names - al.algn) !== n) return badNumSyms(r, al, found.names, n);
    if (!checkSeqs(r, q, width, n)) {
      return `kallsyms_seqs_of_names at ${hex(q)} is not a permutation of the ${n} symbols`;
    }
  }
  return undefined;
}
