// Progress of a run: on a terminal, a bar with counts, elapsed time and ETA
// (cli-progress) with one line per finished cell printed above it; otherwise
// (a pipe, a CI log) one plain line per finished cell.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { RunProgress } from '../run/index.js';
import type { ResultRow } from '../results/schema.js';

export interface Progress {
  update(p: RunProgress): void;
  /** Print a line (above the bar on a terminal). */
  log(line: string): void;
  stop(): void;
}

export function cellLine(r: ResultRow): string {
  return (
    `${r.unit} ${r.setting}: ` +
    (r.verified
      ? `${r.unit_bytes} -> ${r.compressed_bytes} bytes (ratio ${Number(r.ratio).toFixed(3)}), decompress ${Number(r.decompress_mb_s).toFixed(0)} MB/s`
      : `FAILED: ${r.error}`)
  );
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** ETA from the mean time per finished cell (cells are handed out heaviest first, so it errs long). */
function eta(started: number, done: number, total: number): string {
  if (done === 0 || done >= total) return done >= total ? '0s' : '?';
  return seconds(((Date.now() - started) / done) * (total - done));
}

export function createProgress(options: { tty?: boolean; stream?: NodeJS.WriteStream; started?: number } = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? (stream.isTTY === true && process.env.TERM !== 'dumb');
  const started = options.started ?? Date.now();
  if (!tty) {
    return {
      update(p) {
        const r = p.finished;
        if (!r) return;
        stream.write(`[${p.done}/${p.total}] ${cellLine(r)} (${seconds(Date.now() - started)}, eta ${eta(started, p.done, p.total)})\n`);
      },
      log: (line) => stream.write(line + '\n'),
      stop() {},
    };
  }
  const multi = new MultiBar(
    {
      stream,
      format: ' {bar} {value}/{total} cells | {failed} failed | {elapsed} elapsed | ETA {eta_text} | {running}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      barsize: 24,
      fps: 5,
    },
    Presets.shades_classic,
  );
  let bar: SingleBar | undefined;
  let last: RunProgress | undefined;
  const payload = (p: RunProgress) => ({
    failed: p.failed,
    elapsed: seconds(Date.now() - started),
    eta_text: eta(started, p.done, p.total),
    running: p.running.length ? `running ${p.running.map((c) => c.setting.split(',')[0]).join(' ')}` : '',
  });
  // Refresh elapsed and ETA between cell completions.
  const timer = setInterval(() => {
    if (bar && last) bar.update(last.done, payload(last));
  }, 1000);
  timer.unref();
  return {
    update(p) {
      last = p;
      if (!bar) bar = multi.create(p.total, p.done, payload(p));
      if (p.finished) multi.log(`[${p.done}/${p.total}] ${cellLine(p.finished)}\n`);
      bar.setTotal(p.total);
      bar.update(p.done, payload(p));
    },
    log: (line) => multi.log(line + '\n'),
    stop() {
      clearInterval(timer);
      if (bar && last) bar.update(last.done, payload(last));
      multi.stop();
    },
  };
}
