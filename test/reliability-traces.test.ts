// Trace files, well-formed and hostile, through readTraceFile: every one ends
// in a Trace or a KzError (one line), never another exception or a hang, and
// the result does not depend on the chunk size the file is streamed in.
// Named pipes and huge names or lines end in one short line too.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { KzError } from '../src/errors.js';
import { formatTraceList, MAX_STACK_FRAMES, MAX_TRACE_LINE, readTraceChunks, readTraceFile, TraceError } from '../src/partition/traces.js';
import { TRACE_FORMATS, type Trace, type TraceFormat } from '../src/partition/types.js';
import { bin, oneLineError } from './cli-helpers.js';
import { coldKernel } from './fixtures/cold-kernel.js';

const dir = mkdtempSync(join(tmpdir(), 'kzbench-traces-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------
// Generators: lines of each format from the readers' grammars, then hostile
// text, all mixed, joined, truncated and spliced with binary junk.

const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.$]{0,24}$/);
const hexDigits = fc.stringMatching(/^[0-9a-fA-F]{1,16}$/);
const offset = fc.tuple(hexDigits, hexDigits).map(([a, b]) => `+0x${a}/0x${b}`);
const moduleName = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
const symbol = fc.oneof(
  ident,
  fc.tuple(ident, offset).map(([n, o]) => n + o),
  fc.tuple(ident, moduleName).map(([n, m]) => `${n} [${m}]`),
  fc.tuple(ident, hexDigits).map(([n, h]) => `${n} <${h}>`),
  hexDigits.map((h) => `0x${h}`),
);
const hostile = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\t',
    '#',
    '# tracer: ',
    '()',
    '{',
    '}',
    '|',
    '=>',
    ' <-',
    '0x',
    '[',
    ']',
    ': ',
    '/*',
    '*/',
    '\u202e',
    '\x1b[31m',
    '__proto__',
    'constructor',
  ),
);
const field = fc.oneof({ weight: 4, arbitrary: symbol }, { weight: 1, arbitrary: hostile });
const num = fc.nat({ max: 99999 }).map(String);
const ts = fc.tuple(fc.nat({ max: 9999 }), fc.nat({ max: 999999 })).map(([a, b]) => `${a}.${String(b).padStart(6, '0')}`);

const functionLine = fc.oneof(
  fc.tuple(ident, num, fc.nat({ max: 7 }), ts, field, field).map(([c, p, cpu, t, f, g]) => `          ${c}-${p}     [00${cpu}] ...1.  ${t}: ${f} <-${g}`),
  fc.tuple(ident, num, ts, field).map(([c, p, t, f]) => `${c}-${p} 0d..1 ${t}us+: ${f}`),
  field.map((f) => ` => ${f}`),
  fc.constantFrom(
    '# tracer: function',
    '# tracer: function_graph',
    '# tracer: nop',
    '# entries-in-buffer/entries-written: 12/12   #P:2',
    'CPU:1 [LOST 12 EVENTS]',
    'CPU:0 [LOST EVENTS]',
    '##### CPU 2 buffer started ####',
    '#           TASK-PID     CPU#  TIMESTAMP  FUNCTION',
  ),
);
const graphLineGen = fc.oneof(
  fc.tuple(fc.nat({ max: 7 }), ts, field).map(([cpu, t, f]) => ` ${cpu})   ${t} us    |  ${f}();`),
  fc.tuple(fc.nat({ max: 7 }), field).map(([cpu, f]) => ` ${cpu})               |  ${f}() {`),
  fc.tuple(fc.nat({ max: 7 }), ts, field).map(([cpu, t, f]) => ` ${cpu})   ${t} us    |  } /* ${f} */`),
  fc.tuple(fc.nat({ max: 7 }), ts).map(([cpu, t]) => ` ${cpu})   ${t} us    |  }`),
  fc.tuple(fc.nat({ max: 7 }), ident, ident).map(([cpu, a, b]) => ` ${cpu})  ${a}-1 => ${b}-2`),
  fc.constantFrom(' ------------------------------------------', ' 0) ==========> |', ' (Overruns: 3)', '/* trace_printk */'),
);
const statLine = fc.oneof(
  fc.tuple(field, num).map(([f, h]) => `  ${f}   ${h}`),
  fc.tuple(field, num, ts, ts, ts).map(([f, h, a, b, c]) => `  ${f}   ${h}   ${a} us   ${b} us   ${c} us`),
  fc.constantFrom(
    '  Function                               Hit    Time            Avg             s^2',
    '  --------                               ---    ----            ---             ---',
    '  Function   Hit',
  ),
);
const dso = fc.oneof(
  fc.constantFrom(
    '[kernel.kallsyms]',
    '[unknown]',
    '[vdso]',
    '[ext4]',
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/lib/modules/6.1/kernel/fs/ext4/ext4.ko',
    'vmlinux',
  ),
  hostile,
);
const perfLine = fc.oneof(
  fc
    .tuple(ident, num, fc.nat({ max: 7 }), ts, num, hexDigits, field, dso)
    .map(([c, p, cpu, t, per, a, f, d]) => `${c} ${p} [00${cpu}] ${t}: ${per} cpu-clock:  ${a} ${f} (${d})`),
  fc.tuple(hexDigits, field, dso).map(([a, f, d]) => `\t    ${a} ${f} (${d})`),
  fc.tuple(ident, num, ts).map(([c, p, t]) => `${c} ${p} [000] ${t}: 250000 cpu-clock: `),
  fc.tuple(ident, num, ts, hexDigits).map(([c, p, t, a]) => `${c} ${p}/${p} ${t}: ${a} ([kernel.kallsyms])`),
);
const listLine = fc.oneof(
  fc.tuple(hexDigits, field, num).map(([a, f, n]) => `0x${a} ${f} ${n}`),
  field,
  fc.tuple(field, num).map(([f, n]) => `${f} ${n}`),
  fc.tuple(hexDigits, moduleName).map(([a, m]) => `0x${a} [${m}]`),
  fc.tuple(ident, hostile).map(([k, v]) => `# ${k}: ${v}`),
);
const anyLine = fc.oneof(
  { weight: 3, arbitrary: functionLine },
  { weight: 3, arbitrary: graphLineGen },
  { weight: 2, arbitrary: statLine },
  { weight: 3, arbitrary: perfLine },
  { weight: 3, arbitrary: listLine },
  { weight: 1, arbitrary: hostile },
);
/** Lines of one format, with the odd line of another. */
const oneFormat = fc
  .constantFrom(functionLine, graphLineGen, statLine, perfLine, listLine)
  .chain((g) => fc.array(fc.oneof({ weight: 9, arbitrary: g }, { weight: 1, arbitrary: anyLine }), { maxLength: 40 }));
const mixed = fc.array(anyLine, { maxLength: 40 });

/** A very long line: a symbol, a junk run or a whole line past MAX_TRACE_LINE. */
const longLine = fc
  .tuple(
    fc.constantFrom('a', 'x_', '0', ' ', '\u00e9', '|', '=> '),
    fc.integer({ min: 1000, max: MAX_TRACE_LINE + 1000 }),
    fc.constantFrom('', ' 12', ' <-foo', '() {'),
  )
  .map(([unit, n, tail]) => unit.repeat(Math.ceil(n / unit.length)) + tail);

/** ARB in one case of N, else null. */
function oneIn<T>(n: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

interface Case {
  bytes: Buffer;
  format: TraceFormat | undefined;
}

const trace: fc.Arbitrary<Case> = fc
  .record({
    lines: fc.oneof({ weight: 5, arbitrary: oneFormat }, { weight: 3, arbitrary: mixed }),
    long: oneIn(60, fc.tuple(longLine, fc.nat())),
    crlf: fc.boolean(),
    finalNewline: fc.boolean(),
    junk: oneIn(8, fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat())),
    cut: oneIn(5, fc.nat()),
    prefix: oneIn(20, fc.constantFrom(Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.from([0]), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xff, 0xfe]))),
    format: oneIn(3, fc.constantFrom(...TRACE_FORMATS)),
  })
  .map(({ lines, long, crlf, finalNewline, junk, cut, prefix, format }) => {
    const all = [...lines];
    if (long) all.splice(long[1] % (all.length + 1), 0, long[0]);
    let bytes = Buffer.from(all.join(crlf ? '\r\n' : '\n') + (finalNewline ? '\n' : ''), 'utf8');
    if (junk) {
      const at = junk[1] % (bytes.length + 1);
      bytes = Buffer.concat([bytes.subarray(0, at), junk[0], bytes.subarray(at)]);
    }
    if (cut !== null) bytes = bytes.subarray(0, cut % (bytes.length + 1));
    if (prefix) bytes = Buffer.concat([prefix, bytes]);
    return { bytes, format: format ?? undefined };
  });

// ---------------------------------------------------------------------------

type Outcome = { trace: Trace } | { error: string };

/** A Trace or a KzError's one line; anything else is returned as a crash. */
function outcome(read: () => Trace): Outcome | { crash: unknown } {
  try {
    return { trace: read() };
  } catch (e) {
    if (!(e instanceof KzError)) return { crash: e };
    const lines = e.lines();
    if (lines.length !== 1 || lines[0]!.includes('\n') || lines[0]!.length > 1000)
      return { crash: new Error(`not one short line: ${lines.join(' / ').slice(0, 300)}`) };
    return { error: lines[0]! };
  }
}

describe('trace files, generated', () => {
  it('every one ends in a Trace or one short KzError line, whatever the chunk size', () => {
    const path = join(dir, 'generated.txt');
    let inputs = 0;
    const crashes: string[] = [];
    fc.assert(
      fc.property(trace, fc.integer({ min: 1, max: 300 }), ({ bytes, format }, chunk) => {
        inputs++;
        writeFileSync(path, bytes);
        const whole = outcome(() => readTraceFile(path, format));
        if ('crash' in whole) {
          crashes.push(String((whole.crash as Error)?.stack ?? whole.crash).slice(0, 400));
          return false;
        }
        // Streaming in tiny chunks crosses every line and UTF-8 boundary: the same outcome (small files only, for speed).
        if (bytes.length <= 16384) {
          const chunked = outcome(() => readTraceChunks(path, format, chunk));
          assert.deepEqual(chunked, whole);
        }
        return true;
      }),
      { numRuns: 10_000, seed: 0x7ace5, endOnFailure: true },
    );
    console.log(`property: trace ${inputs} inputs, ${crashes.length} crashes`);
    assert.deepEqual(crashes, []);
    assert.ok(inputs >= 10_000);
  });
});

describe('trace files, hostile', () => {
  it('a huge symbol name or line is quoted as an excerpt, never whole', () => {
    const name = 'bad-name'.repeat(60_000); // 480,000 characters: under the line limit, not a symbol
    const cases: [string, string, TraceFormat | undefined][] = [
      ['list.txt', `start_kernel\n${name}\n`, undefined],
      ['stat.txt', `  Function   Hit\n  ${name}   12\n`, undefined],
      ['function.txt', `# tracer: function\n${name}\n`, 'ftrace-function'],
      ['perf.txt', `\tffffffff81000000 ${name} ([kernel.kallsyms])\n${name}\n`, 'perf-script'],
      ['prose.txt', `${name}\n`, undefined],
    ];
    for (const [file, text, format] of cases) {
      const path = join(dir, file);
      writeFileSync(path, text);
      const e = outcome(() => readTraceFile(path, format));
      assert.ok('error' in e, `${file}: expected an error, got ${JSON.stringify(Object.keys(e))}`);
      assert.ok(e.error.length < 400, `${file}: ${e.error.length} characters: ${e.error.slice(0, 200)}`);
      assert.match(e.error, /bad-name/);
      assert.match(e.error, /\.\.\. \((480000|262144) characters\)/); // the whole line, or the part detection looks at
    }
  });

  it('a line longer than MAX_TRACE_LINE ends the read at that line, in one short line', () => {
    const path = join(dir, 'long-line.txt');
    writeFileSync(path, `start_kernel\n${'x'.repeat(MAX_TRACE_LINE + 1)}\nschedule\n`);
    for (const chunk of [1 << 23, 4096]) {
      const e = outcome(() => readTraceChunks(path, undefined, chunk));
      assert.deepEqual(e, { error: `${path}:2: line is longer than ${MAX_TRACE_LINE} characters: not a text trace` });
    }
    // 64 MiB without a newline: refused once the line passes the limit, not after holding it all.
    const big = join(dir, 'no-newline.txt');
    writeFileSync(big, Buffer.alloc(64 << 20, 0x61));
    assert.deepEqual(
      outcome(() => readTraceFile(big)),
      { error: `${big}:1: line is longer than ${MAX_TRACE_LINE} characters: not a text trace` },
    );
  });

  it('a stack deeper than MAX_STACK_FRAMES ends the read instead of growing without bound', () => {
    const path = join(dir, 'deep-stack.txt');
    const frames = ' => schedule+0x1/0x20\n'.repeat(MAX_STACK_FRAMES + 1);
    writeFileSync(path, `# tracer: function\n          sh-1     [000] .....  1.000000: schedule <-do_idle\n${frames}`);
    assert.deepEqual(
      outcome(() => readTraceFile(path)),
      { error: `${path}:${MAX_STACK_FRAMES + 3}: a stack of more than ${MAX_STACK_FRAMES} frames: not a trace of one kernel` },
    );
    // The deepest stack allowed is read.
    writeFileSync(path, `# tracer: function\n          sh-1     [000] .....  1.000000: schedule <-do_idle\n${frames.slice(frames.indexOf('\n') + 1)}`);
    const t = readTraceFile(path);
    assert.equal(t.events, MAX_STACK_FRAMES + 1);
  });

  it('a huge file name is an excerpt in the message', () => {
    const name = join(dir, 'n'.repeat(70_000));
    const e = outcome(() => readTraceFile(name));
    assert.ok('error' in e);
    assert.ok(e.error.length < 400, e.error.slice(0, 200));
    assert.match(e.error, /\(70\d+ characters\): cannot read: ENAMETOOLONG$/);
  });

  it('a device and a directory are refused before a byte is read', () => {
    // (A FIFO is tested through the CLI below, in a child process: before the check, opening one blocked for ever.)
    assert.throws(
      () => readTraceFile('/dev/zero'),
      (e) => e instanceof TraceError && e.message === '/dev/zero: trace file is a character device, not a file',
    );
    assert.throws(
      () => readTraceFile(dir),
      (e) => e instanceof TraceError && e.message === `${dir}: cannot read: EISDIR`,
    );
  });

  it('an address-only entry with a bad count cannot be written as a list: a TraceError, not a crash', () => {
    const entries = [{ name: null, address: 0xffffffff81000000n, count: 0, first: 0 }];
    assert.throws(
      () => formatTraceList({ entries, provenance: {} }),
      (e) => e instanceof TraceError && e.message === 'list: entry 0xffffffff81000000: count 0 cannot be written in a list',
    );
  });

  it('kzbench cold --trace FIFO exits 2 with one line instead of blocking', () => {
    const fifo = join(dir, 'cold-fifo');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    const elf = join(dir, 'fixture.elf');
    writeFileSync(elf, coldKernel(false).elf);
    // Nobody ever writes the FIFO: before the check, opening it blocked until the timeout killed kzbench.
    const r = spawnSync(process.execPath, [bin, 'cold', '--image', elf, '--trace', fifo, '--codec', 'gzip:9'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, 'killed by the timeout: it blocked on the FIFO');
    oneLineError(r, new RegExp(`^kzbench: ${fifo}: trace file is a FIFO \\(named pipe\\), not a file$`));
  });
});
