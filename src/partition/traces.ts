// Trace readers: which kernel functions ran, from the outputs people have.
// Five formats (docs/traces.md): the function tracer's trace/trace_pipe
// text, the function_graph tracer's, the function profiler's trace_stat
// files, `perf script`, and kzbench's plain lists. Each is read line by line
// with indexOf and character tests (no backtracking regular expressions on
// the hot path), so a multi-million-line boot trace reads in seconds, and
// readTraceFile streams files larger than a JavaScript string can hold.
import { KzError } from '../errors.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { TRACE_FORMATS, type Trace, type TraceEntry, type TraceFormat } from './types.js';

/** A trace kzbench cannot read: one line naming the file and, when known, the line. */
export class TraceError extends KzError {
  override name = 'TraceError';
  constructor(
    readonly detail: string,
    override readonly file: string,
    readonly line: number | null = null,
  ) {
    super(line === null ? `${file}: ${detail}` : `${file}:${line}: ${detail}`);
  }
}

const LABEL: Record<TraceFormat, string> = {
  'ftrace-function': 'function tracer output',
  'ftrace-function-graph': 'function_graph tracer output',
  'trace-stat': 'a trace_stat function profile',
  'perf-script': 'perf script output',
  list: 'a function list',
};

// ---------------------------------------------------------------------------
// Small, fast character tests.

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isHex(s: string, from = 0, to = s.length): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) if (!isHexCode(s.charCodeAt(i))) return false;
  return true;
}

function isDigits(s: string, from = 0, to = s.length): boolean {
  if (to <= from) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Characters of a kernel symbol name as kallsyms spells it: [A-Za-z0-9_.$], not starting with a digit. */
export function isSymbolName(s: string): boolean {
  if (s.length === 0) return false;
  const c0 = s.charCodeAt(0);
  if (c0 >= 48 && c0 <= 57) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 36)) return false;
  }
  return true;
}

/** "0x12", "12" (hex digits, optional 0x). */
function isHexNumber(s: string, from: number, to: number): boolean {
  if (to - from > 2 && s.charCodeAt(from) === 48 && (s.charCodeAt(from + 1) === 120 || s.charCodeAt(from + 1) === 88)) from += 2;
  return isHex(s, from, to);
}

/** The ftrace/perf offset suffix after '+': "0x12/0x40" (sym-offset) or "0x12" (perf symoff). */
function isOffsetSuffix(s: string, from: number): boolean {
  const slash = s.indexOf('/', from);
  if (slash < 0) return isHexNumber(s, from, s.length);
  return isHexNumber(s, from, slash) && isHexNumber(s, slash + 1, s.length);
}

/** Address text normalised for use as a key: lower case, no 0x, no leading zeros. */
function hexKey(hex: string): string {
  let i = 0;
  while (i < hex.length - 1 && hex.charCodeAt(i) === 48) i++;
  const s = i === 0 ? hex : hex.slice(i);
  for (let j = 0; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c >= 65 && c <= 70) return s.toLowerCase();
  }
  return s;
}

interface Sym {
  /** Name without offset suffix; a module function keeps its annotation: "name [module]". */
  name: string | null;
  /** Hex digits of the address (no 0x), when the text gives one. */
  hex: string | null;
}

/**
 * One symbol as the kernel prints it (%ps, %pS, sym-offset, sym-addr):
 * NAME[+OFF[/LEN]][ [MODULE[ BUILDID]]][ <ADDR>], or 0xADDR when kallsyms
 * had no name. Null when it is none of these.
 */
export function parseKernelSymbol(text: string): Sym | null {
  let s = text.length > 0 && text.charCodeAt(0) > 32 && text.charCodeAt(text.length - 1) > 32 ? text : text.trim();
  let hex: string | null = null;
  if (s.endsWith('>')) {
    const lt = s.lastIndexOf(' <');
    if (lt < 0 || !isHex(s, lt + 2, s.length - 1)) return null;
    hex = s.slice(lt + 2, s.length - 1);
    s = s.slice(0, lt).trimEnd();
  }
  let mod: string | null = null;
  if (s.endsWith(']')) {
    const lb = s.lastIndexOf(' [');
    if (lb <= 0) return null;
    const inner = s.slice(lb + 2, s.length - 1);
    const sp = inner.indexOf(' ');
    mod = sp < 0 ? inner : inner.slice(0, sp);
    if (!isModuleName(mod)) return null;
    s = s.slice(0, lb);
  }
  if (s.length > 2 && s.charCodeAt(0) === 48 && s.charCodeAt(1) === 120 && isHex(s, 2)) {
    return { name: null, hex: hex ?? s.slice(2) };
  }
  const plus = s.indexOf('+');
  if (plus > 0) {
    if (!isOffsetSuffix(s, plus + 1)) return null;
    s = s.slice(0, plus);
  }
  if (!isSymbolName(s)) return null;
  return { name: mod === null ? s : `${s} [${mod}]`, hex };
}

function isModuleName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46)) return false;
  }
  return true;
}

/** "name [module]" (or "[module]" for a module address without a symbol) -> "module", else null. */
export function moduleOf(name: string): string | null {
  if (!name.endsWith(']')) return null;
  if (name.charCodeAt(0) === 91 && !name.includes(' ')) return name.slice(1, name.length - 1);
  const lb = name.lastIndexOf(' [');
  return lb > 0 ? name.slice(lb + 2, name.length - 1) : null;
}

function excerpt(line: string): string {
  const t = line.trim();
  return JSON.stringify(t.length > 80 ? `${t.slice(0, 77)}...` : t);
}

// ---------------------------------------------------------------------------
// Distinct entries in order of first appearance.

class Collector {
  readonly entries: TraceEntry[] = [];
  private readonly byName = new Map<string, TraceEntry>();
  private readonly byAddr = new Map<string, TraceEntry>();

  add(name: string | null, hex: string | null, count: number): void {
    let e: TraceEntry | undefined;
    if (hex !== null) {
      const key = hexKey(hex);
      e = this.byAddr.get(key);
      if (e === undefined) {
        e = { name, address: BigInt('0x' + key), count: 0, first: this.entries.length };
        this.byAddr.set(key, e);
        this.entries.push(e);
      } else if (e.name === null && name !== null) e.name = name;
    } else if (name !== null) {
      e = this.byName.get(name);
      if (e === undefined) {
        e = { name, address: null, count: 0, first: this.entries.length };
        this.byName.set(name, e);
        this.entries.push(e);
      }
    } else return;
    e.count += count;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }
}

// ---------------------------------------------------------------------------
// Line readers. Each line is an event (it names functions), structure
// (headers, blank lines, markers, closers), skip (readable, but no kernel
// function: other events, user-space frames), or bad (not this format).

type Kind = 'event' | 'structure' | 'skip' | 'bad';

interface Reader {
  /** Strict formats throw on every bad line; the others only before their first event. */
  readonly strict: boolean;
  line(text: string, no: number): Kind;
  /** Why the last line was bad. */
  reason: string;
  /** Called at the end, and by the driver when a sample or stack ends. */
  finish(): void;
}

interface State {
  collector: Collector;
  provenance: Record<string, string>;
  events: number;
}

function addProvenanceNumber(p: Record<string, string>, key: string, n: number): void {
  p[key] = String((Number(p[key] ?? '0') || 0) + n);
}

/** "CPU:0 [LOST 123 EVENTS]" or "CPU:0 [LOST EVENTS]": lost count, -1 when unstated, null when not a marker. */
function lostEvents(line: string): number | null {
  const t = line.trim();
  if (!t.startsWith('CPU:') || !t.endsWith(' EVENTS]')) return null;
  const lb = t.indexOf(' [LOST');
  if (lb < 0 || !isDigits(t, 4, lb)) return null;
  const inner = t.slice(lb + 6, t.length - 8).trim();
  if (inner === '') return -1;
  return isDigits(inner) ? Number(inner) : null;
}

function noteLost(state: State, n: number): void {
  if (n >= 0) addProvenanceNumber(state.provenance, 'lost_events', n);
  else addProvenanceNumber(state.provenance, 'lost_events_unstated', 1);
}

/** ftrace headers worth keeping: tracer, entries-in-buffer/entries-written, #P. */
function ftraceHeader(line: string, p: Record<string, string>): void {
  const t = line.slice(1).trim();
  if (t.startsWith('tracer:')) p.tracer = t.slice(7).trim();
  else if (t.startsWith('entries-in-buffer/entries-written:')) {
    const m = /^entries-in-buffer\/entries-written: (\d+)\/(\d+)\s+#P:(\d+)/.exec(t);
    if (m) {
      p.entries_in_buffer = m[1]!;
      p.entries_written = m[2]!;
      p.cpus = m[3]!;
    }
  }
}

const LATENCY_MARKS = ' +!#*@$>';

/**
 * Where the event text starts after the ftrace context
 * "COMM-PID [CPU] FLAGS TIMESTAMP: " (or latency-format "COMM-PID CPUFLAGS TIMEus+: "),
 * or -1. Only the first 200 characters are searched: the context is short.
 */
export function ftraceBodyStart(line: string): number {
  const limit = Math.min(line.length, 200);
  let from = 0;
  for (;;) {
    const i = line.indexOf(': ', from);
    if (i < 0 || i > limit) return -1;
    from = i + 1;
    let j = i; // timestamp ends before j
    if (j >= 3 && LATENCY_MARKS.includes(line[j - 1]!) && line.charCodeAt(j - 2) === 115 && line.charCodeAt(j - 3) === 117) j -= 3; // "us+"
    let k = j;
    while (k > 0 && ((line.charCodeAt(k - 1) >= 48 && line.charCodeAt(k - 1) <= 57) || line.charCodeAt(k - 1) === 46)) k--;
    if (k === j || k === 0 || line.charCodeAt(k - 1) !== 32 || line.charCodeAt(k) === 46) continue;
    // A PID: "-123" somewhere before the timestamp.
    let pid = line.indexOf('-', 0);
    let ok = false;
    while (pid >= 0 && pid < k) {
      const c = line.charCodeAt(pid + 1);
      if (c >= 48 && c <= 57) {
        ok = true;
        break;
      }
      pid = line.indexOf('-', pid + 1);
    }
    if (ok) return i + 2;
  }
}

/** The function tracer's event text "callee[ <-caller]" -> [callee, caller|null], or null. */
function functionEvent(body: string): [Sym, Sym | null] | null {
  const arrow = body.indexOf(' <-');
  if (arrow < 0) {
    const callee = parseKernelSymbol(body);
    return callee ? [callee, null] : null;
  }
  const callee = parseKernelSymbol(body.slice(0, arrow));
  if (!callee) return null;
  const ptext = body.slice(arrow + 3);
  if (ptext === '0') return [callee, null];
  const parent = parseKernelSymbol(ptext);
  return parent ? [callee, parent] : null;
}

/** Stack frames are printed innermost first; they are added outermost first, as they ran. */
class ChainBuffer {
  private syms: Sym[] = [];
  constructor(private readonly collector: Collector) {}
  push(s: Sym): void {
    this.syms.push(s);
  }
  flush(): void {
    for (let i = this.syms.length - 1; i >= 0; i--) this.collector.add(this.syms[i]!.name, this.syms[i]!.hex, 1);
    this.syms = [];
  }
}

class FunctionReader implements Reader {
  readonly strict = false;
  reason = '';
  private readonly chain: ChainBuffer;
  constructor(private readonly state: State) {
    this.chain = new ChainBuffer(state.collector);
  }
  line(text: string): Kind {
    const c0 = text.charCodeAt(0);
    if (c0 === 35) {
      this.chain.flush();
      ftraceHeader(text, this.state.provenance);
      return 'structure';
    }
    const at = ftraceBodyStart(text);
    if (at < 0) {
      const t = text.trim();
      if (t === '') return 'structure';
      // func_stack_trace / stacktrace trigger frames: " => name+0x../0x.."
      if (t.startsWith('=> ')) {
        const s = parseKernelSymbol(t.slice(3));
        if (!s) return 'skip';
        this.chain.push(s);
        this.state.events++;
        return 'event';
      }
      this.chain.flush();
      const lost = lostEvents(t);
      if (lost !== null) {
        noteLost(this.state, lost);
        return 'structure';
      }
      if (t.startsWith('#####') && t.includes('buffer started')) return 'structure';
      this.reason = 'expected "COMM-PID [CPU] TIMESTAMP: FUNCTION <-CALLER"';
      return 'bad';
    }
    this.chain.flush();
    const body = text.slice(at).trimEnd();
    if (body === '<stack trace>' || body === '<user stack trace>') return 'structure';
    const ev = functionEvent(body);
    if (!ev) return 'skip'; // another event or a trace_printk in the same buffer
    const [callee, parent] = ev;
    const c = this.state.collector;
    // The caller was running before the callee was called: it comes first when new.
    if (parent) c.add(parent.name, parent.hex, 1);
    c.add(callee.name, callee.hex, 1);
    this.state.events++;
    return 'event';
  }
  finish(): void {
    this.chain.flush();
  }
}

type GraphLine = { kind: 'call'; sym: Sym } | { kind: 'close'; name: string | null } | { kind: 'structure' } | { kind: 'comment' };

/** One line of function_graph output, or null when it is not one. */
export function graphLine(line: string): GraphLine | null {
  const t = line.trim();
  if (t === '') return { kind: 'structure' };
  if (t.includes('==========>') || t.includes('<==========')) return { kind: 'structure' };
  if (t.startsWith('-----')) return { kind: 'structure' };
  if (t.startsWith('(Overruns:')) return { kind: 'structure' };
  const comment = line.indexOf('/*');
  const end = comment < 0 ? line.length : comment;
  const bar = line.lastIndexOf('|', end - 1);
  let prefix: string;
  let body: string;
  if (bar >= 0) {
    prefix = line.slice(0, bar);
    body = line.slice(bar + 1).trim();
  } else {
    // No duration column: " 0)  foo() {" or, without context-info, just the call.
    const paren = line.indexOf(')');
    let i = 0;
    while (i < line.length && line.charCodeAt(i) === 32) i++;
    if (paren > i && isDigits(line, i, paren)) {
      prefix = line.slice(0, paren + 1);
      body = line.slice(paren + 1).trim();
    } else {
      prefix = '';
      body = t;
    }
  }
  if (body.includes(' => ') && prefix !== '' && !body.includes('(')) return { kind: 'structure' }; // context switch "0)  sh-1 => bash-2"
  if (body.charCodeAt(0) === 125) {
    // "}" or "} /* name */", "} /* name() */", "} /* name = -22 */"
    const rest = body.slice(1).trim();
    if (rest === '') return { kind: 'close', name: null };
    if (!rest.startsWith('/*') || !rest.endsWith('*/')) return null;
    let inner = rest.slice(2, rest.length - 2).trim();
    const eq = inner.indexOf(' = ');
    if (eq >= 0) inner = inner.slice(0, eq);
    if (inner.endsWith('()')) inner = inner.slice(0, inner.length - 2);
    const s = parseKernelSymbol(inner);
    return { kind: 'close', name: s?.name ?? null };
  }
  if (body.startsWith('/*')) return prefix === '' && !body.endsWith('*/') ? null : { kind: 'comment' };
  const open = body.indexOf('()');
  if (open <= 0) {
    const ctx = body.indexOf(' => ');
    return ctx > 0 ? { kind: 'structure' } : null;
  }
  let tail = body.slice(open + 2).trim();
  const tc = tail.indexOf('/*');
  if (tc >= 0) tail = tail.slice(0, tc).trim();
  if (tail !== ';' && tail !== '{') return null;
  const sym = parseKernelSymbol(body.slice(0, open));
  return sym ? { kind: 'call', sym } : null;
}

class GraphReader implements Reader {
  readonly strict = false;
  reason = '';
  constructor(private readonly state: State) {}
  line(text: string): Kind {
    if (text.charCodeAt(0) === 35) {
      ftraceHeader(text, this.state.provenance);
      return 'structure';
    }
    const lost = text.startsWith('CPU:') ? lostEvents(text) : null;
    if (lost !== null) {
      noteLost(this.state, lost);
      return 'structure';
    }
    const g = graphLine(text);
    if (g === null) {
      this.reason = 'expected "CPU) DURATION | function() {", "function();" or "}"';
      return 'bad';
    }
    if (g.kind === 'call') {
      this.state.collector.add(g.sym.name, g.sym.hex, 1);
      this.state.events++;
      return 'event';
    }
    if (g.kind === 'close') {
      // A closer names its function when the entry is not in the buffer (or with
      // funcgraph-tail/retval): it ran. Counted only when not seen already, so
      // funcgraph-tail does not count each call twice.
      if (g.name !== null && !this.state.collector.has(g.name)) {
        this.state.collector.add(g.name, null, 1);
        this.state.events++;
        return 'event';
      }
      return 'structure';
    }
    return g.kind === 'comment' ? 'skip' : 'structure';
  }
  finish(): void {}
}

/** "  Function   Hit   Time   Avg   s^2" (or only Function and Hit). */
function isStatHeader(t: string): boolean {
  return t.startsWith('Function') && /^Function\s+Hit(\s|$)/.test(t);
}

class StatReader implements Reader {
  readonly strict = true;
  reason = '';
  constructor(private readonly state: State) {}
  line(text: string): Kind {
    const t = text.trim();
    if (t === '' || t.charCodeAt(0) === 35) return 'structure';
    if (isStatHeader(t)) return 'structure';
    if (t.startsWith('---') && /^-+(\s+-+)*$/.test(t)) return 'structure';
    const f = t.split(/\s+/);
    const name = f[0]!;
    if (f.length !== 2 && f.length !== 8) {
      this.reason = 'expected "FUNCTION HIT" or "FUNCTION HIT TIME us AVG us S^2 us"';
      return 'bad';
    }
    if (!isDigits(f[1]!)) {
      this.reason = `the hit count ${JSON.stringify(f[1])} is not a number`;
      return 'bad';
    }
    if (f.length === 8) {
      for (let i = 2; i < 8; i += 2) {
        if (!/^\d+(\.\d+)?$/.test(f[i]!) || f[i + 1] !== 'us') {
          this.reason = 'expected "TIME us AVG us S^2 us" after the hit count';
          return 'bad';
        }
      }
    }
    const sym = parseKernelSymbol(name);
    if (!sym) {
      this.reason = `${JSON.stringify(name)} is not a symbol name`;
      return 'bad';
    }
    this.state.collector.add(sym.name, sym.hex, Number(f[1]));
    this.state.events++;
    return 'event';
  }
  finish(): void {}
}

type DsoKind = 'kernel' | 'module' | 'user' | 'unknown';

const USER_BRACKETS = new Set(['[vdso]', '[vdso32]', '[vdsox32]', '[vsyscall]', '[vectors]', '[sigpage]', '[heap]', '[stack]', '[vvar]', '[uprobes]', '[anon]', '[guest.kernel.kallsyms]', '[hypervisor]']);

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

class PerfReader implements Reader {
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
        this.reason = `${JSON.stringify(f.sym)} is not a kernel symbol`;
        return 'skip';
      }
      name = s.name;
    }
    if (mod !== null) {
      if (name === null) name = `[${mod}]`; // a module address without a symbol: still the module's
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
function perfSampleLine(t: string): boolean {
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

function perfSampleHeader(t: string): boolean {
  return perfSampleLine(t + ' ');
}

class ListReader implements Reader {
  readonly strict = true;
  reason = '';
  private leading = true;
  constructor(private readonly state: State) {}
  line(text: string): Kind {
    const t = text.trim();
    if (t === '') return 'structure';
    if (t.charCodeAt(0) === 35) {
      if (this.leading) {
        const m = /^#\s*([A-Za-z0-9_.-]+):\s?(.*)$/.exec(t);
        if (m && m[1] !== '__proto__') this.state.provenance[m[1]!] = m[2]!.trim();
      }
      return 'structure';
    }
    this.leading = false;
    const e = parseListLine(t);
    if (typeof e === 'string') {
      this.reason = e;
      return 'bad';
    }
    this.state.collector.add(e.name, e.hex, e.count);
    this.state.events++;
    return 'event';
  }
  finish(): void {}
}

/** An address token: 0x-prefixed hex, or exactly 8 or 16 bare hex digits. */
function addressToken(tok: string): string | null {
  if (tok.length > 2 && tok.charCodeAt(0) === 48 && (tok.charCodeAt(1) === 120 || tok.charCodeAt(1) === 88)) return isHex(tok, 2) && tok.length <= 18 ? tok.slice(2) : null;
  if ((tok.length === 8 || tok.length === 16) && isHex(tok)) return tok;
  return null;
}

/** One list entry line -> parts, or why it is not one. */
function parseListLine(t: string): { name: string | null; hex: string | null; count: number } | string {
  const tok = t.split(/\s+/);
  let i = 0;
  const hex = addressToken(tok[0]!);
  let name: string | null = null;
  if (hex !== null) i++;
  if (hex !== null && i < tok.length && tok[i]!.charCodeAt(0) === 91 && tok[i]!.endsWith(']')) {
    // "0xADDRESS [module]": a module address without a symbol.
    const mod = tok[i]!.slice(1, -1);
    if (!isModuleName(mod)) return `${JSON.stringify(tok[i])} is not a module name`;
    name = tok[i]!;
    i++;
  } else if (i < tok.length && !(hex !== null && isDigits(tok[i]!))) {
    const s = parseKernelSymbol(tok[i]!);
    if (!s || s.hex !== null || (s.name === null && hex === null)) return `${JSON.stringify(tok[i])} is not a symbol name (expected "[ADDRESS] NAME [COUNT]")`;
    name = s.name;
    i++;
    // "name [module] count": the module annotation of a module function.
    if (i < tok.length && tok[i]!.startsWith('[') && tok[i]!.endsWith(']') && name !== null && moduleOf(name) === null) {
      const mod = tok[i]!.slice(1, -1);
      if (!isModuleName(mod)) return `${JSON.stringify(tok[i])} is not a module name`;
      name = `${name} [${mod}]`;
      i++;
    }
  }
  let count = 1;
  if (i < tok.length) {
    if (!isDigits(tok[i]!) || Number(tok[i]) < 1 || !Number.isSafeInteger(Number(tok[i]))) return `the count ${JSON.stringify(tok[i])} is not a positive integer`;
    count = Number(tok[i]);
    i++;
  }
  if (i < tok.length) return `unexpected ${JSON.stringify(tok[i])} after the entry (expected "[ADDRESS] NAME [COUNT]")`;
  if (name === null && hex === null) return 'no address or name';
  return { name, hex, count };
}

function makeReader(format: TraceFormat, state: State): Reader {
  switch (format) {
    case 'ftrace-function':
      return new FunctionReader(state);
    case 'ftrace-function-graph':
      return new GraphReader(state);
    case 'trace-stat':
      return new StatReader(state);
    case 'perf-script':
      return new PerfReader(state);
    case 'list':
      return new ListReader(state);
  }
}

// ---------------------------------------------------------------------------
// Detection.

const HEAD_LINES = 400;
const HEAD_CHARS = 1 << 18;

interface Detected {
  format: TraceFormat | null;
  /** When null: the line that decided, and why. */
  line: number;
  why: string;
}

function lineIter(text: string, maxLines: number, f: (line: string, no: number) => boolean): void {
  let start = 0;
  let no = 0;
  while (start < text.length && no < maxLines) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    no++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (f(line, no)) return;
    start = end + 1;
  }
}

function detect(text: string): Detected {
  const head = text.length > HEAD_CHARS ? text.slice(0, text.lastIndexOf('\n', HEAD_CHARS) + 1 || HEAD_CHARS) : text;
  let out: Detected = { format: null, line: 0, why: 'it is empty' };
  let listFrom = 0; // first line that looked like a list entry
  let perfHeader = 0;
  let ftraceContext = 0;
  lineIter(head, HEAD_LINES, (line, no) => {
    const t = line.trim();
    if (t === '') return false;
    if (t.charCodeAt(0) === 35) {
      const m = /^#\s*tracer:\s*(\S+)/.exec(t);
      if (m) {
        const tracer = m[1]!;
        if (tracer === 'function') out = { format: 'ftrace-function', line: no, why: '' };
        else if (tracer === 'function_graph') out = { format: 'ftrace-function-graph', line: no, why: '' };
        else out = { format: null, line: no, why: `the trace is from the ${tracer} tracer; kzbench reads the function and function_graph tracers` };
        return true;
      }
      return false;
    }
    if (lostEvents(t) !== null) return false;
    if (isStatHeader(t)) {
      out = { format: 'trace-stat', line: no, why: '' };
      return true;
    }
    if (perfFrame(line) !== null && (line.charCodeAt(0) === 9 || perfSampleLine(t))) {
      out = { format: 'perf-script', line: no, why: '' };
      return true;
    }
    const at = ftraceBodyStart(line);
    if (at >= 0 && functionEvent(line.slice(at).trimEnd()) !== null) {
      out = { format: 'ftrace-function', line: no, why: '' };
      return true;
    }
    const g = graphLine(line);
    if (g !== null && (g.kind === 'call' || g.kind === 'close') && (line.includes('|') || /^\s*\d+\)/.test(line))) {
      out = { format: 'ftrace-function-graph', line: no, why: '' };
      return true;
    }
    if (t.endsWith(':') && perfSampleHeader(t)) {
      perfHeader ||= no;
      return false;
    }
    if (at >= 0) {
      ftraceContext ||= no;
      return false;
    }
    const l = parseListLine(t);
    if (typeof l !== 'string') {
      listFrom ||= no;
      return false;
    }
    // After list entries, a bad line is a bad list entry: the list reader says what is wrong with it.
    out = listFrom ? { format: 'list', line: listFrom, why: '' } : { format: null, line: no, why: `${excerpt(line)} is none of the trace formats (function or function_graph tracer output, trace_stat, perf script, list)` };
    return true;
  });
  if (out.format !== null || out.line !== 0) return out;
  if (ftraceContext) return { format: 'ftrace-function', line: ftraceContext, why: '' };
  if (perfHeader) return { format: 'perf-script', line: perfHeader, why: '' };
  if (listFrom > 0) return { format: 'list', line: listFrom, why: '' };
  return out;
}

/** The format of a trace from its first lines, or null when it is none of them. */
export function detectTraceFormat(text: string): TraceFormat | null {
  return detect(text).format;
}

// ---------------------------------------------------------------------------
// The driver: lines in, a Trace out.

/** Reads a trace line by line; parseTrace and readTraceFile feed it. */
export class TraceParser {
  private readonly state: State;
  private readonly reader: Reader;
  private no = 0;
  private skipped = 0;
  private firstSkipped = 0;

  constructor(
    readonly file: string,
    readonly format: TraceFormat,
  ) {
    if (!(TRACE_FORMATS as readonly string[]).includes(format)) throw new TraceError(`unknown trace format ${JSON.stringify(format)} (known: ${TRACE_FORMATS.join(', ')})`, file);
    this.state = { collector: new Collector(), provenance: {}, events: 0 };
    this.reader = makeReader(format, this.state);
  }

  /** One line, without its newline. */
  line(text: string): void {
    const no = ++this.no;
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    const kind = this.reader.line(text, no);
    if (kind === 'event' || kind === 'structure') return;
    if (kind === 'bad' && (this.reader.strict || this.state.events === 0)) {
      throw new TraceError(`not ${LABEL[this.format]}: ${excerpt(text)}: ${this.reader.reason}`, this.file, no);
    }
    this.skipped++;
    this.firstSkipped ||= no;
  }

  finish(): Trace {
    this.reader.finish();
    const { collector, provenance, events } = this.state;
    if (events === 0 && this.skipped > 0 && this.format !== 'list' && this.format !== 'trace-stat') {
      throw new TraceError(`no function in ${LABEL[this.format]}: all ${this.skipped} lines with content are other events or user-space frames`, this.file, this.firstSkipped);
    }
    return { file: this.file, format: this.format, entries: collector.entries, events, skippedLines: this.skipped, provenance };
  }
}

/** A forced ftrace format that contradicts the trace's own "# tracer:" header. */
function checkHeader(file: string, format: TraceFormat, text: string): void {
  if (format !== 'ftrace-function' && format !== 'ftrace-function-graph') return;
  const d = detect(text);
  if ((d.format === 'ftrace-function' || d.format === 'ftrace-function-graph') && d.format !== format) {
    const m = /^#\s*tracer:\s*(\S+)/m.exec(text.slice(0, HEAD_CHARS));
    if (m) throw new TraceError(`the trace is from the ${m[1]} tracer, not ${LABEL[format]}`, file, d.line);
  }
}

/**
 * Read a trace from text. Without `format` it is detected from the first
 * lines. Throws TraceError ("FILE:LINE: what") when the text is none of the
 * formats or does not fit the forced one.
 */
export function parseTrace(text: string, file: string, format?: TraceFormat): Trace {
  const p = new TraceParser(file, formatOf(file, text, format));
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    p.line(text.slice(start, end));
    start = end + 1;
  }
  return p.finish();
}

/** The format of a trace from its first lines: the one forced (checked), else the one detected. */
function formatOf(file: string, head: string, format: TraceFormat | undefined): TraceFormat {
  if (format !== undefined) {
    checkHeader(file, format, head);
    return format;
  }
  const d = detect(head);
  if (d.format === null) throw new TraceError(`not a trace: ${d.why}`, file, d.line || null);
  return d.format;
}

const CHUNK = 1 << 23;

/**
 * Read a trace file, streaming it in 8 MiB chunks (boot traces can be larger
 * than a JavaScript string). Errors name the file: "FILE: cannot read: ENOENT".
 */
export function readTraceFile(path: string, format?: TraceFormat): Trace {
  const cannot = (e: unknown): TraceError => new TraceError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, path);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw cannot(e);
  }
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    const decoder = new StringDecoder('utf8');
    let first = true;
    let eof = false;
    /** The next decoded piece of the file, '' at the end. */
    const next = (): string => {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        throw cannot(e);
      }
      if (first && n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) throw new TraceError('is gzip-compressed: decompress it first', path);
      if (first && buf.subarray(0, Math.min(n, 4096)).includes(0)) throw new TraceError('is a binary file, not a text trace (a perf.data? run "perf script" on it)', path);
      first = false;
      if (n === 0) {
        eof = true;
        return decoder.end();
      }
      return decoder.write(buf.subarray(0, n));
    };
    let text = '';
    while (text.length < HEAD_CHARS && !eof) text += next();
    const p = new TraceParser(path, formatOf(path, text, format));
    let rest = '';
    for (;;) {
      const chunk = rest === '' ? text : rest + text;
      let start = 0;
      for (;;) {
        const end = chunk.indexOf('\n', start);
        if (end < 0) break;
        p.line(chunk.slice(start, end));
        start = end + 1;
      }
      rest = chunk.slice(start);
      if (eof) break;
      text = next();
    }
    if (rest.length > 0) p.line(rest);
    return p.finish();
  } finally {
    closeSync(fd);
  }
}

/**
 * A trace as a list file (the format committed boot traces use): provenance
 * as "# key: value" lines, then "0xADDRESS NAME COUNT", "NAME COUNT" or
 * "0xADDRESS COUNT" per entry, in order. parseTrace reads it back to the same
 * entries and provenance.
 */
export function formatTraceList(trace: Pick<Trace, 'entries' | 'provenance'>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(trace.provenance)) {
    if (!/^[A-Za-z0-9_.-]+$/.test(k) || k === 'tracer' || /[\r\n]/.test(v)) throw new TraceError(`provenance ${JSON.stringify(k)}: cannot be written in a list`, 'list');
    out.push(`# ${k}: ${v}`);
  }
  for (const e of trace.entries) {
    if (e.name !== null) {
      const mod = moduleOf(e.name);
      const plain = mod === null ? e.name : e.name.slice(0, Math.max(0, e.name.lastIndexOf(' [')));
      const moduleOnly = plain === '' && mod !== null && isModuleName(mod) && e.address !== null;
      if (!moduleOnly && (!isSymbolName(plain) || (mod !== null && !isModuleName(mod)) || (e.address === null && addressToken(plain) !== null))) throw new TraceError(`entry ${JSON.stringify(e.name)}: cannot be written in a list`, 'list');
    }
    if (!Number.isSafeInteger(e.count) || e.count < 1) throw new TraceError(`entry ${JSON.stringify(e.name ?? e.address)}: count ${e.count} cannot be written in a list`, 'list');
    const parts: string[] = [];
    if (e.address !== null) parts.push(`0x${e.address.toString(16)}`);
    if (e.name !== null) parts.push(e.name);
    parts.push(String(e.count));
    out.push(parts.join(' '));
  }
  return out.join('\n') + '\n';
}

/**
 * Several traces of one workload as one (e.g. ftrace's list and QEMU's
 * translated blocks, which each see what the other misses): distinct entries
 * in order of first appearance, the first trace's first; counts summed;
 * events, skipped lines and lost events added; other provenance kept from the
 * first trace that has it. `file` names them all, joined by "+", each by its
 * base name after the first (unit names use the base name).
 */
export function mergeTraces(traces: readonly Trace[]): Trace {
  if (traces.length === 0) throw new TraceError('no trace to merge', 'merge');
  if (traces.length === 1) return traces[0]!;
  const byKey = new Map<string, TraceEntry>();
  const entries: TraceEntry[] = [];
  const provenance: Record<string, string> = {};
  let events = 0;
  let skippedLines = 0;
  let lost = 0;
  for (const t of traces) {
    events += t.events;
    skippedLines += t.skippedLines;
    lost += Number(t.provenance['lost_events'] ?? 0) || 0;
    for (const [k, v] of Object.entries(t.provenance)) if (!(k in provenance)) provenance[k] = v;
    for (const e of t.entries) {
      const key = e.address !== null ? `a${e.address}` : `n${e.name}`;
      const seen = byKey.get(key);
      if (seen) seen.count += e.count;
      else {
        const copy = { ...e, first: entries.length };
        byKey.set(key, copy);
        entries.push(copy);
      }
    }
  }
  if (lost > 0 || 'lost_events' in provenance) provenance['lost_events'] = String(lost);
  provenance['merged_from'] = traces.map((t) => `${t.file} (${t.format}, ${t.entries.length} entries)`).join(' + ');
  const formats = [...new Set(traces.map((t) => t.format))];
  return {
    file: traces.map((t, i) => (i === 0 ? t.file : basename(t.file))).join('+'),
    format: formats.length === 1 ? formats[0]! : 'list',
    entries,
    events,
    skippedLines,
    provenance,
  };
}
