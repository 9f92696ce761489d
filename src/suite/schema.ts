// The suite file's schema (zod). A suite names images, units, settings,
// timing and (for the model) boards; docs/suites.md describes every key.
// Checks that need the outside world (corpus names, files, what a setting
// spec parses to) are done here too, so one pass reports every mistake.
import { checkedColdSchema, coldSchema } from './cold.js';
import { pathExcerpt, size } from './fields.js';
export { coldSchema, traceFileList, SUITE_COLD_NAMING, type ColdEntry } from './cold.js';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { codecRow, parseSetting } from '../codecs/index.js';
import { ALGORITHMS, type Algorithm } from '../codecs/types.js';
import { BCJ_FILTERS } from '../codecs/settings.js';
import { UNIT_KINDS } from '../units/index.js';

/** Suite unit kinds: the units/ ones plus `cold` (a `cold:` block says how). */
/**
 * Unit kinds a suite may list: the image's own (whole, sections), the cold
 * partition's blocks (with a cold: block), and xip-data, the data an XIP
 * build copies to RAM, compressed as XIP_DEFLATED_DATA does (arm).
 */
export const SUITE_UNITS = [...UNIT_KINDS, 'cold', 'xip-data'] as const;
import { messageAbout, strictObject } from '../located.js';
import { cellLimitText, DEFAULT_MAX_CELLS, expandLevels, levelRange, levelsProblem, RANGE } from './limits.js';
export { cellLimitText, DEFAULT_MAX_CELLS, expandLevels, levelRange, levelsProblem } from './limits.js';
import { excerpt } from '../errors.js';
import { DEFAULT_TIMING } from '../measure/timing.js';

/** What the schema's checks need to know about the world. */
export interface SuiteContext {
  /** Corpus names from corpora/manifest.yaml. */
  corpusNames: readonly string[];
  /** Relative image paths resolve against this directory (the suite file's). */
  baseDir: string;
  /** Most cells the suite may expand to: every sweep's settings count against it (default DEFAULT_MAX_CELLS). */
  maxCells?: number;
}

/** Sweep dimensions and the algorithms they apply to. */
export const DIMENSIONS = {
  levels: ALGORITHMS,
  extreme: ['xz', 'lzma'],
  dict: ['xz', 'lzma'],
  bcj: ['xz'],
  window_log: ['zstd'],
  long: ['zstd'],
  frame: ['lz4'],
  size_append: ALGORITHMS,
} as const satisfies Record<string, readonly Algorithm[]>;
export type Dimension = keyof typeof DIMENSIONS;

const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);
const many = <T>(v: T | readonly T[] | undefined): T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? [...v] : [v as T]);

const levels = z.union(
  [
    z.number().int(),
    z.array(z.number().int()).min(1),
    z.string().regex(RANGE, { error: 'expected a range such as "1..9" or "1..19/3" (bounds and step of at most 3 digits)' }),
  ],
  {
    error: 'expected a level (9), a list ([1, 6, 9]) or a range ("1..9", "1..19/3" for every third)',
  },
);
const bcjValue = z.enum(['on', 'off', 'none', ...Object.keys(BCJ_FILTERS)], {
  error: `expected on (the image's arch filter), off, or one of ${Object.keys(BCJ_FILTERS).join(', ')}`,
});
const bool = z.boolean({ error: 'expected true or false' });

/** One entry of `settings:` (a kernel profile list, a sweep, or setting strings). */
export const settingEntry = strictObject({
  profile: z
    .enum(['kernel', 'none'], {
      error: 'a profile is "kernel" (the kernel build\'s own command for the image\'s arch and version) or "none" (each library\'s default)',
    })
    .optional(),
  algorithms: z
    .array(z.enum(ALGORITHMS, { error: `expected one of ${ALGORITHMS.join(', ')}` }))
    .min(1)
    .optional(),
  algorithm: z.enum(ALGORITHMS, { error: `expected one of ${ALGORITHMS.join(', ')}` }).optional(),
  setting: oneOrMany(z.string().min(1)).optional(),
  levels: levels.optional(),
  extreme: oneOrMany(bool).optional(),
  dict: oneOrMany(size).optional(),
  bcj: oneOrMany(bcjValue).optional(),
  window_log: oneOrMany(z.number().int().min(10).max(31)).optional(),
  long: oneOrMany(bool).optional(),
  frame: oneOrMany(z.enum(['legacy', 'lz4f'])).optional(),
  size_append: oneOrMany(bool).optional(),
  options: z.string().min(1).optional(),
  note: z.string().optional(),
});
export type SettingEntry = z.infer<typeof settingEntry>;

const imageEntry = z.preprocess(
  (v) => (typeof v === 'string' ? { ref: v } : v),
  strictObject({
    ref: z.string().min(1).optional(),
    corpus: z.string().min(1).optional(),
    path: z.string().min(1).optional(),
    config: z.string().min(1).optional(),
    system_map: z.string().min(1).optional(),
  }),
);
export type ImageEntry = z.infer<typeof imageEntry>;

const positive = z.number().positive();
const board = strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  arch: z.string().optional(),
  cpu_mhz: positive.optional(),
  flash_bytes: size.optional(),
  ram_bytes: size.optional(),
  flash_read_mb_s: positive.optional(),
  boot_budget_ms: positive.optional(),
  source: z.string().optional(),
});

/**
 * Timing bounds are the timing loop's own caps (DEFAULT_TIMING): it never
 * runs more than maxRuns times nor past maxTimeMs, so a minimum above them
 * could not be honoured.
 */
export const timingSchema = strictObject({
  min_runs: z
    .number()
    .int()
    .min(1)
    .max(DEFAULT_TIMING.maxRuns, { error: `at most ${DEFAULT_TIMING.maxRuns} (the timing loop's run cap)` })
    .optional(),
  min_time_ms: z
    .number()
    .min(0)
    .max(DEFAULT_TIMING.maxTimeMs, { error: `at most ${DEFAULT_TIMING.maxTimeMs} ms (the timing loop's time cap)` })
    .optional(),
});

/** Worker threads a suite may ask for: far above any machine's cores, far below what would exhaust memory. */
export const MAX_WORKERS = 1024;

export const suiteShape = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'a suite name is letters, digits, ".", "_" and "-"' })
    .optional(),
  description: z.string().optional(),
  images: z.array(imageEntry).min(1, { error: 'name at least one image' }),
  units: z
    .array(z.enum(SUITE_UNITS as unknown as [string, ...string[]], { error: `expected one of ${SUITE_UNITS.join(', ')}` }))
    .min(1)
    .default(['whole']),
  cold: coldSchema.optional(),
  settings: z.array(settingEntry).min(1, { error: 'name at least one setting' }),
  timing: timingSchema.optional(),
  workers: z
    .number()
    .int()
    .min(1)
    .max(MAX_WORKERS, { error: `at most ${MAX_WORKERS} worker threads` })
    .optional(),
  boards: z.array(board).optional(),
};

/** A list without repeats, in first-seen order: a value given twice is swept once. */
const distinct = <T>(v: T[] | undefined): T[] | undefined => (v === undefined ? undefined : [...new Set(v)]);

/** A sweep entry's dimensions as lists of distinct values (undefined: not swept). */
export function dimensionValues(e: SettingEntry): { [K in Dimension]?: unknown[] } {
  return {
    levels: e.levels === undefined ? undefined : distinct(expandLevels(e.levels)),
    extreme: distinct(many(e.extreme)),
    dict: distinct(many(e.dict)),
    bcj: distinct(many(e.bcj)),
    window_log: distinct(many(e.window_log)),
    long: distinct(many(e.long)),
    frame: distinct(many(e.frame)),
    size_append: distinct(many(e.size_append)),
  };
}

/**
 * How many settings a sweep entry stands for, from its dimensions' distinct
 * values (a product, not an expansion: may be Infinity for absurd input).
 */
export function sweepSize(e: SettingEntry): number {
  let n = 1;
  if (e.levels !== undefined) {
    if (typeof e.levels === 'string') {
      const r = levelRange(e.levels);
      n *= r && r.step >= 1 && r.lo <= r.hi ? Math.floor((r.hi - r.lo) / r.step) + 1 : 0;
    } else n *= new Set(typeof e.levels === 'number' ? [e.levels] : e.levels).size;
  }
  for (const k of ['extreme', 'dict', 'bcj', 'window_log', 'long', 'frame', 'size_append'] as const) {
    const v = many(e[k] as unknown);
    if (v) n *= new Set(v).size;
  }
  return n;
}

/** The BCJ filter a kernel of this arch uses (`bcj: on`), or none. */
export function archBcj(arch: string, thumb2 = false): string {
  const a = arch.toLowerCase();
  if (/^(x86|x86_64|amd64|i[3-6]86)$/.test(a)) return 'x86';
  if (/^(arm|armhf|armel|armv\d.*)$/.test(a)) return thumb2 ? 'armthumb' : 'arm';
  if (/^(arm64|aarch64)$/.test(a)) return 'arm64';
  if (/^(powerpc|ppc.*)$/.test(a)) return 'powerpc';
  if (/^sparc/.test(a)) return 'sparc';
  if (/^riscv/.test(a)) return 'riscv';
  return 'none';
}

/** Every setting spec a sweep entry stands for, with `bcj: on` as `onBcj`. */
export function sweepSpecs(e: SettingEntry, onBcj: string): string[] {
  const alg = e.algorithm!;
  const d = dimensionValues(e);
  let specs: string[][] = [[]];
  const cross = (values: unknown[] | undefined, token: (v: unknown) => string | undefined) => {
    if (!values) return;
    specs = specs.flatMap((s) =>
      values.map((v) => {
        const t = token(v);
        return t === undefined ? s : [...s, t];
      }),
    );
  };
  cross(d.levels, (v) => String(v));
  cross(d.extreme, (v) => (v ? 'extreme' : undefined));
  cross(d.dict, (v) => `dict=${v}`);
  cross(d.bcj, (v) => {
    const b = v === 'on' ? onBcj : v === 'off' ? 'none' : String(v);
    return `bcj=${b}`;
  });
  cross(d.window_log, (v) => `window_log=${v}`);
  cross(d.long, (v) => (v ? 'long' : undefined));
  cross(d.frame, (v) => `frame=${v}`);
  cross(d.size_append, (v) => (v ? 'size_append' : undefined));
  return specs.map((s) => {
    const tokens = [...s, ...(e.options ? [e.options] : [])];
    return tokens.length ? `${alg}:${tokens.join(',')}` : alg;
  });
}

/** The suite schema with the checks that need the corpus names and the file system. */
export function suiteSchema(ctx: SuiteContext) {
  const images = z
    .array(
      imageEntry.superRefine((img, c) => {
        const given = (['ref', 'corpus', 'path'] as const).filter((k) => img[k] !== undefined);
        if (given.length !== 1) {
          c.addIssue({ code: 'custom', message: 'give exactly one of: a corpus name or path as a string, corpus: NAME, path: FILE' });
          return;
        }
        const fileOk = (p: string) => existsSync(isAbsolute(p) ? p : resolve(ctx.baseDir, p));
        if (img.corpus !== undefined && !ctx.corpusNames.includes(img.corpus)) {
          c.addIssue({ code: 'custom', path: ['corpus'], message: `no corpus kernel named ${excerpt(img.corpus, 40)}; known: ${ctx.corpusNames.join(', ')}` });
        }
        if (img.path !== undefined && !fileOk(img.path)) c.addIssue({ code: 'custom', path: ['path'], message: `no such file: ${pathExcerpt(img.path)}` });
        if (img.ref !== undefined && !ctx.corpusNames.includes(img.ref) && !fileOk(img.ref)) {
          c.addIssue({ code: 'custom', message: `${excerpt(img.ref, 60)} is neither a corpus kernel (known: ${ctx.corpusNames.join(', ')}) nor a file` });
        }
        if (img.ref !== undefined && (img.config !== undefined || img.system_map !== undefined)) {
          c.addIssue({ code: 'custom', message: 'config and system_map go with path: FILE' });
        }
        for (const k of ['config', 'system_map'] as const) {
          if (img[k] !== undefined && !fileOk(img[k]!)) c.addIssue({ code: 'custom', path: [k], message: `no such file: ${pathExcerpt(img[k]!)}` });
        }
      }),
    )
    .min(1, { error: 'name at least one image' });

  // Every entry's settings count against the cell limit (each setting is at
  // least one cell per image): an entry that would pass it is refused before
  // its specs are built, so no list of settings can grow past the limit.
  const maxCells = ctx.maxCells ?? DEFAULT_MAX_CELLS;
  let settingsSoFar = 0;
  const settings = z
    .array(
      settingEntry.superRefine((e, c) => {
        const kinds = (['profile', 'algorithm', 'setting'] as const).filter((k) => e[k] !== undefined);
        if (kinds.length !== 1) {
          c.addIssue({
            code: 'custom',
            message: 'give exactly one of: profile: kernel (or none), algorithm: NAME (a sweep), setting: "ALGO:..." (or a list of them)',
          });
          return;
        }
        const swept = (Object.keys(DIMENSIONS) as Dimension[]).filter((k) => e[k] !== undefined);
        if (e.algorithms !== undefined && !e.profile)
          c.addIssue({ code: 'custom', path: ['algorithms'], message: 'algorithms goes with profile: kernel (or none)' });
        if (!e.algorithm) {
          for (const k of [...swept, ...(e.options !== undefined ? ['options'] : [])]) {
            c.addIssue({ code: 'custom', path: [k], message: `${k} goes with algorithm: NAME (a sweep)` });
          }
        }
        if (e.setting !== undefined) {
          const specs = many(e.setting)!;
          settingsSoFar += specs.length;
          if (settingsSoFar > maxCells) {
            c.addIssue({ code: 'custom', path: ['setting'], message: cellLimitText('the settings so far make at least', settingsSoFar, maxCells) });
            return;
          }
          for (const [i, spec] of specs.entries()) {
            try {
              parseSetting(spec);
            } catch (err) {
              c.addIssue({ code: 'custom', path: Array.isArray(e.setting) ? ['setting', i] : ['setting'], message: messageAbout(err, spec) });
            }
          }
        }
        if (!e.algorithm) return;
        const alg = e.algorithm;
        let bad = false;
        for (const k of swept) {
          if (!(DIMENSIONS[k] as readonly string[]).includes(alg)) {
            bad = true;
            const applies = (Object.keys(DIMENSIONS) as Dimension[]).filter((d) => (DIMENSIONS[d] as readonly string[]).includes(alg));
            c.addIssue({ code: 'custom', path: [k], message: `${k} does not apply to ${alg}; ${alg} sweeps: ${applies.join(', ')}, options` });
          }
        }
        if (e.levels !== undefined) {
          const problem = levelsProblem(e.levels, [...codecRow(alg)!.levels] as [number, number], alg);
          if (problem !== undefined) {
            if (problem) c.addIssue({ code: 'custom', path: ['levels'], message: problem });
            bad = true;
          }
        }
        if (bad) return;
        const count = sweepSize(e);
        settingsSoFar += count;
        if (settingsSoFar > maxCells) {
          c.addIssue({
            code: 'custom',
            message: cellLimitText(count === settingsSoFar ? 'this sweep alone makes' : 'with this sweep the settings make at least', settingsSoFar, maxCells),
          });
          return;
        }
        // Whatever else is wrong shows when the specs are parsed (bcj: on is
        // checked with x86 here and with the image's own filter at expansion).
        const messages = new Set<string>();
        for (const spec of sweepSpecs(e, 'x86')) {
          try {
            parseSetting(spec);
          } catch (err) {
            messages.add(`${excerpt(spec, 60)}: ${messageAbout(err, spec)}`);
          }
        }
        for (const m of [...messages].slice(0, 5)) c.addIssue({ code: 'custom', message: m });
        if (messages.size > 5) c.addIssue({ code: 'custom', message: `(${messages.size - 5} more settings of this sweep are refused)` });
      }),
    )
    .min(1, { error: 'name at least one setting' });

  const cold = checkedColdSchema(ctx.baseDir);
  return strictObject({ ...suiteShape, images, settings, cold: cold.optional() }).superRefine((v, c) => {
    const wantsCold = (v.units as string[]).includes('cold');
    if (wantsCold && v.cold === undefined)
      c.addIssue({ code: 'custom', path: ['units'], message: 'units: cold needs a cold: block naming the trace (docs/cold.md)' });
    if (!wantsCold && v.cold !== undefined) c.addIssue({ code: 'custom', path: ['cold'], message: 'a cold: block goes with units: [..., cold]' });
  });
}

export type Suite = z.infer<ReturnType<typeof suiteSchema>>;
export type Board = z.infer<typeof board>;
