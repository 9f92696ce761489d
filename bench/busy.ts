// Decompression speeds on a quiet and on a busy machine, side by side (kzbench
// issue 16): `kzbench run` on Debian's amd64 kernel (corpus debian12-amd64)
// with the seven kernel profiles and the default workers, once quiet, once
// beside one CPU burner, once beside one burner per core, and once quiet
// with --workers 1 (the pool must stay about 2x faster in wall time). Per
// algorithm: the quiet MB/s, each busy run's reported (wall-clock) MB/s and
// CPU-time MB/s as ratios to quiet, and whether its cells were flagged.
//
//   npm run bench                       (part of the whole bench)
//   node dist/bench/busy.js [--min-time MS] [--scenarios quiet,burner,per-core,workers1] [--image FILE]
//
// A burner is `node -e 'for(;;){}'`, left to the scheduler (not pinned): the
// case of another build or benchmark on a laptop or a shared server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fetchDebianKernel } from '../src/corpus/debian.js';
import { median } from '../src/measure/stats.js';
import { timingWarning } from '../src/measure/warning.js';
import { readResults } from '../src/results/reader.js';
import type { ResultRow } from '../src/results/schema.js';

export const SCENARIOS = ['quiet', 'burner', 'per-core', 'workers1'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BusyBenchOptions {
  image?: string;
  minTimeMs?: number;
  scenarios?: Scenario[];
}

interface Outcome {
  scenario: Scenario;
  burners: number;
  seconds: number;
  rows: ResultRow[];
  machine: Record<string, unknown> | null;
}

const BIN = fileURLToPath(new URL('../../bin/kzbench.js', import.meta.url));

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const b of live) b.kill('SIGKILL');
});

function startBurners(n: number): ChildProcess[] {
  const out: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    const b = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
    live.add(b);
    out.push(b);
  }
  return out;
}

function stopBurners(bs: ChildProcess[]): void {
  for (const b of bs) {
    b.kill('SIGKILL');
    live.delete(b);
  }
}

function runScenario(scenario: Scenario, image: string, dir: string, minTimeMs: number | undefined): Outcome {
  const burners = scenario === 'burner' ? 1 : scenario === 'per-core' ? availableParallelism() : 0;
  const out = join(dir, scenario);
  const args = [BIN, 'run', '--image', image, '--out', out, '--overwrite'];
  if (minTimeMs !== undefined) args.push('--min-time', String(minTimeMs));
  if (scenario === 'workers1') args.push('--workers', '1');
  const bs = startBurners(burners);
  const t0 = performance.now();
  try {
    // Burners get a moment to be scheduled before the run reads the machine's load.
    if (burners) spawnSync('sleep', ['0.5']);
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kzbench run (${scenario}) exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  } finally {
    stopBurners(bs);
  }
  const seconds = (performance.now() - t0) / 1000;
  const rows = readResults(join(out, 'results.csv')).rows.filter((x) => x.verified);
  let machine: Record<string, unknown> | null = null;
  try {
    machine = (JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { machine?: Record<string, unknown> }).machine ?? null;
  } catch {
    machine = null;
  }
  return { scenario, burners, seconds, rows, machine };
}

const fmt = (n: number | null | undefined, d = 0) => (n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));

/** Per algorithm: median over its cells of a column. */
function byAlgorithm(rows: ResultRow[], pick: (r: ResultRow) => number | null | undefined): Map<string, number> {
  const m = new Map<string, number[]>();
  for (const r of rows) {
    const v = pick(r);
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    m.set(r.algorithm, [...(m.get(r.algorithm) ?? []), v]);
  }
  return new Map([...m].map(([k, v]) => [k, median(v)]));
}

/** The issue's bar: a busy run's reported speed within 5% of quiet, or its cells flagged. */
const WITHIN = 0.05;

export function busyBench(options: BusyBenchOptions = {}): void {
  const image = options.image ?? fetchDebianKernel('linux-image-amd64', 'amd64', (s) => console.error(s)).image;
  const scenarios = options.scenarios ?? [...SCENARIOS];
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-busy-'));
  console.log('');
  console.log(
    `## Busy machine: kzbench run on ${image}, kernel profiles, default workers (${availableParallelism()} CPUs)${options.minTimeMs !== undefined ? `, --min-time ${options.minTimeMs}` : ''}`,
  );
  const outcomes = new Map<Scenario, Outcome>();
  for (const s of scenarios) {
    const o = runScenario(s, image, dir, options.minTimeMs);
    outcomes.set(s, o);
    const w = timingWarning(o.rows, o.machine);
    const observed = o.machine?.['observed'] as { others_cores_mean?: number | null; timing_slots_min?: number } | null | undefined;
    console.log(
      `- ${s}${o.burners ? ` (${o.burners} burner${o.burners > 1 ? 's' : ''})` : ''}: ${fmt(o.seconds, 1)} s wall, ${o.rows.length} verified cells, machine busy: ${String(o.machine?.['busy'] ?? 'unknown')}, others ${fmt(observed?.others_cores_mean, 2)} cores, fewest timing slots ${observed?.timing_slots_min ?? '-'}${w ? `\n  ${w}` : ''}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  const quiet = outcomes.get('quiet');
  if (!quiet) return;
  const qWall = byAlgorithm(quiet.rows, (r) => r.decompress_mb_s);
  const qCpu = byAlgorithm(quiet.rows, (r) => r.decompress_cpu_mb_s);
  const busy = [...outcomes.values()].filter((o) => o.burners > 0);
  console.log('');
  const head = ['algorithm', 'quiet MB/s', 'quiet CPU MB/s'];
  for (const o of busy)
    head.push(
      `${o.scenario} MB/s`,
      `${o.scenario} / quiet`,
      `${o.scenario} CPU MB/s`,
      `CPU / quiet CPU`,
      `${o.scenario} flagged cells`,
      `${o.scenario} verdict`,
    );
  console.log(`| ${head.join(' | ')} |`);
  console.log(
    `|---|${head
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
  );
  for (const [alg, q] of qWall) {
    const cells = [alg, fmt(q), fmt(qCpu.get(alg))];
    for (const o of busy) {
      const mine = o.rows.filter((r) => r.algorithm === alg);
      const wall = byAlgorithm(mine, (r) => r.decompress_mb_s).get(alg);
      const cpu = byAlgorithm(mine, (r) => r.decompress_cpu_mb_s).get(alg);
      const flagged = mine.filter((r) => r.timing_quality === 'disturbed' || r.timing_quality === 'wide' || r.timing_quality === 'shared').length;
      const ratio = wall === undefined ? NaN : wall / q;
      const verdict =
        Math.abs(ratio - 1) <= WITHIN
          ? 'within 5%'
          : flagged === mine.length && mine.length > 0
            ? 'off, flagged'
            : quiet.rows.some((r) => r.algorithm === alg && r.timing_quality === 'disturbed')
              ? 'quiet run itself disturbed'
              : flagged
                ? 'off, partly flagged'
                : 'OFF, NOT FLAGGED';
      cells.push(fmt(wall), fmt(ratio, 2), fmt(cpu), fmt(cpu === undefined ? NaN : cpu / (qCpu.get(alg) ?? NaN), 2), `${flagged}/${mine.length}`, verdict);
    }
    console.log(`| ${cells.join(' | ')} |`);
  }
  const one = outcomes.get('workers1');
  if (one)
    console.log(
      `\nQuiet wall time, default workers vs --workers 1: ${fmt(quiet.seconds, 1)} s vs ${fmt(one.seconds, 1)} s (${fmt(one.seconds / quiet.seconds, 2)}x).`,
    );
}

function parseScenarios(s: string | undefined): Scenario[] | undefined {
  if (s === undefined) return undefined;
  const list = s.split(',').filter(Boolean);
  for (const x of list) if (!(SCENARIOS as readonly string[]).includes(x)) throw new Error(`--scenarios: ${x} is not one of ${SCENARIOS.join(', ')}`);
  return list as Scenario[];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { image: { type: 'string' }, 'min-time': { type: 'string' }, scenarios: { type: 'string' } } });
  busyBench({
    ...(values.image ? { image: values.image } : {}),
    ...(values['min-time'] !== undefined ? { minTimeMs: Number(values['min-time']) } : {}),
    ...(values.scenarios ? { scenarios: parseScenarios(values.scenarios)! } : {}),
  });
}
