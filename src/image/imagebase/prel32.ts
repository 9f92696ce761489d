// __ksymtab with PREL32 relocations: each entry's fields are offsets from
// themselves, so the name field finds its string whatever the base and the
// value field gives the symbol's file offset.

import { bswap32, HOST_LITTLE_ENDIAN, int32Words } from '../bytes.js';
import { flood, nameAt } from './scan.js';
import { newTally, vote, type Tally } from './vote.js';

export function scanPrel32(b: Uint8Array, addrOf: Map<string, bigint>, le: boolean): Tally {
  const t = newTally();
  const words = int32Words(b);
  const swap = le !== HOST_LITTLE_ENDIAN;
  const len = b.length;
  const last = words.length - 2; // the name field must be in the image
  flood(words.length, (i) => {
    if (i > last) return false;
    let no = words[i + 1];
    if (swap) no = bswap32(no);
    const e = 4 * i;
    const s = e + 4 + no;
    if (s <= 0 || s >= len || b[s - 1] !== 0 || b[s] === 0) return false;
    let vo = words[i];
    if (swap) vo = bswap32(vo);
    const f = e + vo;
    if (f < 0 || f >= len) return false;
    const name = nameAt(b, s);
    if (name === undefined) return false;
    const a = addrOf.get(name);
    if (a === undefined) return false;
    t.candidates++;
    const base = a - BigInt(f);
    if (base >= 0n) vote(t, base, e);
    return true;
  });
  return t;
}
