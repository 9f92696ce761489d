// A suite's `cold:` block (units: [..., cold]; docs/cold.md): its schema,
// and its checks, which are the rules `kzbench cold`'s flags keep too
// (units/cold.ts), named as a suite file names its keys.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { excerpt } from '../errors.js';
import { strictObject } from '../located.js';
import { checkColdRequest, LAYOUTS, TRACE_FORMATS, type ColdNaming, type ColdRequestText } from '../units/cold.js';
import { pathExcerpt, sizeText } from './fields.js';

/** `cold:`: the cold-code cells of `units: [..., cold]` (docs/cold.md). */
const traceFiles = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** A `cold:` trace field as a list of files (one file, or several merged). */
export const traceFileList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** How a suite's `cold:` problems name its keys (they are located at the key, so a value is not repeated). */
export const SUITE_COLD_NAMING: ColdNaming = {
  given: (field, value) =>
    field === 'layouts' ? `the ${value} layout` : field === 'layout_trace' ? 'the layout trace' : field === 'holdout' ? 'the holdout' : excerpt(value, 30),
  field: (field) => (field === 'trace' ? 'trace' : `${field}:`),
};

export const coldSchema = strictObject({
  /** One trace file, or several merged (a function is hot when any of them saw it). */
  trace: traceFiles,
  holdout: traceFiles.optional(),
  layout_trace: traceFiles.optional(),
  block_sizes: z
    .array(z.union([z.number(), sizeText], { error: 'expected a size such as 64KiB or a number of bytes' }))
    .min(1)
    .optional(),
  layouts: z
    .array(z.enum(LAYOUTS, { error: `expected one of ${LAYOUTS.join(', ')}` }))
    .min(1)
    .optional(),
  trace_format: z.enum(TRACE_FORMATS, { error: `expected one of ${TRACE_FORMATS.join(', ')}` }).optional(),
  /** Subtracted from the traces' addresses (a boot's KASLR slide); inferred when not given (docs/traces.md). */
  kaslr_offset: z.union([z.number(), z.string()], { error: 'expected a number such as 0x1e000000' }).optional(),
});
export type ColdEntry = z.infer<typeof coldSchema>;

/** A `cold:` block as a cold request: trace files resolved against the suite's directory. */
export function coldRequestText(c: ColdEntry, baseDir: string): ColdRequestText {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    trace: traceFileList(c.trace).map(abs),
    holdout: traceFileList(c.holdout).map(abs),
    layoutTrace: traceFileList(c.layout_trace).map(abs),
    layouts: c.layouts,
    blockSizes: c.block_sizes,
    traceFormat: c.trace_format,
    kaslrOffset: c.kaslr_offset,
  };
}

/** The `cold:` schema with its checks: trace files exist, and checkColdRequest's rules, located at their keys. */
export function checkedColdSchema(baseDir: string) {
  const fileOk = (p: string) => existsSync(isAbsolute(p) ? p : resolve(baseDir, p));
  return coldSchema.superRefine((c, ctx) => {
    for (const k of ['trace', 'holdout', 'layout_trace'] as const) {
      const v = c[k];
      traceFileList(v).forEach((f, i) => {
        if (!fileOk(f)) ctx.addIssue({ code: 'custom', path: Array.isArray(v) ? [k, i] : [k], message: `no such file: ${pathExcerpt(f)}` });
      });
    }
    const { problems } = checkColdRequest(coldRequestText(c, baseDir), SUITE_COLD_NAMING);
    // a value the schema cannot read (a block size of "4 bananas") it has already refused
    for (const p of problems.filter((p) => !p.unreadable)) {
      ctx.addIssue({ code: 'custom', path: p.index === undefined ? [p.field] : [p.field, p.index], message: p.message });
    }
  });
}
