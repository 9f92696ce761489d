// The names a cold unit is built with: how its functions are laid out and
// which trace formats say what ran. Kept here, below partition/ (which
// implements them) and suite/ (whose schema accepts them), so both share one
// list without importing each other.

/** Layouts of the cold functions before they are cut into blocks (partition/layout.ts). */
export const LAYOUTS = ['address', 'neighbour', 'trace'] as const;
export type LayoutName = (typeof LAYOUTS)[number];

/** Trace formats kzbench reads (partition/traces.ts). */
export const TRACE_FORMATS = ['ftrace-function', 'ftrace-function-graph', 'trace-stat', 'perf-script', 'list'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];
