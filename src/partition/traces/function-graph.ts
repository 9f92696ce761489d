// The function_graph tracer's text: "CPU) DURATION | function() {",
// "function();" and "} /* function */" lines.
import { ftraceHeader, lostEvents, noteLost, type Kind, type Reader, type State } from './reader.js';
import { parseKernelSymbol, type Sym } from './symbol.js';
import { isDigits } from './text.js';

export type GraphLine = { kind: 'call'; sym: Sym } | { kind: 'close'; name: string | null } | { kind: 'structure' } | { kind: 'comment' };

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

export class GraphReader implements Reader {
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
