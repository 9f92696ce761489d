// The kzbench command line: a thin shell over the typed API. Every failure a
// user can cause ends in one line naming the file and the problem, exit 2.
import { Command, CommanderError } from 'commander';
import { guarded } from './guarded.js';
import { corpusFetchCommand, corpusLibsCommand, corpusListCommand, corpusReproduceCommand } from './corpus.js';
import { inspectCommand } from './inspect.js';
import { mergeCommand } from './merge.js';
import { runCommand } from './run.js';
import { kzbenchVersion } from '../project.js';

const program = new Command();
program
  .name('kzbench')
  .description('Linux kernel image compression workbench')
  .version(kzbenchVersion())
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
  .description("recompress a kernel with every kernel codec (or a suite's settings) in a worker pool; write results.csv and run.json")
  .argument('[suite]', 'suite file (suites/*.yaml): images, units, settings, timing; instead of --image/--unit/--codec/--profile')
  .option('--image <file>', "kernel image (default: /boot/vmlinuz-$(uname -r), else Debian's kernel for this arch fetched into the cache)")
  .option('--unit <unit>', 'whole | sections (default: whole)')
  .option('--codec <algo[:setting]>', 'algorithm or setting, repeatable (default: every algorithm the arch supports)', collect)
  .option('--profile <profile>', "kernel: bare algorithm names mean the kernel build's own command; none: library defaults (default: kernel)")
  .option('--workers <n>', "worker threads (default: the suite's workers, else the CPU count)")
  .option('--out <dir>', 'results directory (default: results/<suite>-<timestamp> or results/<timestamp>)')
  .option('--resume [dir]', 'continue the run in DIR (or in --out): only cells without a verified row run; a suite run needs no other argument')
  .option('--overwrite', 'replace the results in --out')
  .option(
    '--shard <i/n>',
    "run shard I of N (1..N) of the suite's cells, balanced by estimated cost; auto: I and N from a Slurm array or Kubernetes Indexed Job (auto/N); join shards with kzbench merge",
  )
  .option('--min-runs <n>', "timed decompression runs at least (default: the suite's, else 5)")
  .option('--min-time <ms>', "timed decompression milliseconds at least (default: the suite's, else 1000)")
  .option('--max-cells <n>', 'refuse a suite that expands to more cells than this (default: 100000)')
  .option(
    '--decoder <decoder>',
    "library (default): time each library's decoder; kernel: also decode and time with the kernel's own decompressor of the image's version (docs/kernel-decoder.md)",
  )
  .option('--kernel-source <dir>', "with --decoder kernel: a kernel tree to build the decompressors from (default: Debian's linux-source-X.Y, fetched)")
  .action((suite: string | undefined, opts) =>
    guarded(opts.image ?? suite, async () => {
      process.exitCode = await runCommand(suite, opts, process.argv.slice(2));
    }),
  );

program
  .command('cold')
  .description(
    'hot/cold split of the code by a trace: cold functions compressed in independent blocks per setting and block size, a held-out trace replayed (docs/cold.md)',
  )
  .requiredOption('--image <file>', 'kernel image')
  .requiredOption(
    '--trace <file>',
    'trace of the workload (ftrace function/function_graph, trace_stat, perf script, or a list of names/addresses); repeatable: a function is hot when any trace saw it',
    collect,
  )
  .option('--holdout <file>', "a second workload's trace replayed against the cold blocks: misses, bytes, estimated time; repeatable (merged)", collect)
  .option('--layout-trace <file>', 'a trace (not the holdout) that orders the cold functions for --layout trace; repeatable (merged)', collect)
  .option('--trace-format <format>', 'trace format (default: detected)')
  .option('--kaslr-offset <n>', 'subtract this from trace addresses (a KASLR boot)')
  .option('--codec <algo[:setting]>', 'algorithm or setting, repeatable (default: every algorithm the arch supports, kernel profile)', collect)
  .option('--block-size <size>', 'block size, repeatable (default: 4KiB, 16KiB, 64KiB, 256KiB)', collect)
  .option('--layout <name>', 'address | neighbour | trace, repeatable (default: address, and trace with --layout-trace)', collect)
  .option('--out <dir>', 'results directory (default: results/cold-<timestamp>)')
  .option('--resume', 'continue the run in --out: only cells without a verified row run')
  .option('--overwrite', 'replace the results in --out')
  .option('--json', 'print a JSON summary')
  .option('--workers <n>', 'worker threads (default: the CPU count)')
  .option('--system-map <file>', "System.map for the image's symbols")
  .option('--config <file>', 'kernel .config')
  .option('--min-runs <n>', 'timed decompression runs (of every block) at least (default 5)')
  .option('--min-time <ms>', 'timed decompression milliseconds at least (default 1000)')
  .action((opts) =>
    guarded(opts.image, async () => {
      const { coldCommand } = await import('./cold.js');
      process.exitCode = await coldCommand(opts, process.argv.slice(2));
    }),
  );

program
  .command('plan')
  .description(
    'split a suite into cost-balanced shards and write job files for a batch scheduler: Slurm array, Kubernetes Indexed Job, GitHub Actions matrix (docs/scale.md)',
  )
  .argument('<suite>', 'suite file')
  .option('--shards <n>', 'number of shards (array tasks) (default 4)')
  .option('--slurm <file>', 'write a Slurm submission script: bash FILE submits the array and the merge')
  .option('--k8s <file>', 'write a Kubernetes ConfigMap and Indexed Job')
  .option('--k8s-image <image>', 'container image for --k8s (default kzbench:latest)')
  .option('--github <file>', 'write a GitHub Actions workflow with a shard matrix')
  .option('--results <dir>', 'where the tasks write their shards and the merge (default results/<suite>-shards)')
  .action((suite: string, opts) =>
    guarded(suite, async () => {
      const { planCommand } = await import('./plan.js');
      process.exitCode = planCommand(suite, opts);
    }),
  );

const corpus = program.command('corpus').description('real kernels named by package in corpora/manifest.yaml, fetched into the cache');
corpus
  .command('fetch')
  .description("resolve each kernel package's current version, apt-get download it, dpkg-deb -x its /boot into the cache, record version and sha256")
  .argument('[name...]', 'corpus names (default: every kernel in the manifest)')
  .option('--manifest <file>', 'corpus manifest (default: corpora/manifest.yaml)')
  .action((names: string[], opts) =>
    guarded(opts.manifest, () => {
      process.exitCode = corpusFetchCommand(names, opts);
    }),
  );
corpus
  .command('list')
  .description("the manifest's kernels and what the cache holds of them")
  .option('--manifest <file>', 'corpus manifest (default: corpora/manifest.yaml)')
  .option('--json', 'print JSON')
  .action((opts) =>
    guarded(opts.manifest, () => {
      process.exitCode = corpusListCommand(opts);
    }),
  );
corpus
  .command('libs')
  .description(
    "fetch a Debian release's compression tools and the libraries they link (zstd/libzstd1, xz-utils/liblzma5, ...) into the cache through kzbench's private apt state, check they run here, record them in data/libraries.csv",
  )
  .argument('<release>', 'debian-12, debian-13 (data/debian-releases.csv)')
  .argument('[algorithm...]', 'zstd, xz, lzma, lz4, gzip, bzip2, lzo (default: all but lzma)')
  .option('--arch <arch>', "Debian architecture (default: this machine's)")
  .action((release: string, algorithms: string[], opts) =>
    guarded(undefined, () => {
      process.exitCode = corpusLibsCommand(release, algorithms, opts);
    }),
  );
corpus
  .command('reproduce')
  .description(
    "compress a corpus kernel's decompressed payload again by its kernel profile, with the system's library and with its release's own tool and library (fetched into the cache), and say whether and why the shipped bytes are reproduced",
  )
  .argument('<name>', 'corpus name')
  .option('--libs <whose>', "system (kzbench's backend), release (the kernel's Debian release's tool and library) or both", 'both')
  .option('--manifest <file>', 'corpus manifest (default: corpora/manifest.yaml)')
  .option('--json', 'print JSON')
  .action((name: string, opts) =>
    guarded(opts.manifest, () => {
      process.exitCode = corpusReproduceCommand(name, opts);
    }),
  );

program
  .command('merge')
  .description('join the shards of a suite run (kzbench run SUITE --shard I/N) into one run; refuses shards of different suites, images or tool versions')
  .argument('<dir...>', 'results directories of the shards')
  .requiredOption('--out <dir>', 'merged results directory')
  .option('--overwrite', 'replace the results in --out')
  .option('--allow-mixed-cpus', 'merge shards timed on different CPU models (their times are not comparable; sizes are)')
  .action((dirs: string[], opts) =>
    guarded(undefined, () => {
      process.exitCode = mergeCommand(dirs, opts, process.argv.slice(2));
    }),
  );

program
  .command('diff')
  .description('where the bytes went between two kernels: symbols (bloat-o-meter classes), sections, and the compressed image per kernel profile')
  .argument('<old>', 'old kernel image')
  .argument('<new>', 'new kernel image')
  .option('--profile <profile>', "kernel: bare algorithm names mean the kernel build's own command; none: library defaults", 'kernel')
  .option('--codec <algo[:setting]>', 'also compare this algorithm or setting, repeatable (default: the algorithm each image ships with)', collect)
  .option('--json', 'print JSON')
  .option('--csv', 'print CSV')
  .option('--config <file>', '.config of the old image')
  .option('--new-config <file>', '.config of the new image')
  .action((oldPath: string, newPath: string, opts) =>
    guarded(undefined, async () => {
      const { diffCommand } = await import('./diff.js');
      process.exitCode = await diffCommand(oldPath, newPath, opts);
    }),
  );

program
  .command('pick')
  .description(
    'every way to store and start the kernel on a board (self-decompressing, boot loader, XIP) from measured payloads: fits, Pareto frontier, recommendation; writes model.csv',
  )
  .requiredOption('--board <name|file>', 'a board in data/boards (qnap-ts219, stm32f429-disco, rpi3b-uboot, x86-pc) or your own YAML file')
  .option('--image <file>', 'kernel image: measured now with every kernel algorithm (or --codec), unless --results has it')
  .option('--results <dir>', 'a kzbench run results directory with whole-kernel rows')
  .option('--codec <algo[:setting]>', 'with --image: measure these instead of every kernel algorithm, repeatable', collect)
  .option('--out <dir>', 'with --image: write the measurement (results.csv, run.json) and model.csv here')
  .option('--csv <file>', 'model.csv path (default: --out/model.csv or --results/model.csv)')
  .option('--overwrite', 'with --image --out DIR: replace the measurement already there')
  .option('--workers <n>', 'worker threads for the measurement')
  .option('--config <file>', 'kernel .config (default: config-* beside the image)')
  .option('--system-map <file>', 'System.map')
  .option('--min-runs <n>', 'with --image: timed decompression runs at least (default 5)')
  .option('--min-time <ms>', 'with --image: timed decompression milliseconds at least (default 1000)')
  .option('--json', 'print JSON: recommendation, candidates, notes')
  .option(
    '--decoder <decoder>',
    "with --image: library (default) or kernel: time each payload with the kernel's own decompressor and model boot with that time",
  )
  .option('--kernel-source <dir>', 'with --decoder kernel: a kernel tree to build the decompressors from')
  .action((opts) =>
    guarded(opts.image ?? opts.results, async () => {
      const { pickCommand } = await import('./pick.js');
      process.exitCode = await pickCommand(opts);
    }),
  );

program
  .command('report')
  .description('summarise a results directory: Markdown on stdout, charts in a self-contained report.html')
  .argument('<dir>', 'results directory')
  .option('--out <file>', 'HTML file (default DIR/report.html)')
  .option('--baseline <algorithm>', "compare with this algorithm's kernel profile instead of the shipped one")
  .action((dir: string, opts) =>
    guarded(dir, async () => {
      // vega takes about a second to load: only this command pays for it
      const { reportCommand } = await import('./report.js');
      process.exitCode = await reportCommand(dir, opts);
    }),
  );

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  throw e;
}
