// Step 3: expand every kallsyms_names entry through the token table, checking
// it against the markers as it goes.

import { ByteView, hex } from '../bytes.js';
import { KallsymsError, MAX_TOKEN, type NameTables, type TokenTables } from './types.js';

export function decodeNames(r: ByteView, tt: TokenTables, nt: NameTables): string[] {
  const b = r.bytes;
  const limit = nt.markers;
  const out: string[] = new Array(nt.n);
  // Token bytes, to expand names into a scratch buffer and make one string each.
  const tokStart = new Int32Array(256);
  const tokLen = new Int32Array(256);
  let pos = 0;
  for (let i = 0; i < 256; i++) {
    tokStart[i] = pos;
    tokLen[i] = tt.tokens[i].length;
    pos += tokLen[i];
  }
  const tok = Buffer.from(tt.tokens.join(''), 'latin1');
  const scratch = Buffer.allocUnsafe(0x4000 * MAX_TOKEN);
  let o = nt.names;
  for (let i = 0; i < nt.n; i++) {
    if ((i & 0xff) === 0 && o - nt.names !== nt.markerValues[i >> 8]) {
      throw new KallsymsError(`kallsyms_markers[${i >> 8}] is ${nt.markerValues[i >> 8]} but symbol ${i} starts at ` + `${o - nt.names} in kallsyms_names`);
    }
    if (o >= limit) throw new KallsymsError(`kallsyms_names overruns its table at symbol ${i}`);
    let len = b[o++];
    if (len & 0x80) {
      if (o >= limit) throw new KallsymsError(`kallsyms_names overruns its table at symbol ${i}`);
      len = (len & 0x7f) | (b[o++] << 7);
    }
    if (len === 0 || o + len > limit) {
      throw new KallsymsError(`kallsyms_names entry ${i} at ${hex(o)} has bad length ${len}`);
    }
    let k = 0;
    for (const e = o + len; o < e; o++) {
      const t = b[o];
      const l = tokLen[t];
      if (l === 1) scratch[k++] = tok[tokStart[t]];
      else for (let q = tokStart[t], qe = q + l; q < qe; q++) scratch[k++] = tok[q];
    }
    if (k < 2) {
      throw new KallsymsError(`kallsyms_names entry ${i} decodes to "${scratch.toString('latin1', 0, k)}", too short`);
    }
    out[i] = scratch.toString('latin1', 0, k);
  }
  return out;
}
