// The function tracer's trace/trace_pipe text: "COMM-PID [CPU] FLAGS
// TIMESTAMP: callee <-caller", with func_stack_trace frames "=> name+off".
import { ChainBuffer } from './collector.js';
import { ftraceHeader, lostEvents, noteLost, type Kind, type Reader, type State } from './reader.js';
import { parseKernelSymbol, type Sym } from './symbol.js';

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
export function functionEvent(body: string): [Sym, Sym | null] | null {
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

export class FunctionReader implements Reader {
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
