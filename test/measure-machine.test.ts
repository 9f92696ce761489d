// Machine state from fake /proc and /sys trees, the load share and busy
// verdict, the timing gate's slots, and the gate across real worker threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  childrenCpuUs,
  statTicks,
  countCpuList,
  isBusy,
  loadShare,
  machineAtEnd,
  machineAtStart,
  readCpuTicks,
  readLoadAverage,
  readMachine,
  type CpuTicks,
} from '../src/measure/machine.js';
import { GateMonitor, TimingGate, newGateBuffer, timingSlots } from '../src/pool/timing-gate.js';

function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'kzbench-fakeroot-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

const INTEL = {
  'proc/cpuinfo': 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz\n\nprocessor\t: 1\n',
  'proc/loadavg': '1.50 0.75 0.20 3/412 9876\n',
  'proc/stat': 'cpu  100 0 50 800 50 0 0 7 0 0\ncpu0 50 0 25 400 25 0 0 3 0 0\n',
  'sys/devices/system/cpu/online': '0-3,6\n',
  'sys/devices/system/cpu/cpu0/cpufreq/scaling_governor': 'powersave\n',
  'sys/devices/system/cpu/cpu0/cpufreq/scaling_driver': 'intel_pstate\n',
  'sys/devices/system/cpu/intel_pstate/no_turbo': '1\n',
};

test('machine state is read from /proc and /sys', () => {
  const m = readMachine(fakeRoot(INTEL));
  assert.deepEqual(m, {
    cpu_model: 'Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz',
    online_cores: 5,
    frequency_driver: 'intel_pstate',
    frequency_governor: 'powersave',
    boost: false,
    load_average: { one: 1.5, five: 0.75, fifteen: 0.2, runnable: 3 },
  });
  const amd = readMachine(fakeRoot({ 'sys/devices/system/cpu/cpufreq/boost': '1\n', 'proc/cpuinfo': 'Processor\t: ARMv7 Processor rev 10 (v7l)\n' }));
  assert.equal(amd.boost, true);
  assert.equal(amd.cpu_model, 'ARMv7 Processor rev 10 (v7l)');
});

test('unreadable or malformed fields are null, never an error', () => {
  const empty = readMachine(fakeRoot({}));
  assert.deepEqual(empty, { cpu_model: null, online_cores: null, frequency_driver: null, frequency_governor: null, boost: null, load_average: null });
  const junk = fakeRoot({ 'proc/loadavg': 'garbage\n', 'proc/stat': 'intr 1 2 3\n', 'sys/devices/system/cpu/online': '0-x\n' });
  assert.equal(readLoadAverage(junk), null);
  assert.equal(readCpuTicks(junk), null);
  assert.equal(readMachine(junk).online_cores, null);
  assert.equal(countCpuList('3-1'), null);
  assert.equal(countCpuList('0'), 1);
  // A kernel without the steal field (before 2.6.11) has 7 fields.
  assert.deepEqual(readCpuTicks(fakeRoot({ 'proc/stat': 'cpu  1 2 3 4 5 6 7\n' })), { total: 28, idle: 9, steal: null });
  assert.deepEqual(readCpuTicks(fakeRoot(INTEL)), { total: 1007, idle: 850, steal: 7 });
});

test("others' load is the machine's busy time less our own and steal, in cores", () => {
  const t = (total: number, idle: number, steal: number | null): CpuTicks => ({ total, idle, steal });
  // 2 cores, 1 s: 200 ticks, 60 idle -> 1.4 cores busy; steal 20 ticks = 0.2 cores; we used 0.5 s of CPU.
  const share = loadShare({ ticks: t(0, 0, 0), ownUs: 0, wallNs: 0n }, { ticks: t(200, 60, 20), ownUs: 500_000, wallNs: 1_000_000_000n }, 2)!;
  assert.ok(Math.abs(share.othersCores - 0.7) < 1e-9);
  assert.ok(Math.abs(share.stealCores! - 0.2) < 1e-9);
  assert.equal(isBusy(share), true);
  assert.equal(isBusy({ othersCores: 0.3, stealCores: 0.1 }), false);
  assert.equal(isBusy({ othersCores: 0.3, stealCores: 0.25 }), true, 'steal counts');
  assert.equal(isBusy({ othersCores: 4, stealCores: 0 }, 8, 2), false, 'four busy cores of eight leave two workers alone');
  assert.equal(isBusy({ othersCores: 6.5, stealCores: 0 }, 8, 2), true);
  assert.equal(isBusy({ othersCores: 1, stealCores: 0 }, 2, 1), false, 'one worker on two cores keeps a core beside one burner');
  assert.equal(isBusy({ othersCores: 0.5, stealCores: 0 }, 2, 2), true);
  assert.equal(loadShare({ ticks: t(5, 0, null), ownUs: 0, wallNs: 0n }, { ticks: t(5, 0, null), ownUs: 0, wallNs: 1n }, 2), null);
});

test('run.json machine: busy from the observed load or from our own disturbed samples', () => {
  const root = fakeRoot(INTEL);
  const start = machineAtStart(root);
  assert.equal(start.busy, null);
  const quiet = { others_cores_mean: 0.1, others_cores_max: 0.3, steal_cores_mean: 0, timing_slots_min: 2, timing_slots_start: 2, seconds: 10 };
  const ok = machineAtEnd(start, quiet, [{ decompress_samples: 10, decompress_disturbed: 1 }], root);
  assert.equal(ok.busy, false);
  assert.deepEqual(ok.load_average_after, { one: 1.5, five: 0.75, fifteen: 0.2, runnable: 3 });
  assert.equal(machineAtEnd(start, { ...quiet, others_cores_mean: 0.9 }, [], root).busy, true);
  assert.equal(machineAtEnd(start, { ...quiet, others_cores_mean: 0.9, cores: 4, workers: 2 }, [], root).busy, false, 'two spare cores');
  const ownCore = machineAtEnd(start, quiet, [{ decompress_samples: 10, decompress_disturbed: 6 }, { decompress_samples: null }], root);
  assert.equal(ownCore.busy, true, 'a competitor on our own core');
  assert.equal(ownCore.samples_disturbed, 6);
  assert.equal(machineAtEnd(start, undefined, [], root).busy, null);
});

test('timing slots: the cores others leave free, half a core counting as taken', () => {
  assert.equal(timingSlots(2, 2, 0.1), 2);
  assert.equal(timingSlots(2, 2, 0.49), 2);
  assert.equal(timingSlots(2, 2, 0.5), 1);
  assert.equal(timingSlots(2, 2, 1.0), 1);
  assert.equal(timingSlots(2, 2, 2.5), 1, 'never below 1');
  assert.equal(timingSlots(4, 8, 1), 4, 'never above the workers');
  assert.equal(timingSlots(8, 8, 2.6), 5);
});

test('the monitor sizes the gate from /proc/loadavg first, then from /proc/stat', () => {
  const root = fakeRoot({ ...INTEL, 'proc/loadavg': '2.00 1.00 0.50 2/300 1\n' });
  const m = new GateMonitor(2, 2, 0, root, 2);
  assert.equal(m.gate.slots, 1, 'one other runnable process at start: one slot');
  // A second reading: 1 s later others took a full core (our own CPU time is real, so only bound it).
  writeFileSync(join(root, 'proc/stat'), 'cpu  300 0 50 900 50 0 0 7 0 0\n');
  const share = m.tick();
  assert.ok(share);
  const load = m.stop();
  assert.equal(load.timing_slots_start, 1);
  assert.ok(load.timing_slots_min <= 1);
});

test('the gate lets no more workers hold a slot than it has slots', async () => {
  const sab = newGateBuffer(1);
  const gate = new TimingGate(sab);
  const url = new URL('../src/pool/timing-gate.js', import.meta.url).href;
  const log = new Int32Array(new SharedArrayBuffer(4 * 3)); // [now holding, max seen, done]
  const code = `
    import { workerData } from 'node:worker_threads';
    const { TimingGate } = await import(${JSON.stringify(url)});
    const g = new TimingGate(workerData.sab);
    const log = new Int32Array(workerData.log);
    for (let i = 0; i < 20; i++) {
      g.hold(() => {
        const now = Atomics.add(log, 0, 1) + 1;
        for (;;) { const m = Atomics.load(log, 1); if (now <= m || Atomics.compareExchange(log, 1, m, now) === m) break; }
        const end = Date.now() + 2; while (Date.now() < end);
        Atomics.sub(log, 0, 1);
      });
    }
    Atomics.add(log, 2, 1);
  `;
  const workers = [0, 1, 2].map(() => new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: { sab, log: log.buffer } }));
  await Promise.all(workers.map((w) => new Promise((res, rej) => (w.on('exit', res), w.on('error', rej)))));
  assert.equal(log[2], 3);
  assert.equal(log[1], 1, 'one slot: never two holders');
  assert.equal(gate.inUse, 0);
  gate.setSlots(2);
  gate.acquire();
  gate.acquire();
  assert.equal(gate.inUse, 2);
  gate.release();
  gate.release();
});

test("the tools we run count as ours, not as others' load", () => {
  // Fields: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime ...
  const stat = (pid: number, ppid: number, utime: number, stime: number, cutime: number, cstime: number) =>
    `${pid} (a tool) S ${ppid} 1 1 0 -1 0 0 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0\n`;
  const root = fakeRoot({
    'proc/100/stat': stat(100, 1, 999, 999, 30, 20), // us: our own time is process.cpuUsage's, only our waited-for children count here
    'proc/101/stat': stat(101, 100, 40, 10, 0, 0), // a running child
    'proc/102/stat': stat(102, 1, 500, 500, 0, 0), // somebody else's
    'proc/self/stat': 'not a pid directory',
  });
  assert.equal(childrenCpuUs(root, 100), ((30 + 20 + 40 + 10) / 100) * 1e6);
  assert.equal(childrenCpuUs(fakeRoot({}), 100), 0);
  assert.equal(statTicks('1 (x) R'), null);
});
