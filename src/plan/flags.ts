// A command's flags as a one-entry suite: `run --image --unit --codec
// --profile`, `pick --image --codec` and `diff OLD NEW --codec` become the
// suite they mean, so they are checked, defaulted and expanded by the same
// schema and planner as suite files. Mistakes are said about the flags
// (`--codec xz:level=99: ...`), not about a file the user never wrote.
import { stringify } from 'yaml';
import { isAlgorithm } from '../codecs/types.js';
import { KzError } from '../errors.js';
import type { Problem } from '../located.js';
import { parseSuite, SuiteError, type LoadedSuite } from '../suite/load.js';
import type { SettingEntry } from '../suite/schema.js';
import { checkSpecs, PROFILES, type Profile } from '../run/settings.js';
import type { CorpusEntry } from '../corpus/manifest.js';

/** A request given by flags that cannot be run: one line per problem, each naming its flag. */
export class FlagError extends KzError {
  override name = 'FlagError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }

  override lines(): string[] {
    return this.problems;
  }
}

export interface FlagImage {
  path: string;
  config?: string;
  systemMap?: string;
  /** How messages name the image's flag (default --image). */
  flag?: string;
}

export interface FlagRequest {
  images: FlagImage[];
  /** Unit kinds (default ['whole']). */
  units?: readonly string[];
  /** --codec specs, in order; none: every algorithm the image's arch supports. */
  codecs?: readonly string[];
  /** 'kernel' (default): a bare algorithm name is the image's kernel build command; 'none': the library's default. */
  profile?: string;
  timing?: { min_runs?: number; min_time_ms?: number };
  /** For tests: the corpus names the schema knows (default: the manifest). */
  corpus?: CorpusEntry[];
}

/** The settings entries --codec SPEC... means under PROFILE, one per flag, in order. */
export function codecEntries(codecs: readonly string[] | undefined, profile: Profile): SettingEntry[] {
  if (!codecs || codecs.length === 0) return [{ profile }];
  return codecs.map((spec) => (isAlgorithm(spec) ? { profile, algorithms: [spec] } : { setting: spec }));
}

/** Check --profile and --codec before anything is read; the settings entries they mean. */
export function flagSettings(codecs: readonly string[] | undefined, profileFlag: string | undefined): SettingEntry[] {
  const profile = (profileFlag ?? 'kernel') as Profile;
  if (!PROFILES.includes(profile)) throw new FlagError([`--profile ${profile}: allowed: ${PROFILES.join(', ')}`]);
  checkSpecs(codecs ?? [], profile);
  return codecEntries(codecs, profile);
}

/** The flag a suite path points at, for messages. */
function flagOf(path: string, req: FlagRequest, entries: readonly SettingEntry[]): string {
  const image = /^images\[(\d+)\](?:\.(config|system_map))?/.exec(path);
  if (image) return image[2] ? `--${image[2].replace('_', '-')}` : (req.images[Number(image[1])]?.flag ?? '--image');
  const setting = /^settings\[(\d+)\]/.exec(path);
  if (setting) {
    const e = entries[Number(setting[1])];
    const spec = e?.setting ?? e?.algorithms?.[0];
    return spec === undefined ? '--codec' : `--codec ${String(spec)}`;
  }
  if (path.startsWith('units')) return '--unit';
  if (path.startsWith('timing.min_runs')) return '--min-runs';
  if (path.startsWith('timing.min_time_ms')) return '--min-time';
  return 'flags';
}

/** Re-say a suite's problems about the flags that made it. */
function flagProblems(problems: readonly Problem[], req: FlagRequest, entries: readonly SettingEntry[]): FlagError {
  return new FlagError([...new Set(problems.map((p) => `${flagOf(p.path, req, entries)}: ${p.message}`))]);
}

/** Run FN on a flag suite; a SuiteError from it becomes a FlagError naming the flags. */
export function asFlags<T>(suite: LoadedSuite, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const origin = flagOrigins.get(suite);
    if (origin && e instanceof SuiteError) throw flagProblems(e.problems, origin.req, origin.entries);
    throw e;
  }
}

const flagOrigins = new WeakMap<LoadedSuite, { req: FlagRequest; entries: SettingEntry[] }>();

/**
 * The one-entry suite FLAGS mean. The profile and codec specs are checked
 * first, with the flag messages `run` has always given; the rest by the
 * suite schema. Relative paths are relative to the working directory.
 */
export function flagSuite(req: FlagRequest, name = 'flags'): LoadedSuite {
  const entries = flagSettings(req.codecs, req.profile);
  const suite = {
    name,
    images: req.images.map((i) => ({ path: i.path, ...(i.config ? { config: i.config } : {}), ...(i.systemMap ? { system_map: i.systemMap } : {}) })),
    units: [...(req.units ?? ['whole'])],
    settings: entries,
    ...(req.timing && Object.keys(req.timing).length ? { timing: req.timing } : {}),
  };
  let loaded: LoadedSuite;
  try {
    loaded = parseSuite(stringify(suite), `(${name})`, { baseDir: process.cwd(), ...(req.corpus ? { corpus: req.corpus } : {}) });
  } catch (e) {
    if (e instanceof SuiteError) throw flagProblems(e.problems, req, entries);
    throw e;
  }
  flagOrigins.set(loaded, { req, entries });
  return loaded;
}

/** Was this suite made from flags (flagSuite)? */
export function isFlagSuite(s: LoadedSuite): boolean {
  return flagOrigins.has(s);
}
