// The error every trace reader raises, and how errors name a trace's format.
import { excerpt, KzError } from '../../errors.js';
import type { TraceFormat } from '../types.js';

/**
 * A file name as trace errors print it: whole when it could be a real path
 * (PATH_MAX is 4096 bytes), else a short excerpt, so a name that is really a
 * mistake (a whole file pasted into a suite's trace field) never goes to
 * stderr whole.
 */
export function shownName(file: string): string {
  return file.length <= 4096 ? file : excerpt(file, 200);
}

/** A trace kzbench cannot read: one line naming the file and, when known, the line. */
export class TraceError extends KzError {
  override name = 'TraceError';
  override readonly file: string;
  constructor(
    readonly detail: string,
    file: string,
    readonly line: number | null = null,
  ) {
    const shown = shownName(file);
    super(line === null ? `${shown}: ${detail}` : `${shown}:${line}: ${detail}`);
    this.file = shown;
  }
}

export const LABEL: Record<TraceFormat, string> = {
  'ftrace-function': 'function tracer output',
  'ftrace-function-graph': 'function_graph tracer output',
  'trace-stat': 'a trace_stat function profile',
  'perf-script': 'perf script output',
  list: 'a function list',
};
