// Trace readers and matching traces onto an image's functions. The samples
// in test/fixtures/traces are composed in the kernel's own output layouts
// (trace_output.c, trace_functions_graph.c, ftrace.c's function profiler,
// perf's builtin-script.c); each reader is pinned on them entry by entry.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { KernelFunction } from '../src/image/index.js';
import { mapTrace } from '../src/partition/trace-map.js';
import {
  detectTraceFormat,
  formatTraceList,
  isSymbolName,
  mergeTraces,
  parseKernelSymbol,
  parseTrace,
  readTraceFile,
  TraceError,
} from '../src/partition/traces.js';
import type { Trace, TraceEntry, TraceFormat } from '../src/partition/types.js';

const FIXTURES = new URL('../../test/fixtures/traces/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kzbench-traces-'));

function fixture(name: string): string {
  return join(FIXTURES, name);
}

/** [address hex or '-', name, count] per entry, in order. */
function rows(t: Trace): [string, string | null, number][] {
  return t.entries.map((e) => [e.address === null ? '-' : e.address.toString(16), e.name, e.count]);
}

function firstsInOrder(t: Trace): void {
  t.entries.forEach((e, i) => assert.equal(e.first, i));
}

/** The error a call throws, asserted to be a one-line TraceError. */
function traceError(f: () => unknown): TraceError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof TraceError, `expected a TraceError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `not one line: ${e.message}`);
    return e;
  }
  assert.fail('expected a TraceError');
}

describe('ftrace function tracer', () => {
  it('reads trace output with irq-info: callers first when new, both counted, <...> comms, other events skipped, lost events reported', () => {
    const t = readTraceFile(fixture('function.txt'));
    assert.equal(t.format, 'ftrace-function');
    assert.deepEqual(rows(t), [
      ['-', 'do_idle', 1],
      ['-', 'default_idle_call', 2],
      ['-', 'arch_cpu_idle', 1],
      ['-', 'find_task_by_vpid', 3],
      ['-', '__rcu_read_lock', 2],
      ['-', 'try_to_wake_up', 1],
      ['-', 'ttwu_do_activate.constprop.0', 1],
      ['-', 'kill_pid_info', 1],
      ['-', 'process_one_work', 1],
      ['-', 'e1000_watchdog', 1],
    ]);
    firstsInOrder(t);
    assert.equal(t.events, 7);
    // sched_switch and the trace_printk "do_sys_openat2: opening ..." are not function events.
    assert.equal(t.skippedLines, 2);
    assert.equal(t.provenance.lost_events, '1234');
    assert.equal(t.provenance.lost_events_unstated, '1');
    assert.equal(t.provenance.tracer, 'function');
    assert.equal(t.provenance.entries_in_buffer, '205022');
    assert.equal(t.provenance.entries_written, '119956607');
    assert.equal(t.provenance.cpus, '4');
  });

  it('reads trace_pipe output without header or irq-info, starting with a lost-events marker', () => {
    const t = readTraceFile(fixture('function-pipe.txt'));
    assert.equal(t.format, 'ftrace-function');
    assert.deepEqual(rows(t), [
      ['-', 'get_page_from_freelist', 5],
      ['-', '_raw_spin_lock_irqsave', 1],
      ['-', '__rmqueue_pcplist', 2],
      ['-', '_raw_spin_unlock_irqrestore', 1],
      ['-', '__mod_zone_page_state', 1],
    ]);
    assert.equal(t.events, 5);
    assert.equal(t.skippedLines, 0);
    assert.deepEqual(t.provenance, { lost_events: '11745' });
  });

  it('reads sym-offset and sym-addr forms: addresses become the keys, offsets are stripped, modules keep their annotation', () => {
    const t = readTraceFile(fixture('function-sym.txt'));
    assert.deepEqual(rows(t), [
      ['ffffffff8f1a60e5', 'do_idle', 2],
      ['ffffffff901c52a4', 'default_idle_call', 2],
      ['ffffffff8f1a60f0', 'do_idle', 2],
      ['ffffffff8ff0d104', 'cpuidle_enter', 1],
      ['ffffffff8ff0d12e', 'cpuidle_enter', 1],
      ['ffffffff8ff0c804', 'cpuidle_enter_state', 1],
      ['ffffffff8f9a102b', '__napi_poll', 1],
      ['ffffffffc0a01004', 'e1000_clean [e1000e]', 1],
      ['ffffffffc0ff1234', null, 1],
    ]);
    assert.equal(t.events, 6);
  });

  it('reads latency-format lines and counter clocks', () => {
    const text = [
      '# tracer: function',
      '  <idle>-0       0d.s2    0us+: _raw_spin_lock_irq <-run_timer_softirq',
      '  <idle>-0       0dNs3   17us : _raw_spin_unlock_irq <-run_timer_softirq',
      '            bash-1977    [000] ..... 123456789012: vfs_read <-ksys_read',
    ].join('\n');
    const t = parseTrace(text, 'lat.txt');
    assert.deepEqual(
      t.entries.map((e) => e.name),
      ['run_timer_softirq', '_raw_spin_lock_irq', '_raw_spin_unlock_irq', 'ksys_read', 'vfs_read'],
    );
  });

  it('reads func_stack_trace frames outermost first', () => {
    const text = [
      '# tracer: function',
      '            bash-1977    [000] .....    12.000001: kfree <-do_exit',
      '            bash-1977    [000] .....    12.000002: <stack trace>',
      ' => kfree+0x5/0x30',
      ' => do_exit+0x2f1/0xb00',
      ' => do_group_exit+0x33/0xa0',
      '            bash-1977    [000] .....    12.000003: vfs_read <-ksys_read',
    ].join('\n');
    const t = parseTrace(text, 'stack.txt');
    assert.deepEqual(rows(t), [
      ['-', 'do_exit', 2],
      ['-', 'kfree', 2],
      ['-', 'do_group_exit', 1],
      ['-', 'ksys_read', 1],
      ['-', 'vfs_read', 1],
    ]);
    assert.equal(t.events, 5);
  });

  it('skips malformed lines after the first event and counts them', () => {
    const good = '            bash-1977    [000] .....    12.000001: kfree <-do_exit';
    const t = parseTrace(['# tracer: function', good, 'garbage that is no trace line', good.replace('kfree', 'vfree')].join('\n'), 'x.txt');
    assert.equal(t.skippedLines, 1);
    assert.deepEqual(
      t.entries.map((e) => e.name),
      ['do_exit', 'kfree', 'vfree'],
    );
  });

  it('refuses a function trace that holds no function event', () => {
    const text = ['# tracer: function', '            bash-1977    [000] d..2.    12.345700: sched_switch: prev_comm=bash prev_pid=1977'].join('\n');
    const e = traceError(() => parseTrace(text, 'events.txt'));
    assert.match(e.message, /^events\.txt:2: no function/);
  });
});

describe('ftrace function_graph tracer', () => {
  it('reads CPU/duration output with overhead and irq markers, closers, retval comments and lost events', () => {
    const t = readTraceFile(fixture('function-graph.txt'));
    assert.equal(t.format, 'ftrace-function-graph');
    assert.deepEqual(rows(t), [
      ['-', 'do_sys_openat2', 1],
      ['-', 'getname', 1],
      ['-', 'kmem_cache_alloc', 1],
      ['-', '__might_sleep', 2],
      ['-', 'alloc_fd', 1],
      ['-', '_raw_spin_lock', 1],
      ['-', 'expand_files', 1],
      ['-', '_raw_spin_unlock', 1],
      ['-', 'sysvec_apic_timer_interrupt', 1],
      ['-', 'irq_enter_rcu', 1],
      // Closers name their function when its entry is not in the buffer: it ran.
      ['-', 'schedule_preempt_disabled', 1],
      ['-', 'cgroup_migrate_add_task', 1],
      ['-', 'cpu_cgroup_can_attach', 1],
      ['-', 'e1000_read_phy_reg [e1000e]', 1],
    ]);
    firstsInOrder(t);
    assert.equal(t.events, 15);
    assert.equal(t.skippedLines, 1); // the trace_printk comment
    assert.equal(t.provenance.lost_events, '42');
  });

  it('reads abstime, TASK/PID and funcgraph-tail output without counting tails twice', () => {
    const t = readTraceFile(fixture('function-graph-proc.txt'));
    assert.deepEqual(rows(t), [
      ['-', 'd_free', 1],
      ['-', 'call_rcu', 1],
      ['-', 'rcu_segcblist_enqueue', 1],
      ['-', '__dentry_kill', 1],
    ]);
    assert.equal(t.events, 4);
  });

  it('reads output without the CPU column (detected by its duration bars)', () => {
    const text = ['               |  vfs_read() {', '   0.313 us    |    rw_verify_area();', '   1.002 us    |  }'].join('\n');
    assert.equal(detectTraceFormat(text), 'ftrace-function-graph');
    assert.deepEqual(
      parseTrace(text, 'g.txt').entries.map((e) => e.name),
      ['vfs_read', 'rw_verify_area'],
    );
  });
});

describe('trace_stat function profiler', () => {
  it('reads function0 with graph time columns: count = Hit, names cut at 30 characters kept as printed', () => {
    const t = readTraceFile(fixture('trace-stat-function0.txt'));
    assert.equal(t.format, 'trace-stat');
    assert.deepEqual(rows(t), [
      ['-', 'schedule', 1425],
      ['-', 'trace_event_raw_event_sched_sw', 1398],
      ['-', 'schedule_hrtimeout_range_clock', 212],
      ['-', '_raw_spin_lock', 98765],
      ['-', 'do_idle', 512],
    ]);
    assert.equal(t.events, 5);
    assert.equal(t.skippedLines, 0);
  });

  it('reads the variant without the function graph tracer (Function and Hit only)', () => {
    const t = readTraceFile(fixture('trace-stat-hits.txt'));
    assert.deepEqual(rows(t), rows(readTraceFile(fixture('trace-stat-function0.txt'))));
  });

  it('sums per-CPU files concatenated with their headers', () => {
    const one = readFileSync(fixture('trace-stat-hits.txt'), 'utf8');
    const t = parseTrace(one + one, 'function0+1');
    assert.equal(t.entries.find((e) => e.name === 'schedule')?.count, 2850);
    assert.equal(t.entries.length, 5);
  });

  it('refuses a row that is not NAME HIT [TIME us AVG us S^2 us], naming the line', () => {
    const text = readFileSync(fixture('trace-stat-hits.txt'), 'utf8') + '  schedule  many\n';
    const e = traceError(() => parseTrace(text, 'function0'));
    assert.match(e.message, /^function0:8: not a trace_stat function profile: "schedule {2}many": the hit count "many" is not a number$/);
  });
});

describe('perf script', () => {
  it('reads perf record -e cycles samples: kernel symbols count, modules kept, user space and [unknown] skipped and reported', () => {
    const t = readTraceFile(fixture('perf-cycles.txt'));
    assert.equal(t.format, 'perf-script');
    assert.deepEqual(rows(t), [
      ['ffffffff901c5106', 'default_idle', 2],
      ['ffffffffc0a01023', 'e1000_clean [e1000e]', 1],
      ['ffffffff901c5110', null, 1], // a kernel address perf could not name: still an address
    ]);
    assert.equal(t.events, 4);
    assert.equal(t.skippedLines, 2);
    assert.deepEqual(t.provenance, { samples: '6', user_frames: '1', unknown_frames: '1' });
  });

  it('reads perf record -g callchains: every kernel frame ran, outermost first', () => {
    const t = readTraceFile(fixture('perf-callchain.txt'));
    assert.deepEqual(
      t.entries.map((e) => e.name),
      ['rest_init', 'cpu_startup_entry', 'do_idle', 'default_idle_call', 'default_idle', 'do_syscall_64', 'ksys_write', 'vfs_write'],
    );
    assert.equal(t.entries.find((e) => e.name === 'do_idle')?.count, 2);
    assert.equal(t.events, 11);
    assert.equal(t.skippedLines, 3);
    assert.deepEqual(t.provenance, { samples: '3', user_frames: '2', unknown_frames: '1' });
  });

  it('refuses perf output with no kernel sample at all', () => {
    const text =
      '            bash    1977 [001] 16427.583480:     250000 cycles:P:      7f1c2a3b4c5d __libc_write+0x14 (/usr/lib/x86_64-linux-gnu/libc.so.6)\n';
    assert.match(traceError(() => parseTrace(text, 'user.txt')).message, /^user\.txt:1: no function in perf script output/);
  });
});

describe('lists', () => {
  it('reads address and name entries, counts, module annotations and leading provenance', () => {
    const t = readTraceFile(fixture('boot-list.txt'));
    assert.equal(t.format, 'list');
    assert.deepEqual(rows(t), [
      ['ffffffff81000000', 'startup_64', 1],
      ['ffffffff81000070', 'secondary_startup_64', 2],
      ['-', 'start_kernel', 3], // two lines, summed
      ['ffffffff81a00000', null, 3], // "0xADDR COUNT": a count, not a name
      ['ffffffff81b00000', 'do_idle', 5], // 16 bare hex digits: an address
      ['81c00000', 'default_idle', 1], // 8 bare hex digits: an address
      ['-', 'kmem_cache_alloc', 7],
      ['-', 'e1000_probe [e1000e]', 1],
    ]);
    firstsInOrder(t);
    assert.equal(t.events, 9);
    // Only "# key: value" lines before the first entry are provenance.
    assert.deepEqual(t.provenance, { kernel: '6.1.0-18-amd64', source: 'ftrace function tracer, Debian 12 boot to login prompt', lost_events: '0' });
  });

  it('names the file and line of a bad entry', () => {
    const e = traceError(() => parseTrace('# kernel: 6.1\nstart_kernel 1\ndo_idle -3\n', 'boot.list'));
    assert.equal(e.message, 'boot.list:3: not a function list: "do_idle -3": the count "-3" is not a positive integer');
    assert.equal(e.line, 3);
    assert.equal(e.file, 'boot.list');
    const e2 = traceError(() => parseTrace('start_kernel 1 2\n', 'b.list', 'list'));
    assert.match(e2.message, /^b\.list:1: .*unexpected "2"/);
  });

  it('round-trips any list of entries with provenance through formatTraceList', () => {
    const symbol = fc
      .tuple(
        fc.constantFrom('_', 'a', 'k', 'S', 'x'),
        fc.stringMatching(/^[a-z0-9_]{0,20}$/),
        fc.constantFrom('', '.isra.0', '.constprop.0', '.cold', '.part.0'),
      )
      .map(([a, b, c]) => a + b + c)
      .filter((n) => !/^(0x)?[0-9a-fA-F]+$/.test(n));
    const mod = fc.constantFrom('e1000e', 'nf_tables', 'snd-hda');
    const name = fc.oneof(
      symbol,
      fc.tuple(symbol, mod).map(([n, m]) => `${n} [${m}]`),
      mod.map((m) => `[${m}]`),
    );
    const entry = fc
      .record({
        name: fc.option(name, { nil: null }),
        address: fc.option(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), { nil: null }),
        count: fc.integer({ min: 1, max: 2 ** 40 }),
      })
      .filter((e) => (e.name !== null || e.address !== null) && !(e.name?.startsWith('[') && e.address === null));
    const provenance = fc
      .dictionary(
        fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/).filter((k) => k !== 'tracer'),
        fc.stringMatching(/^[ -~]{0,30}$/).map((v) => v.trim()),
      )
      .map((d) => ({ ...d }));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), provenance, (raw, prov) => {
        // Distinct keys, as a Trace's entries are.
        const seen = new Set<string>();
        const entries: TraceEntry[] = [];
        for (const e of raw) {
          const key = e.address !== null ? `a${e.address}` : `n${e.name}`;
          if (seen.has(key)) continue;
          seen.add(key);
          entries.push({ ...e, first: entries.length });
        }
        const text = formatTraceList({ entries, provenance: prov });
        const t = parseTrace(text, 'round.list', 'list');
        assert.deepEqual(t.entries, entries);
        assert.deepEqual(t.provenance, prov);
        assert.equal(t.events, entries.length);
        if (entries.length > 0) assert.equal(detectTraceFormat(text), 'list');
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe('detection and errors', () => {
  const cases: [string, TraceFormat][] = [
    ['function.txt', 'ftrace-function'],
    ['function-pipe.txt', 'ftrace-function'],
    ['function-sym.txt', 'ftrace-function'],
    ['function-graph.txt', 'ftrace-function-graph'],
    ['function-graph-proc.txt', 'ftrace-function-graph'],
    ['trace-stat-function0.txt', 'trace-stat'],
    ['trace-stat-hits.txt', 'trace-stat'],
    ['perf-cycles.txt', 'perf-script'],
    ['perf-callchain.txt', 'perf-script'],
    ['boot-list.txt', 'list'],
  ];
  for (const [file, format] of cases) {
    it(`detects ${file} as ${format}, and readTraceFile equals parseTrace`, () => {
      const text = readFileSync(fixture(file), 'utf8');
      assert.equal(detectTraceFormat(text), format);
      assert.deepEqual(readTraceFile(fixture(file)), parseTrace(text, fixture(file)));
    });
  }

  it('detects graph and function output without headers, and nothing in prose or other tracers', () => {
    const fn = readFileSync(fixture('function.txt'), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    assert.equal(detectTraceFormat(fn), 'ftrace-function');
    const graph = readFileSync(fixture('function-graph.txt'), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
    assert.equal(detectTraceFormat(graph), 'ftrace-function-graph');
    assert.equal(detectTraceFormat('This is not a trace, it is prose.\n'), null);
    assert.equal(detectTraceFormat(''), null);
    assert.equal(detectTraceFormat('# tracer: nop\n#\n'), null);
  });

  it('names the file and the first line that fits no format', () => {
    const e = traceError(() => parseTrace('# notes\n\nthis line is prose\n', 'notes.txt'));
    assert.match(e.message, /^notes\.txt:3: not a trace: "this line is prose" is none of the trace formats/);
    // After list entries, the list reader says what is wrong with the line.
    const l = traceError(() => parseTrace('start_kernel 3\nthis line is prose\n', 'notes.txt'));
    assert.equal(l.message, 'notes.txt:2: not a function list: "this line is prose": the count "line" is not a positive integer');
    assert.match(traceError(() => parseTrace('# tracer: nop\n', 'nop.txt')).message, /^nop\.txt:1: not a trace: the trace is from the nop tracer/);
    assert.equal(traceError(() => parseTrace('\n\n', 'empty.txt')).message, 'empty.txt: not a trace: it is empty');
  });

  it('names the line where a forced format does not fit', () => {
    const text = readFileSync(fixture('function.txt'), 'utf8');
    assert.match(traceError(() => parseTrace(text, 'f.txt', 'trace-stat')).message, /^f\.txt:13: not a trace_stat function profile: "<idle>-0/);
    assert.match(traceError(() => parseTrace(text, 'f.txt', 'perf-script')).message, /^f\.txt:13: not perf script output/);
    assert.match(
      traceError(() => parseTrace(text, 'f.txt', 'ftrace-function-graph')).message,
      /^f\.txt:1: the trace is from the function tracer, not function_graph/,
    );
    const stat = readFileSync(fixture('trace-stat-hits.txt'), 'utf8');
    assert.match(traceError(() => parseTrace(stat, 's.txt', 'ftrace-function')).message, /^s\.txt:1: not function tracer output/);
    assert.match(traceError(() => parseTrace(text, 'f.txt', 'bogus' as TraceFormat)).message, /unknown trace format "bogus"/);
  });

  it('says why a file cannot be read', () => {
    const missing = join(dir, 'missing.txt');
    assert.equal(traceError(() => readTraceFile(missing)).message, `${missing}: cannot read: ENOENT`);
    assert.equal(traceError(() => readTraceFile(dir)).message, `${dir}: cannot read: EISDIR`);
    const gz = join(dir, 'trace.gz');
    writeFileSync(gz, gzipSync(readFileSync(fixture('function.txt'))));
    assert.match(traceError(() => readTraceFile(gz)).message, /gzip-compressed/);
  });

  it('streams files across chunk boundaries (lines and UTF-8 comms split between reads)', () => {
    const line = (i: number): string => `     ärger-${String(i).padEnd(7)} [001] d..1. ${(12 + i / 1e6).toFixed(6)}: fn_${i % 5003} <-caller_${i % 17}`;
    const lines: string[] = ['# tracer: function'];
    for (let i = 0; i < 140_000; i++) lines.push(line(i)); // > 8 MiB: two chunks
    const text = lines.join('\n') + '\n';
    assert.ok(Buffer.byteLength(text) > 1 << 23);
    const path = join(dir, 'big.txt');
    writeFileSync(path, text);
    const t = readTraceFile(path);
    assert.equal(t.events, 140_000);
    assert.equal(t.skippedLines, 0);
    assert.equal(t.entries.length, 5003 + 17);
    assert.deepEqual(t, parseTrace(text, path));
  });

  it('parses the symbol forms the kernel prints', () => {
    assert.deepEqual(parseKernelSymbol('ktime_get+0xb/0x20'), { name: 'ktime_get', hex: null });
    assert.deepEqual(parseKernelSymbol('ktime_get+0x0/0x20 <ffffffff81234560>'), { name: 'ktime_get', hex: 'ffffffff81234560' });
    assert.deepEqual(parseKernelSymbol('e1000_clean+0x4/0x2c0 [e1000e 0123456789abcdef0123456789abcdef01234567]'), { name: 'e1000_clean [e1000e]', hex: null });
    assert.deepEqual(parseKernelSymbol('0xffffffffc0ff1234'), { name: null, hex: 'ffffffffc0ff1234' });
    assert.equal(parseKernelSymbol('sched_switch: prev_comm=bash'), null);
    assert.equal(parseKernelSymbol("[unknown/kretprobe'd]"), null);
  });
});

describe('real captures (test/fixtures/traces-real, when present)', () => {
  const real = new URL('../../test/fixtures/traces-real/', import.meta.url).pathname;
  for (const [file, format] of [
    ['function.trace.txt', 'ftrace-function'],
    ['function_graph.trace.txt', 'ftrace-function-graph'],
  ] as const) {
    it(`reads every line of ${file}`, { skip: !existsSync(join(real, file)) }, () => {
      const text = readFileSync(join(real, file), 'utf8');
      const t = readTraceFile(join(real, file));
      assert.equal(t.format, format);
      assert.equal(t.skippedLines, 0);
      const content = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
      // function: every line is an event; function_graph: every line but the bare closers.
      assert.equal(t.events, format === 'ftrace-function' ? content.length : content.filter((l) => !/\|\s*}\s*$/.test(l)).length);
      for (const e of t.entries) assert.ok(e.name !== null && isSymbolName(e.name), String(e.name));
    });
  }
});

// ---------------------------------------------------------------------------
// Matching.

const T = 0xffffffff81000000n;
function fn(name: string, off: bigint, extent: number): KernelFunction {
  return { name, address: T + off, extent, offset: Number(off), section: '.text' };
}

/** Deliberately not in address order: indices must refer to this array. */
const FUNCTIONS: KernelFunction[] = [
  fn('default_idle_call', 0x2000n, 0x130), // 0
  fn('do_idle', 0x1000n, 0x230), // 1  (0x1230..0x2000 is a gap)
  fn('helper', 0x3100n, 0x40), // 2  static in one file
  fn('helper', 0x3000n, 0x40), // 3  static in another
  fn('memcpy', 0x4000n, 0x100), // 4
  fn('__memcpy', 0x4000n, 0x100), // 5  alias: same bytes
  fn('startup_64', 0x0n, 0x100), // 6
  fn('ttwu_do_activate.constprop.0', 0x5000n, 0x80), // 7
  fn('ip_rcv_core.llvm.1234567890', 0x6000n, 0x200), // 8
  fn('trace_event_raw_event_sched_switch', 0x7000n, 0x100), // 9
  fn('trace_event_raw_event_sched_swap', 0x7100n, 0x100), // 10
];

function trace(entries: [string | null, bigint | null, number?][], format: TraceFormat = 'list'): Trace {
  return {
    file: 't.list',
    format,
    entries: entries.map(([name, address, count], i) => ({ name, address, count: count ?? 1, first: i })),
    events: entries.length,
    skippedLines: 0,
    provenance: {},
  };
}

describe('mapTrace', () => {
  it('maps exact addresses, addresses inside a function, and reports addresses past the end as not in text', () => {
    const m = mapTrace(
      trace([
        [null, T + 0x2000n],
        [null, T + 0x1010n],
        [null, T + 0x1230n], // do_idle's end: the gap
        [null, T + 0x2130n], // past default_idle_call's end
        [null, T - 1n], // below every function
      ]),
      FUNCTIONS,
      { kaslrOffset: 0n },
    );
    assert.deepEqual(m.order, [0, 1]);
    assert.deepEqual([...m.hot].sort(), [0, 1]);
    assert.equal(m.matched, 2);
    assert.deepEqual(
      m.unmatched.map((u) => [u.address, u.why]),
      [
        [T + 0x1230n, 'not in text'],
        [T + 0x2130n, 'not in text'],
        [T - 1n, 'not in text'],
      ],
    );
    assert.equal(m.trace, 't.list');
  });

  it('marks every static function of a shared name and counts it ambiguous; an address decides', () => {
    const m = mapTrace(trace([['helper', null]]), FUNCTIONS);
    assert.deepEqual(m.order, [2, 3]);
    assert.equal(m.ambiguous, 1);
    const a = mapTrace(trace([['helper', T + 0x3004n]]), FUNCTIONS, { kaslrOffset: 0n });
    assert.deepEqual(m.matched, 1);
    assert.deepEqual(a.order, [3]);
    assert.equal(a.ambiguous, 0);
  });

  it('marks aliases at one address together, without calling it ambiguous', () => {
    const m = mapTrace(trace([[null, T + 0x4010n]]), FUNCTIONS, { kaslrOffset: 0n });
    assert.deepEqual(m.order, [4, 5]);
    assert.equal(m.ambiguous, 0);
  });

  it('reports module entries, unknown names and keeps the order of first appearance', () => {
    const m = mapTrace(
      trace([
        ['e1000_clean [e1000e]', 0xffffffffc0a01004n, 4],
        ['do_idle', null, 9],
        ['no_such_function', null, 2],
        ['[nf_tables]', 0xffffffffc0b00000n],
        ['ttwu_do_activate.constprop.0', null],
        ['startup_64', null],
        ['do_idle', T + 0x1000n],
      ]),
      FUNCTIONS,
    );
    assert.deepEqual(m.order, [1, 7, 6]);
    assert.equal(m.matched, 4);
    assert.deepEqual(m.unmatched, [
      { name: 'e1000_clean [e1000e]', address: 0xffffffffc0a01004n, count: 4, why: 'module' },
      { name: 'no_such_function', address: null, count: 2, why: 'unknown name' },
      { name: '[nf_tables]', address: 0xffffffffc0b00000n, count: 1, why: 'module' },
    ]);
  });

  it('lets the address decide when name and address disagree, and the name when the address is in no function', () => {
    const m = mapTrace(
      trace([
        ['memcpy', T + 0x1004n], // the address is in do_idle
        ['startup_64', T + 0x1240n], // the gap: the name decides
        ['no_such_function', T + 0x1240n], // neither
      ]),
      FUNCTIONS,
      { kaslrOffset: 0n },
    );
    assert.deepEqual(m.order, [1, 6]);
    assert.equal(m.mismatched, 1);
    assert.equal(m.byName, 1);
    assert.deepEqual(
      m.unmatched.map((u) => u.why),
      ['not in text'],
    );
    assert.ok(m.notes.some((n) => n.includes('memcpy at 0xffffffff81001004 is in do_idle')));
  });

  it('matches clang .llvm. names and trace_stat names cut at 30 characters by prefix', () => {
    const m = mapTrace(trace([['ip_rcv_core', null]]), FUNCTIONS);
    assert.deepEqual(m.order, [8]);
    const stat = mapTrace(trace([['trace_event_raw_event_sched_sw', null, 5]], 'trace-stat'), FUNCTIONS);
    assert.deepEqual(stat.order, [9, 10]);
    assert.equal(stat.ambiguous, 1);
    // Only trace_stat cuts names: elsewhere a 30-character prefix is an unknown name.
    const list = mapTrace(trace([['trace_event_raw_event_sched_sw', null]]), FUNCTIONS);
    assert.equal(list.unmatched[0]?.why, 'unknown name');
  });

  it('subtracts a given KASLR offset, and infers it from name/address pairs when not given', () => {
    const K = 0x2e000000n;
    const entries: [string | null, bigint | null][] = [
      ['do_idle', T + K + 0x11e5n],
      ['default_idle_call', T + K + 0x2004n],
      [null, T + K + 0x4000n],
    ];
    const given = mapTrace(trace(entries), FUNCTIONS, { kaslrOffset: K });
    assert.deepEqual(given.order, [1, 0, 4, 5]);
    assert.equal(given.kaslrInferred, false);
    const inferred = mapTrace(trace(entries), FUNCTIONS);
    assert.equal(inferred.kaslrOffset, K);
    assert.equal(inferred.kaslrInferred, true);
    assert.deepEqual(inferred.order, [1, 0, 4, 5]);
    const none = mapTrace(trace(entries), FUNCTIONS, { kaslrOffset: 0n });
    assert.equal(none.matched, 2); // by name only
    assert.equal(none.byName, 2);
    assert.deepEqual(
      none.unmatched.map((u) => u.why),
      ['not in text'],
    );
    // Link-time addresses infer no offset.
    assert.equal(mapTrace(trace([['do_idle', T + 0x1004n]]), FUNCTIONS).kaslrOffset, 0n);
  });

  it('maps the perf and sym-addr fixtures of a KASLR kernel', () => {
    const image = [
      fn('do_idle', 0x1a5f00n, 0x230),
      fn('default_idle_call', 0x11c52a0n, 0x130),
      fn('cpuidle_enter', 0x0f0d100n, 0x40),
      fn('cpuidle_enter_state', 0x0f0c800n, 0x3c0),
      fn('__napi_poll', 0x9a1000n, 0x1c0),
      fn('default_idle', 0x11c5100n, 0x20),
      fn('rest_init', 0x10b1b40n, 0x100),
      fn('cpu_startup_entry', 0x1a6300n, 0x40),
      fn('vfs_write', 0x5a1210n, 0x300),
      fn('ksys_write', 0x5a1690n, 0x100),
      fn('do_syscall_64', 0x11b0000n, 0x100),
    ];
    const sym = mapTrace(readTraceFile(fixture('function-sym.txt')), image);
    assert.equal(sym.kaslrOffset, 0xe000000n);
    assert.deepEqual(
      sym.order.map((i) => image[i]!.name),
      ['do_idle', 'default_idle_call', 'cpuidle_enter', 'cpuidle_enter_state', '__napi_poll'],
    );
    assert.deepEqual(
      sym.unmatched.map((u) => u.why),
      ['module', 'not in text'],
    );
    const perf = mapTrace(readTraceFile(fixture('perf-cycles.txt')), image);
    assert.deepEqual(
      perf.order.map((i) => image[i]!.name),
      ['default_idle'],
    );
    assert.equal(perf.matched, 2); // default_idle by name+address, and the [unknown] kernel address inside it
    const chain = mapTrace(readTraceFile(fixture('perf-callchain.txt')), image);
    assert.equal(chain.order.length, 8);
    assert.equal(chain.unmatched.length, 0);
  });

  it('accounts for every entry: matched + unmatched = entries', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.option(fc.constantFrom(...FUNCTIONS.map((f) => f.name), 'nope', 'x [mod]'), { nil: null }),
            fc.option(fc.bigInt({ min: T - 0x100n, max: T + 0x8000n }), { nil: null }),
          ),
          { maxLength: 30 },
        ),
        (raw) => {
          const seen = new Set<string>();
          const list = raw.filter(([n, a]) => (n !== null || a !== null) && !seen.has(String(a ?? n)) && seen.add(String(a ?? n)));
          const m = mapTrace(trace(list), FUNCTIONS, { kaslrOffset: 0n });
          assert.equal(m.matched + m.unmatched.length, list.length);
          assert.equal(new Set(m.order).size, m.order.length);
          assert.deepEqual(new Set(m.order), m.hot);
        },
      ),
      { numRuns: 200, seed: 11 },
    );
  });
});

describe('mergeTraces', () => {
  it('unions several traces: first appearance order, summed counts, events and lost events added, sources named', () => {
    const a = parseTrace('# lost_events: 2\n0xffffffff81000000 a 3\n0xffffffff81000100 b 1\n', '/x/boot.ftrace.txt');
    const b = parseTrace('# lost_events: 1\n0xffffffff81000100 b 5\n0xffffffff81000200 c 1\nd 2\n', '/x/boot.qemu-tb.txt');
    const m = mergeTraces([a, b]);
    assert.deepEqual(
      m.entries.map((e) => [e.name, e.count, e.first]),
      [
        ['a', 3, 0],
        ['b', 6, 1],
        ['c', 1, 2],
        ['d', 2, 3],
      ],
    );
    assert.equal(m.events, a.events + b.events);
    assert.equal(m.provenance['lost_events'], '3');
    assert.equal(m.file, '/x/boot.ftrace.txt+boot.qemu-tb.txt');
    assert.match(m.provenance['merged_from']!, /boot\.ftrace\.txt \(list, 2 entries\) \+ .*boot\.qemu-tb\.txt \(list, 3 entries\)/);
    assert.equal(mergeTraces([a]), a, 'one trace is itself');
    assert.throws(() => mergeTraces([]), TraceError);
  });
});
