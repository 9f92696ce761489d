// The driver: lines in, a Trace out, through the format's reader; the limits
// that keep a hostile trace to bounded memory.
import { excerpt } from '../../errors.js';
import { TRACE_FORMATS, type Trace, type TraceFormat } from '../types.js';
import { Collector } from './collector.js';
import { formatOf } from './detect.js';
import { FunctionReader } from './ftrace-function.js';
import { GraphReader } from './function-graph.js';
import { ListReader } from './list.js';
import { PerfReader } from './perf-script.js';
import type { Reader, State } from './reader.js';
import { StatReader } from './trace-stat.js';
import { LABEL, TraceError } from './trace-error.js';

/**
 * Longest line a trace may have, in characters. Real lines are well under
 * 1 KiB (a perf frame with a long C++ name a few KiB); a longer one is a
 * binary or a file without newlines, and would otherwise be held whole.
 */
export const MAX_TRACE_LINE = 1 << 20;

/**
 * Most distinct entries (functions or addresses) in one trace. A kernel has
 * ~10^5 functions, and even a trace of every translated-block address of a
 * 64 MiB kernel text stays below this; at ~200 bytes an entry it bounds a
 * trace's memory to about 1 GiB, whatever the file's size.
 */
export const MAX_TRACE_ENTRIES = 1 << 22;

/** Most characters of distinct names and addresses in one trace (10^5 real names are a few Mi); bounds what long names cost. */
export const MAX_TRACE_CHARS = 1 << 28;

/** Deepest stack (func_stack_trace, perf callchain) held before it is added: a kernel stack has at most a few thousand frames. */
export const MAX_STACK_FRAMES = 1 << 16;

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
    if (!(TRACE_FORMATS as readonly string[]).includes(format))
      throw new TraceError(`unknown trace format ${excerpt(format)} (known: ${TRACE_FORMATS.join(', ')})`, file);
    this.state = { collector: new Collector(), provenance: {}, events: 0 };
    this.reader = makeReader(format, this.state);
  }

  /** Refuse the next line when it is (or, still unfinished, already is) LENGTH characters, more than MAX_TRACE_LINE. */
  checkLength(length: number): void {
    if (length > MAX_TRACE_LINE) {
      throw new TraceError(`line is longer than ${MAX_TRACE_LINE} characters: not a text trace`, this.file, this.no + 1);
    }
  }

  /** Refuse a trace that would hold more than one kernel's worth of entries, names or stack frames. */
  private checkBounds(no: number): void {
    const c = this.state.collector;
    let why: string | null = null;
    if (c.entries.length > MAX_TRACE_ENTRIES) why = `more than ${MAX_TRACE_ENTRIES} distinct functions and addresses`;
    else if (c.chars > MAX_TRACE_CHARS) why = `its distinct names and addresses are more than ${MAX_TRACE_CHARS} characters`;
    else if (c.pendingFrames > MAX_STACK_FRAMES) why = `a stack of more than ${MAX_STACK_FRAMES} frames`;
    if (why !== null) throw new TraceError(`${why}: not a trace of one kernel`, this.file, no);
  }

  /** One line, without its newline. */
  line(text: string): void {
    this.checkLength(text.length);
    const no = ++this.no;
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    const kind = this.reader.line(text, no);
    this.checkBounds(no);
    if (kind === 'event' || kind === 'structure') return;
    if (kind === 'bad' && (this.reader.strict || this.state.events === 0)) {
      throw new TraceError(`not ${LABEL[this.format]}: ${excerpt(text.trim())}: ${this.reader.reason}`, this.file, no);
    }
    this.skipped++;
    this.firstSkipped ||= no;
  }

  finish(): Trace {
    this.reader.finish();
    const { collector, provenance, events } = this.state;
    if (events === 0 && this.skipped > 0 && this.format !== 'list' && this.format !== 'trace-stat') {
      throw new TraceError(
        `no function in ${LABEL[this.format]}: all ${this.skipped} lines with content are other events or user-space frames`,
        this.file,
        this.firstSkipped,
      );
    }
    return { file: this.file, format: this.format, entries: collector.entries, events, skippedLines: this.skipped, provenance };
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
