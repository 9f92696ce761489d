import { formatBytes, parseBytes } from '../codecs/settings.js';

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

/** The fields of a cold request, as a suite's `cold:` block spells them. */
export type ColdField = 'trace' | 'holdout' | 'layout_trace' | 'layouts' | 'block_sizes' | 'trace_format' | 'kaslr_offset';

/**
 * How a form of the request names its fields in messages: the CLI names
 * flags ("--layout trace", "--layout-trace"), a suite names what its keys
 * mean ("the trace layout", "layout_trace:") and locates the problem itself.
 */
export interface ColdNaming {
  /** A given value as the subject of a sentence. */
  given(field: ColdField, value: string): string;
  /** A field as something to give, or as a kind of trace. */
  field(field: ColdField): string;
}

/** A cold request as given: trace files (resolved paths, to compare), layouts, block sizes, trace format, KASLR offset. */
export interface ColdRequestText {
  trace: readonly string[];
  holdout: readonly string[];
  layoutTrace: readonly string[];
  layouts?: readonly string[] | undefined;
  blockSizes?: readonly (string | number)[] | undefined;
  traceFormat?: string | undefined;
  kaslrOffset?: string | number | undefined;
}

/** What a valid cold request chose: defaults filled, repeats dropped. */
export interface ColdChoices {
  layouts: LayoutName[];
  blockSizes: number[];
  traceFormat?: TraceFormat;
  kaslrOffset?: bigint;
}

export interface ColdProblem {
  field: ColdField;
  /** Position in the field's list, when the problem is one entry. */
  index?: number;
  message: string;
  /** The value is not of its field's form (not a size, not a layout name): a form whose own parser checks that may have said so already. */
  unreadable?: boolean;
}

/** Block sizes a cold unit takes: one byte to 1GiB. */
export const MAX_BLOCK_BYTES = 1 << 30;
/** Block sizes when none are given: small enough to decompress on demand, large enough to compress. */
export const DEFAULT_BLOCK_SIZES = [4096, 16384, 65536, 262144] as const;

/**
 * Every rule a cold request must keep, in both of its forms (flags and a
 * suite's `cold:` block): choices, or the problems in the order given.
 * Reads nothing: trace files and the image are the planner's.
 */
export function checkColdRequest(r: ColdRequestText, n: ColdNaming): { choices: ColdChoices; problems: ColdProblem[] } {
  const problems: ColdProblem[] = [];
  const blockSizes: number[] = [];
  for (const [index, v] of (r.blockSizes ?? []).entries()) {
    const size = typeof v === 'number' ? v : parseBytesOrNull(v);
    if (size === null)
      problems.push({
        field: 'block_sizes',
        index,
        unreadable: true,
        message: `${n.given('block_sizes', String(v))}: expected a size such as 4KiB, 64KiB or 4096`,
      });
    else if (!(Number.isInteger(size) && size >= 1 && size <= MAX_BLOCK_BYTES))
      problems.push({ field: 'block_sizes', index, message: `${n.given('block_sizes', String(v))}: expected 1 byte to ${formatBytes(MAX_BLOCK_BYTES)}` });
    else if (!blockSizes.includes(size)) blockSizes.push(size);
  }
  const hasLayoutTrace = r.layoutTrace.length > 0;
  const layouts: LayoutName[] = [];
  const layoutList = r.layouts && r.layouts.length ? r.layouts : ['address', ...(hasLayoutTrace ? ['trace'] : [])];
  for (const [index, v] of layoutList.entries()) {
    if (!(LAYOUTS as readonly string[]).includes(v))
      problems.push({ field: 'layouts', index, unreadable: true, message: `${n.given('layouts', v)}: allowed: ${LAYOUTS.join(', ')}` });
    else if (v === 'trace' && !hasLayoutTrace)
      problems.push({ field: 'layouts', message: `${n.given('layouts', v)} needs ${n.field('layout_trace')} FILE (a trace other than the holdout)` });
    else if (!layouts.includes(v as LayoutName)) layouts.push(v as LayoutName);
  }
  const format = r.traceFormat;
  if (format !== undefined && !(TRACE_FORMATS as readonly string[]).includes(format))
    problems.push({ field: 'trace_format', unreadable: true, message: `${n.given('trace_format', format)}: allowed: ${TRACE_FORMATS.join(', ')}` });
  let kaslrOffset: bigint | undefined;
  const k = r.kaslrOffset;
  if (k !== undefined) {
    if (typeof k === 'number' ? Number.isSafeInteger(k) && k >= 0 : /^(0x[0-9a-f]+|\d+)$/i.test(k)) kaslrOffset = BigInt(k);
    else problems.push({ field: 'kaslr_offset', message: `${n.given('kaslr_offset', String(k))}: expected a number such as 0x1e000000` });
  }
  for (const l of r.layoutTrace) {
    if (r.holdout.includes(l))
      problems.push({
        field: 'layout_trace',
        message: `${n.given('layout_trace', l)} is the holdout: a layout built from the held-out trace would grade itself`,
      });
  }
  for (const h of r.holdout) {
    if (r.trace.includes(h))
      problems.push({
        field: 'holdout',
        message: `${n.given('holdout', h)} is also a ${n.field('trace')}: a held-out trace must be one the partition did not see`,
      });
  }
  const choices: ColdChoices = {
    layouts,
    blockSizes: r.blockSizes && r.blockSizes.length ? blockSizes : [...DEFAULT_BLOCK_SIZES],
    ...(format !== undefined ? { traceFormat: format as TraceFormat } : {}),
    ...(kaslrOffset !== undefined ? { kaslrOffset } : {}),
  };
  return { choices, problems };
}

function parseBytesOrNull(v: string): number | null {
  try {
    return parseBytes('size', v);
  } catch {
    return null;
  }
}
