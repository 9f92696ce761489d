// kzbench report DIR: print the Markdown summary, write DIR/report.html.
import { realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ResultsDirLock, writeFileAtomic } from '../results/dir.js';
import { buildReport, renderHtml, renderMarkdown } from '../report/index.js';
import { UsageError } from './usage.js';

export interface ReportOptions {
  /** Where to write the HTML (default DIR/report.html). */
  out?: string;
  /** Compare with this algorithm's kernel profile instead of the shipped algorithm's. */
  baseline?: string;
}

function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/** Exit code 0 once the report is written (failed cells are listed in it, not an error of the report). */
export async function reportCommand(dir: string, opts: ReportOptions = {}): Promise<number> {
  const report = buildReport(dir, opts.baseline !== undefined ? { baseline: opts.baseline } : {});
  const out = opts.out ?? join(dir, 'report.html');
  const html = await renderHtml(report);
  // Writing into the results directory makes report a writer of it: under
  // its lock, so a run (or another report) is not writing it meanwhile.
  const lock = sameDir(dirname(out), dir) ? ResultsDirLock.acquire(dir, 'report') : undefined;
  try {
    writeFileAtomic(out, html);
  } catch (e) {
    throw new UsageError(`${out}: cannot write the report: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    lock?.release();
  }
  process.stdout.write(renderMarkdown(report));
  process.stdout.write(`\nHTML report: ${resolve(out)}\n`);
  return 0;
}
