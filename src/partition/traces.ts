// Trace readers: which kernel functions ran, from the outputs people have.
// Five formats (docs/traces.md), one reader each in traces/: the function
// tracer's trace/trace_pipe text (ftrace-function.ts), the function_graph
// tracer's (function-graph.ts), the function profiler's trace_stat files
// (trace-stat.ts), `perf script` (perf-script.ts) and kzbench's plain lists
// (list.ts). Each reads line by line with indexOf and character tests (no
// backtracking regular expressions on the hot path), so a multi-million-line
// boot trace reads in seconds. detect.ts picks the format, parse.ts drives
// the reader, stream.ts reads files safely in chunks, merge.ts joins traces.
// This module is the API the rest of kzbench imports.
export { detectTraceFormat } from './traces/detect.js';
export { ftraceBodyStart } from './traces/ftrace-function.js';
export { graphLine } from './traces/function-graph.js';
export { formatTraceList } from './traces/list.js';
export { mergeTraces } from './traces/merge.js';
export { MAX_STACK_FRAMES, MAX_TRACE_CHARS, MAX_TRACE_ENTRIES, MAX_TRACE_LINE, parseTrace, TraceParser } from './traces/parse.js';
export { perfFrame } from './traces/perf-script.js';
export { moduleOf, parseKernelSymbol } from './traces/symbol.js';
export { MAX_TRACE_FILE, readTraceChunks, readTraceFile } from './traces/stream.js';
export { isSymbolName } from './traces/text.js';
export { TraceError } from './traces/trace-error.js';
