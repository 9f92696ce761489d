// The job a results directory holds, and the check that `--resume` continues
// that job and no other: the same images (by sha256), units, settings and
// timing. Rows of two jobs in one results.csv would not answer one question,
// and every later report would mix them silently.

import { excerpt, KzError } from '../errors.js';
import type { RunJob, RunJson } from '../results/run-json.js';
import type { ResultRow } from '../results/schema.js';

const sortedSet = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** The job of these cells: what run.json records as `job`. */
export function jobOf(cells: readonly { imageSha256: string; unit: string; setting: string }[], timing: object): RunJob {
  return {
    image_sha256: sortedSet(cells.map((c) => c.imageSha256)),
    units: sortedSet(cells.map((c) => c.unit)),
    settings: sortedSet(cells.map((c) => c.setting)),
    timing: { ...timing },
  };
}

const short = (sha: string) => (sha.length > 12 ? `${sha.slice(0, 12)}…` : sha || '(none)');

/** At most a few items of a list, then how many more. */
function few(xs: readonly string[], max = 3): string {
  const head = xs.slice(0, max).join(', ');
  return xs.length > max ? `${head} and ${xs.length - max} more` : head;
}

/** "the run had X that this one lacks; this one adds Y", or '' when the lists are equal. */
function listDiff(what: string, before: readonly string[], now: readonly string[], show = (s: string) => excerpt(s, 40)): string {
  const lacks = before.filter((x) => !now.includes(x)).map(show);
  const adds = now.filter((x) => !before.includes(x)).map(show);
  const parts = [
    ...(lacks.length ? [`the run had ${what} ${few(lacks)}, this one does not`] : []),
    ...(adds.length ? [`this one adds ${what} ${few(adds)}`] : []),
  ];
  return parts.join('; ');
}

function timingText(t: Record<string, unknown>): string {
  return Object.keys(t)
    .sort()
    .map((k) => `${k}=${String(t[k])}`)
    .join(', ');
}

/**
 * Refuse to resume DIR when its run.json recorded another job than JOB: a
 * KzError naming the directory and the first difference. A run.json from
 * before `job` was recorded is checked by its image_sha256.
 */
export function checkSameJob(dir: string, previous: RunJson | undefined, job: RunJob): void {
  if (!previous) return;
  const refuse = (why: string) => {
    throw new KzError(`--resume: ${why}: not the same job (resume with the run's own image, units, settings and timing, or use another directory)`, dir);
  };
  const before = previous.job;
  if (!before) {
    const sha = previous['image_sha256'];
    if (typeof sha === 'string' && job.image_sha256.length === 1 && sha !== job.image_sha256[0]) {
      refuse(`the run used image sha256 ${short(sha)}, this one ${short(job.image_sha256[0]!)}`);
    }
    return;
  }
  const a = before.image_sha256 ?? [];
  const b = job.image_sha256;
  if (a.join() !== b.join()) {
    if (a.length === 1 && b.length === 1) refuse(`the run used image sha256 ${short(a[0]!)}, this one ${short(b[0]!)}`);
    refuse(listDiff('image sha256', a, b, short));
  }
  const units = listDiff('units', before.units ?? [], job.units);
  if (units) refuse(units);
  const settings = listDiff('settings', before.settings ?? [], job.settings);
  if (settings) refuse(settings);
  const t0 = timingText(before.timing ?? {});
  const t1 = timingText(job.timing);
  if (t0 !== t1) refuse(`the run timed decompression with ${t0}, this one with ${t1}`);
}

/**
 * Refuse to resume into rows that are not cells of this job (a run.json that
 * is missing, or from before `job` was recorded, cannot tell).
 */
export function checkPreviousRows(dir: string, rows: readonly ResultRow[], ids: ReadonlySet<string>): void {
  const foreign = rows.filter((r) => !ids.has(r.cell_id));
  if (foreign.length === 0) return;
  const r = foreign[0]!;
  throw new KzError(
    `--resume: results.csv has ${foreign.length} row(s) of cells this run does not have (e.g. unit ${excerpt(r.unit, 40)}, setting ${excerpt(r.setting, 60)}, image sha256 ${short(excerpt(r.image_sha256, 64).slice(1, -1))}): not the same job (resume with the run's own image, units, settings and timing, or use another directory)`,
    dir,
  );
}
