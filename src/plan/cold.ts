// One cold planner for both forms of a cold request (`kzbench cold` flags, a
// suite's `cold:` block): the traces read and merged, mapped onto the image,
// each required to match something, then the partition, layouts, block
// sizes and settings as cells. The request's rules are checkColdRequest
// (units/cold.ts), which both forms run before anything is read.
import type { KernelImage } from '../image/index.js';
import { coldSetting, planCold, traceInfo, type ColdPlan, type TraceInfo } from '../partition/cold.js';
import { codeMap, type CodeMap } from '../partition/partition.js';
import { mapTrace } from '../partition/trace-map.js';
import { mergeTraces, readTraceFile, TraceError } from '../partition/traces.js';
import type { HotSet, Trace } from '../partition/types.js';
import type { ColdChoices } from '../units/cold.js';

export interface ColdRequest {
  /** The image, and how messages name it (a suite's ref, the CLI's path). */
  image: { name: string; path: string; sha256: string; image: KernelImage };
  /** Trace files to read, as they are opened (and named in the `trace` column). */
  files: { trace: readonly string[]; holdout: readonly string[]; layoutTrace: readonly string[] };
  /** What checkColdRequest made of the request. */
  choices: ColdChoices;
  /** Canonical setting keys, as `kzbench run` resolves them for the image. */
  settings: readonly string[];
}

export interface ColdTraces<T> {
  trace: T;
  holdout: T | null;
  layoutTrace: T | null;
}

export interface PlannedCold {
  plan: ColdPlan;
  code: CodeMap;
  traces: ColdTraces<Trace>;
  sets: ColdTraces<HotSet>;
  /** The block settings: the request's, with coldSetting applied, without repeats. */
  settings: string[];
}

/** The settings of cold block cells for these keys (coldSetting), without repeats. */
export function coldSettings(img: KernelImage, keys: readonly string[]): string[] {
  return [...new Set(keys.map((key) => coldSetting(img, key)))];
}

/** Read, map and plan one cold request. A trace that matches no function of the image is a TraceError. */
export function planColdRequest(r: ColdRequest): PlannedCold {
  const img = r.image.image;
  const format = r.choices.traceFormat;
  const read = (paths: readonly string[]): Trace | null => (paths.length ? mergeTraces(paths.map((p) => readTraceFile(p, format))) : null);
  const traces: ColdTraces<Trace> = { trace: read(r.files.trace)!, holdout: read(r.files.holdout), layoutTrace: read(r.files.layoutTrace) };
  const kaslr = r.choices.kaslrOffset;
  const map = (t: Trace, what: string): HotSet => {
    const set = mapTrace(t, img.functions, kaslr !== undefined ? { kaslrOffset: kaslr } : {});
    if (set.hot.size === 0) {
      const first = set.unmatched
        .slice(0, 3)
        .map((u) => `${u.name ?? '0x' + (u.address ?? 0n).toString(16)} (${u.why})`)
        .join(', ');
      throw new TraceError(`${what} matches no function of ${r.image.name} (${t.entries.length} entries${first ? `; e.g. ${first}` : ''})`, t.file);
    }
    return set;
  };
  const sets: ColdTraces<HotSet> = {
    trace: map(traces.trace, 'the trace'),
    holdout: traces.holdout ? map(traces.holdout, 'the holdout trace') : null,
    layoutTrace: traces.layoutTrace ? map(traces.layoutTrace, 'the layout trace') : null,
  };
  const settings = coldSettings(img, r.settings);
  const code = codeMap(img);
  const plan = planCold(
    img,
    {
      trace: sets.trace,
      ...(sets.holdout ? { holdout: sets.holdout } : {}),
      ...(sets.layoutTrace ? { layoutTrace: sets.layoutTrace } : {}),
      layouts: r.choices.layouts,
      blockSizes: r.choices.blockSizes,
      settings,
      image: { path: r.image.path, sha256: r.image.sha256 },
    },
    code,
  );
  return { plan, code, traces, sets, settings };
}

/** The trace lines of a cold summary. */
export function coldTraceInfo(p: PlannedCold): ColdTraces<TraceInfo> {
  const info = (set: HotSet | null, t: Trace | null) => (set && t ? traceInfo(set, p.code, t) : null);
  return {
    trace: info(p.sets.trace, p.traces.trace)!,
    holdout: info(p.sets.holdout, p.traces.holdout),
    layoutTrace: info(p.sets.layoutTrace, p.traces.layoutTrace),
  };
}
