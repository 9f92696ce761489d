// What the trace readers (traces.ts) hand the partitioner (partition.ts):
// which of an image's functions ran, in which order, and what could not be
// matched. Shared by both sides so each can be built and tested alone.

import type { TraceFormat } from '../units/cold.js';
export { TRACE_FORMATS, type TraceFormat } from '../units/cold.js';

/** One distinct function seen in a trace, before it is matched to the image. */
export interface TraceEntry {
  /** Symbol name as the trace spells it (suffix such as "+0x12/0x40" removed), when it gives one. */
  name: string | null;
  /** Address, when the trace gives one. */
  address: bigint | null;
  /** Times it was seen (calls, hits or samples); 1 when the format has no count. */
  count: number;
  /** Index of its first appearance among the trace's distinct entries (0, 1, 2, ...). */
  first: number;
}

export interface Trace {
  file: string;
  format: TraceFormat;
  /** Distinct entries in order of first appearance. */
  entries: TraceEntry[];
  /** Events (lines with a function) read. */
  events: number;
  /** Lines that were neither events, comments nor headers (reported, never dropped silently). */
  skippedLines: number;
  /** Provenance from "#" header lines of a list, when present (key: value). */
  provenance: Record<string, string>;
}

/** A trace matched onto an image's functions (KernelImage.functions indices). */
export interface HotSet {
  trace: string;
  /** Indices into the image's functions array of every function that ran. */
  hot: Set<number>;
  /** Hot function indices in order of first appearance in the trace. */
  order: number[];
  /** Entries matched to a function. */
  matched: number;
  /** Entries that matched no function in the image, with why (module, not text, unknown name, ...). */
  unmatched: { name: string | null; address: bigint | null; count: number; why: string }[];
  /** Names that matched more than one function (static functions of the same name): all are counted hot. */
  ambiguous: number;
}
