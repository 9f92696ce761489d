// Put the steps together for one token-table anchor: name tables with or
// without seqs_of_names between them, names, then the address table after
// token_index (6.4+) or before num_syms (earlier), and the layout's name.

import { ByteView, hex } from '../bytes.js';
import { tryAbsolute, tryRelative, type AddrChoice } from './addresses.js';
import { Aligner, checkSeqs } from './markers.js';
import { locateNoSeqs, locateSeqsBetween } from './name-tables.js';
import { decodeNames } from './names.js';
import { KallsymsError, type KallsymsResult, type KallsymsSymbol, type NameTables, type TokenTables } from './types.js';

function checkedLength(n: number, r: ByteView, what: string): void {
  if (!Number.isInteger(n) || n <= 0 || n > r.length) {
    throw new KallsymsError(`${what} is ${n}, impossible for a ${r.length}-byte image`);
  }
}

export function locate(r: ByteView, tt: TokenTables): KallsymsResult {
  const al = new Aligner(r.wordSize, tt.phase);
  const isArm64 = r.wordSize === 8 && r.littleEndian;

  let nt: NameTables | undefined;
  let era: string;
  const noSeqs = locateNoSeqs(r, al, tt);
  if (typeof noSeqs !== 'string') {
    nt = noSeqs;
    era = '';
  } else {
    const strict = (w: 3 | 4): NameTables | undefined => {
      const x = locateSeqsBetween(r, al, tt, w, true);
      return typeof x === 'string' ? undefined : x;
    };
    nt = strict(3) ?? strict(4);
    if (!nt) {
      // Say what is wrong: a 6.2/6.3 layout with a bad num_syms or seqs, or
      // whatever the search without seqs_of_names ran into.
      const why = locateSeqsBetween(r, al, tt, 3, false) ?? locateSeqsBetween(r, al, tt, 4, false);
      throw new KallsymsError(typeof why === 'string' ? why : noSeqs);
    }
    era = '6.2-6.3';
  }
  const n = nt.n;
  checkedLength(n, r, 'kallsyms_num_syms');
  const names = decodeNames(r, tt, nt);

  const w = r.wordSize;
  let addr: AddrChoice | undefined;
  let seqs: { off: number; width: 3 | 4 } | undefined = nt.seqs;
  const afterIndex = al.up(tt.tokenIndex + 512);
  const oldLayout = (): AddrChoice | undefined => {
    const rb = nt!.numSymsOff - w;
    return tryRelative(r, al.down(rb - 4 * n), rb, n, isArm64) ?? tryAbsolute(r, nt!.numSymsOff - w * n, n);
  };
  if (!seqs) {
    // 6.4+: addresses after token_index, then seqs_of_names.
    const rel = tryRelative(r, afterIndex, al.up(afterIndex + 4 * n), n, isArm64);
    const relSeqs = rel && al.up(rel.end);
    if (rel && relSeqs !== undefined && checkSeqs(r, relSeqs, 3, n)) {
      addr = rel;
      seqs = { off: relSeqs, width: 3 };
    } else {
      const abs = tryAbsolute(r, afterIndex, n);
      const absSeqs = abs && al.up(abs.end);
      if (abs && absSeqs !== undefined && checkSeqs(r, absSeqs, 3, n)) {
        addr = abs;
        seqs = { off: absSeqs, width: 3 };
      }
    }
    if (addr) era = '6.4+';
    else {
      addr = oldLayout();
      era = '5.x-6.1';
      if (!addr && (rel ?? tryAbsolute(r, afterIndex, n))) {
        throw new KallsymsError(
          `kallsyms addresses follow kallsyms_token_index as in 6.4+, but the kallsyms_seqs_of_names ` + `after them is not a permutation of the ${n} symbols`,
        );
      }
    }
  } else {
    addr = oldLayout();
  }
  if (!addr) {
    throw new KallsymsError(
      `found ${n} kallsyms names at ${hex(nt.names)}, but no kallsyms_offsets/kallsyms_addresses ` + 'table with mostly ascending addresses next to them',
    );
  }
  const symbols: KallsymsSymbol[] = new Array(n);
  for (let i = 0; i < n; i++) {
    symbols[i] = { name: names[i].slice(1), type: names[i][0], address: addr.get(i) };
  }
  const layout = `${era} ${addr.kind}${seqs ? ', seqs_of_names' : ''}` + (seqs && seqs.width === 4 ? ' (u32)' : '');
  const tablesOffset = Math.min(addr.start, nt.numSymsOff, tt.tokenTable);
  return { symbols, layout, tablesOffset };
}
