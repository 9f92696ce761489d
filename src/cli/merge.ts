// kzbench merge DIR... --out DIR [--overwrite] [--allow-mixed-cpus]
import { mergeRuns } from '../suite/merge.js';

export function mergeCommand(dirs: string[], opts: { out: string; overwrite?: boolean; allowMixedCpus?: boolean }, argv: string[]): number {
  const s = mergeRuns(dirs, opts.out, { overwrite: opts.overwrite, commandLine: argv, allowMixedCpus: opts.allowMixedCpus });
  const log = (line: string) => process.stderr.write(line + '\n');
  log(`merged ${dirs.length} run(s): ${s.rows} rows (${s.verified} verified, ${s.failed} failed) -> ${s.resultsPath}`);
  if (s.duplicates) log(`${s.duplicates} cell(s) appeared in more than one input: the verified (or first) row was kept`);
  if (s.missingShards.length) log(`warning: shard(s) ${s.missingShards.join(', ')} missing: the merged run is incomplete`);
  for (const u of s.unfinished) log(`warning: ${u} did not finish (interrupted or running): resume it, then merge again`);
  return s.missingShards.length || s.unfinished.length ? 1 : 0;
}
