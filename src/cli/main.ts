// The kzbench command line: a thin shell over the typed API. Every failure a
// user can cause ends in one line naming the file and the problem, exit 2.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { CodecError } from '../codecs/types.js';
import { ImageError } from '../image/errors.js';
import { CorpusError } from '../corpus/debian.js';
import { SettingsError } from '../run/index.js';
import { inspectCommand } from './inspect.js';
import { runCommand } from './run.js';
import { UsageError } from './usage.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Run an action; user-facing errors become "kzbench: FILE: message" and exit 2. */
async function guarded(file: string | undefined, action: () => void | Promise<void>): Promise<void> {
  try {
    await action();
  } catch (e) {
    const where = file ? `${file}: ` : '';
    if (e instanceof ImageError || e instanceof CodecError) {
      const msg = e.message.startsWith(file ?? '\0') ? e.message : where + e.message;
      process.stderr.write(`kzbench: ${msg}\n`);
      process.exit(2);
    }
    if (e instanceof SettingsError) {
      for (const p of e.problems) process.stderr.write(`kzbench: --codec ${p.spec}: ${p.message}\n`);
      process.exit(2);
    }
    if (e instanceof UsageError || e instanceof CorpusError) {
      process.stderr.write(`kzbench: ${e.message}\n`);
      process.exit(2);
    }
    if (e instanceof RangeError && /Array buffer allocation|Invalid typed array length/.test(e.message)) {
      process.stderr.write(`kzbench: ${where}out of memory while reading (${e.message})\n`);
      process.exit(2);
    }
    const err = e as Error;
    process.stderr.write(`kzbench: internal error: ${err?.message ?? String(e)}${process.env.KZBENCH_DEBUG ? '\n' + err?.stack : ' (set KZBENCH_DEBUG=1 for a stack trace)'}\n`);
    process.exit(70);
  }
}

const program = new Command();
program
  .name('kzbench')
  .description('Linux kernel image compression workbench')
  .version(pkg.version)
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(`kzbench: ${str.replace(/^error: /, '')}`) });

program
  .command('inspect')
  .description('show what is inside a kernel image (vmlinux, bzImage, zImage, arm64 Image, Image.*)')
  .argument('<image>', 'kernel image file')
  .option('--config <file>', 'kernel .config (default: config-* beside the image, /boot layout)')
  .option('--system-map <file>', 'System.map (default: System.map-* beside the image, unless it is a stub)')
  .option('--json', 'print JSON')
  .action((image: string, opts) => guarded(image, () => inspectCommand(image, opts)));

const collect = (v: string, prev: string[] = []) => [...prev, v];
program
  .command('run')
  .description('recompress a kernel with every kernel codec (or the settings given) in a worker pool; write results.csv and run.json')
  .option('--image <file>', 'kernel image (default: /boot/vmlinuz-$(uname -r), else Debian\'s kernel for this arch fetched into the cache)')
  .option('--unit <unit>', 'whole | sections', 'whole')
  .option('--codec <algo[:setting]>', 'algorithm or setting, repeatable (default: every algorithm the arch supports)', collect)
  .option('--profile <profile>', 'kernel: bare algorithm names mean the kernel build\'s own command; none: library defaults', 'kernel')
  .option('--workers <n>', 'worker threads (default: CPU count)')
  .option('--out <dir>', 'results directory (default: results/<timestamp>)')
  .option('--resume', 'continue a run in --out: only cells without a verified row run')
  .option('--overwrite', 'replace the results in --out')
  .option('--min-runs <n>', 'timed decompression runs at least (default 5)')
  .option('--min-time <ms>', 'timed decompression milliseconds at least (default 1000)')
  .action((opts) =>
    guarded(opts.image, async () => {
      process.exitCode = await runCommand(opts, process.argv.slice(2));
    }),
  );

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  throw e;
}
