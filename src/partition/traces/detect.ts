// Which format a trace is in, from its first lines; and a forced format
// checked against the trace's own "# tracer:" header.
import { excerpt } from '../../errors.js';
import type { TraceFormat } from '../types.js';
import { ftraceBodyStart, functionEvent } from './ftrace-function.js';
import { graphLine } from './function-graph.js';
import { parseListLine } from './list.js';
import { perfFrame, perfSampleHeader, perfSampleLine } from './perf-script.js';
import { lostEvents } from './reader.js';
import { isStatHeader } from './trace-stat.js';
import { LABEL, TraceError } from './trace-error.js';

const HEAD_LINES = 400;
export const HEAD_CHARS = 1 << 18;

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
        else out = { format: null, line: no, why: `the trace is from the ${tracerName(tracer)} tracer; kzbench reads the function and function_graph tracers` };
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
    out = listFrom
      ? { format: 'list', line: listFrom, why: '' }
      : {
          format: null,
          line: no,
          why: `${excerpt(line.trim())} is none of the trace formats (function or function_graph tracer output, trace_stat, perf script, list)`,
        };
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

/** A tracer's name from a "# tracer:" header as messages print it: an excerpt when it is not a plain name. */
function tracerName(name: string): string {
  return name.length <= 40 && /^[A-Za-z0-9_.-]+$/.test(name) ? name : excerpt(name);
}

/** A forced ftrace format that contradicts the trace's own "# tracer:" header. */
function checkHeader(file: string, format: TraceFormat, text: string): void {
  if (format !== 'ftrace-function' && format !== 'ftrace-function-graph') return;
  const d = detect(text);
  if ((d.format === 'ftrace-function' || d.format === 'ftrace-function-graph') && d.format !== format) {
    const m = /^#\s*tracer:\s*(\S+)/m.exec(text.slice(0, HEAD_CHARS));
    if (m) throw new TraceError(`the trace is from the ${tracerName(m[1]!)} tracer, not ${LABEL[format]}`, file, d.line);
  }
}

/** The format of a trace from its first lines: the one forced (checked), else the one detected. */
export function formatOf(file: string, head: string, format: TraceFormat | undefined): TraceFormat {
  if (format !== undefined) {
    checkHeader(file, format, head);
    return format;
  }
  const d = detect(head);
  if (d.format === null) throw new TraceError(`not a trace: ${d.why}`, file, d.line || null);
  return d.format;
}
