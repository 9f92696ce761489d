// `perf script` output: samples "COMM TID [CPU] TIME: PERIOD EVENT: ADDR
// SYM+OFF (DSO)" and their callchains, kernel and module frames only.
import { excerpt } from '../../errors.js';
import { ChainBuffer } from './collector.js';
import type { Kind, Reader, State } from './reader.js';
import { moduleOf, parseKernelSymbol } from './symbol.js';
import { isDigits, isHex } from './text.js';

type DsoKind = 'kernel' | 'module' | 'user' | 'unknown';

const USER_BRACKETS = new Set([
  '[vdso]',
  '[vdso32]',
  '[vdsox32]',
  '[vsyscall]',
  '[vectors]',
  '[sigpage]',
  '[heap]',
  '[stack]',
  '[vvar]',
  '[uprobes]',
  '[anon]',
  '[guest.kernel.kallsyms]',
  '[hypervisor]',
]);

function dsoKind(dso: string): [DsoKind, string | null] {
  if (dso === '[kernel.kallsyms]' || dso.startsWith('[kernel.kallsyms]')) return ['kernel', null];
  if (dso === '[unknown]') return ['unknown', null];
  if (dso.charCodeAt(0) === 91 && dso.endsWith(']')) {
    if (USER_BRACKETS.has(dso) || dso.startsWith('[anon') || dso.startsWith('[stack') || dso.startsWith('[guest')) return ['user', null];
    return ['module', dso.slice(1, dso.length - 1)];
  }
  const base = dso.slice(dso.lastIndexOf('/') + 1);
  if (base.startsWith('vmlinux')) return ['kernel', null];
  const ko = base.indexOf('.ko');
  if (ko > 0 && (ko + 3 === base.length || base.charCodeAt(ko + 3) === 46)) return ['module', base.slice(0, ko).replace(/-/g, '_')];
  return ['user', null];
}

/** A perf script frame or sample: "... ADDR SYM+OFF (DSO)" -> parts, or null. */
export function perfFrame(line: string): { hex: string | null; sym: string | null; dso: string } | null {
  const t = line.trimEnd();
  if (!t.endsWith(')')) return null;
  const open = t.lastIndexOf(' (');
  if (open < 0) return null;
  const dso = t.slice(open + 2, t.length - 1);
  const head = t.slice(0, open).trim();
  if (head === '') return null;
  const tok = head.split(/\s+/);
  const n = tok.length;
  const last = tok[n - 1]!;
  if (n >= 2 && isHex(tok[n - 2]!)) return { hex: tok[n - 2]!, sym: last, dso };
  // -F ip,dso (no sym): the address is last, after the event name or alone.
  if (isHex(last) && (n === 1 || tok[n - 2]!.endsWith(':'))) return { hex: last, sym: null, dso };
  // User-space names may hold spaces ("f(int, char)"): only the DSO matters then.
  return { hex: null, sym: last, dso };
}

export class PerfReader implements Reader {
  readonly strict = false;
  reason = '';
  private readonly chain: ChainBuffer;
  private userFrames = 0;
  private unknownFrames = 0;
  private samples = 0;
  constructor(private readonly state: State) {
    this.chain = new ChainBuffer(state.collector);
  }
  line(text: string): Kind {
    const t = text.trim();
    if (t === '') {
      this.chain.flush();
      return 'structure';
    }
    if (t.charCodeAt(0) === 35) return 'structure';
    const f = perfFrame(text);
    if (f === null) {
      this.chain.flush();
      // A sample header of perf record -g: "comm tid [cpu] time: period event: "
      if (t.endsWith(':') && perfSampleHeader(t)) {
        this.samples++;
        return 'structure';
      }
      if (perfSampleLine(t)) return 'skip'; // a tracepoint or other event without an address
      this.reason = 'expected "COMM TID [CPU] TIME: PERIOD EVENT: ADDR SYM+OFF (DSO)" or a callchain line "ADDR SYM+OFF (DSO)"';
      return 'bad';
    }
    const isFrame = text.charCodeAt(0) === 9 || !perfSampleLine(t);
    if (!isFrame) {
      this.chain.flush();
      this.samples++;
    }
    const [kind, mod] = dsoKind(f.dso);
    if (kind === 'user') {
      this.userFrames++;
      return 'skip';
    }
    if (kind === 'unknown') {
      this.unknownFrames++;
      return 'skip';
    }
    let name: string | null = null;
    if (f.sym !== null && f.sym !== '[unknown]') {
      const s = parseKernelSymbol(f.sym);
      if (!s) {
        this.reason = `${excerpt(f.sym)} is not a kernel symbol`;
        return 'skip';
      }
      name = s.name;
    }
    if (mod !== null) {
      if (name === null)
        name = `[${mod}]`; // a module address without a symbol: still the module's
      else if (moduleOf(name) === null) name = `${name} [${mod}]`;
    }
    if (name === null && f.hex === null) {
      this.unknownFrames++;
      return 'skip';
    }
    this.state.events++;
    if (isFrame) this.chain.push({ name, hex: f.hex });
    else this.state.collector.add(name, f.hex, 1);
    return 'event';
  }
  finish(): void {
    this.chain.flush();
    const p = this.state.provenance;
    if (this.samples > 0) p.samples = String(this.samples);
    if (this.userFrames > 0) p.user_frames = String(this.userFrames);
    if (this.unknownFrames > 0) p.unknown_frames = String(this.unknownFrames);
  }
}

/** "comm tid [cpu] time: ..." — a perf sample line: a "TIME:" field after a TID (or PID/TID) token. */
export function perfSampleLine(t: string): boolean {
  const colon = t.indexOf(': ');
  if (colon < 0) return false;
  let k = colon;
  while (k > 0 && ((t.charCodeAt(k - 1) >= 48 && t.charCodeAt(k - 1) <= 57) || t.charCodeAt(k - 1) === 46)) k--;
  if (k === colon || (k > 0 && t.charCodeAt(k - 1) !== 32)) return false;
  // ftrace prints "comm-pid": perf prints the TID as a token of its own.
  for (const tok of t.slice(0, k).split(' ')) {
    if (tok === '') continue;
    const slash = tok.indexOf('/');
    if (slash < 0 ? isDigits(tok) : isDigits(tok, 0, slash) && isDigits(tok, slash + 1)) return true;
  }
  return false;
}

export function perfSampleHeader(t: string): boolean {
  return perfSampleLine(t + ' ');
}
