// The board model (src/model/cores.ts, validation.ts, target-time.ts): published figures
// with their rounding, the calibration reproducing its own measurement,
// read + decompress with ranges, the ranking that says when two candidates'
// order is not certain, and the generated validation page kept in step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  branchMissCost,
  coreFamilies,
  coreFamily,
  CoreModelError,
  fitMissCost,
  compareBoot,
  decoderCost,
  familyMissCost,
  decoderCount,
  decompressEstimate,
  familyIpc,
  figure,
  loadBoard,
  loadStubTable,
  parseBoard,
  pick,
  publishedMeasurements,
  publishedTimeRatio,
  impliedIpc,
  parsePublishedTable,
  rangeError,
  timeValidation,
  validation,
  type BootTerms,
  type KernelFacts,
  type MeasuredPayload,
} from '../src/model/index.js';
import { kernelProfile, type Algorithm } from '../src/codecs/index.js';
import { projectPath } from '../src/project.js';
import { validationMarkdown } from '../src/model/validation-page.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('a published figure carries the rounding of its last printed digit', () => {
  assert.deepEqual(figure('6.7'), { lo: 6.65, mid: 6.7, hi: 6.75 });
  assert.deepEqual(figure('301'), { lo: 300.5, mid: 301, hi: 301.5 });
  // a source's own qualifier: ">7" is a lower bound, "~1.25" approximate (kept at its printed precision, and marked)
  assert.deepEqual(figure('>7'), { lo: 7, mid: 7, hi: Infinity });
  assert.deepEqual(figure('~1.25'), { lo: 1.245, mid: 1.25, hi: 1.255 });
  const king = validation().filter((v) => v.source_id === 'king-2019');
  assert.deepEqual(
    king.map((v) => [v.algorithm, v.qualifier]),
    [
      ['lz4', '>'],
      ['lzo', '~'],
    ],
  );
  assert.equal(king[0]!.published.lo, 0, 'over 7x faster: the time ratio is at most 1/7');
  const lee = publishedMeasurements().find((r) => r.source_id === 'lee-2013-1.5ghz-ua' && r.algorithm === 'lz4')!;
  const ratio = publishedTimeRatio(lee)!;
  // (7.3 / 45.6) / (6.7 / 25.2), with each figure's rounding
  close(ratio.mid, 7.3 / 45.6 / (6.7 / 25.2), 'mid');
  close(ratio.lo, 7.25 / 45.65 / (6.75 / 25.15), 'lo');
  close(ratio.hi, 7.35 / 45.55 / (6.65 / 25.25), 'hi');
});

const armBoard = (clock: number, extra = '') =>
  parseBoard(
    `name: test-board
description: an ARMv7 board
arch: arm
xip: false
core: {family: armv7-a, clock_ghz: ${clock}}
${extra}
sources: {core: test${extra.includes('flash_read') ? ', flash_read_mb_s: test' : ''}}
unknown: {storage: test, ram_bytes: test, boot_budget_ms: test${extra.includes('flash_read') ? '' : ', flash_read_mb_s: test'}}
`,
    'test-board.yaml',
  );

test("the calibration reproduces its own measurement: Lee's 1.5 GHz LZO, 14 MB in 6.7 MB / 25.2 MB/s; the range spans the family's machines, both ways", () => {
  const board = armBoard(1.5);
  const d = decompressEstimate(board, 'lzo', { payloadBytes: 6_700_000, outputBytes: 14_000_000 }, []);
  assert.ok(d.estimate);
  close(d.estimate.ms, (6.7 / 25.2) * 1000, 'lzo ms');
  assert.deepEqual(d.factor, [1, 1], 'the calibration algorithm carries no one-IPC spread');
  const ipc = familyIpc('armv7-a');
  const lzo = decoderCount('arm', 'lzo').instructions_per_output_byte;
  close(ipc.ipc.mid, (lzo * 14e6) / ((6.7 / 25.2) * 1.5e9), 'IPC');
  assert.deepEqual(
    ipc.machines.map((m) => m.source_id),
    ['lee-2013-1.5ghz-ua', 'lee-2013-1.5ghz', 'lee-2013-1.7ghz-ua'],
  );
  // up to Lee's 1.7 GHz board at the high end of its figures' rounding (14.5 MB in 5.95 MB / 52.25 MB/s at 1.65 GHz);
  // w, how far the family's machines disagree, is that over the lowest (the 1.5 GHz board at the low end of its
  // rounding: 13.5 MB in 6.75 MB / 25.15 MB/s at 1.55 GHz), and the range is at least x1/w-w
  const top = (lzo * 14.5e6) / ((5.95 / 52.25) * 1.65e9);
  const bottom = (lzo * 13.5e6) / ((6.75 / 25.15) * 1.55e9);
  const w = top / bottom;
  close(ipc.ipc.hi, ipc.ipc.mid * w, 'IPC high');
  close(ipc.ipc.lo, ipc.ipc.mid / w, 'IPC low: as far below');
  close(d.estimate.hi / d.estimate.ms, ipc.ipc.mid / ipc.ipc.lo, 'the time range is the IPC range');
  close(d.estimate.lo / d.estimate.ms, ipc.ipc.mid / ipc.ipc.hi, 'both ways');
  // families whose own machines agree more (armv5te: two AT91s) or that have one (x86-64) are as wide
  for (const fam of ['armv5te', 'x86-64', 'cortex-a53']) {
    const o = familyIpc(fam);
    close(o.ipc.hi / o.ipc.mid, w, `${fam} high`);
    close(o.ipc.lo / o.ipc.mid, 1 / w, `${fam} low`);
  }
  assert.equal(familyIpc('armv5te').machines.length, 2);
  assert.match(familyIpc('x86-64').basis, /range x0\.42-2\.38, as wide as armv7-a's machines disagree/);
  // another algorithm: its own count at the same IPC, widened by the measured spread
  const lz4 = decompressEstimate(board, 'lz4', { payloadBytes: 7_300_000, outputBytes: 14_000_000 }, []);
  assert.ok(lz4.estimate);
  close(
    lz4.estimate.ms / d.estimate.ms,
    decoderCount('arm', 'lz4').instructions_per_output_byte / decoderCount('arm', 'lzo').instructions_per_output_byte,
    'lz4 / lzo',
  );
  assert.ok(lz4.factor[0] <= 1 && lz4.factor[1] >= 1 && lz4.factor[1] > lz4.factor[0]);
  // twice the clock, half the time
  const fast = decompressEstimate(armBoard(3), 'lzo', { payloadBytes: 6_700_000, outputBytes: 14_000_000 }, []);
  close(fast.estimate!.ms * 2, d.estimate.ms, 'clock');
});

test('boot = read + decompress, each with its range; the basis names both', () => {
  const board = armBoard(1.5, 'flash_read_mb_s: [10, 20]');
  const stubs = loadStubTable();
  const facts: KernelFacts = { arch: 'arm', own: null, kernelMemoryBytes: 6_000_000, kernelMemorySource: 'test', sections: [], thumb2: false };
  const profile = (a: string) => kernelProfile(a as Algorithm, { arch: 'arm', kernelVersion: '6.1' }).key;
  const measured: MeasuredPayload[] = [
    { algorithm: 'lzo', setting: profile('lzo'), payloadBytes: 6_000_000, outputBytes: 14_000_000 },
    { algorithm: 'xz', setting: profile('xz'), payloadBytes: 4_000_000, outputBytes: 14_000_000 },
  ];
  const res = pick({ board, facts, measured, stubs });
  for (const c of res.candidates.filter((x) => x.strategy === 'self-decompressing')) {
    assert.ok(c.flash_bytes && c.read_ms !== null && c.decompress_ms !== null && c.boot_ms !== null);
    close(c.read_ms, (c.flash_bytes / 15e6) * 1000, 'read at the middle of 10-20 MB/s');
    close(c.read_ms_low!, (c.flash_bytes / 20e6) * 1000, 'read low');
    close(c.read_ms_high!, (c.flash_bytes / 10e6) * 1000, 'read high');
    close(c.boot_ms, c.read_ms + c.decompress_ms, 'boot');
    close(c.boot_ms_low!, c.read_ms_low! + c.decompress_ms_low!, 'boot low');
    close(c.boot_ms_high!, c.read_ms_high! + c.decompress_ms_high!, 'boot high');
    assert.match(c.boot_basis, /^read .* MB\/s .*; decompress counted: .* instructions per byte/);
    assert.equal(c.boot_rank !== null, c.fits);
  }
});

test('the ranking: an order that flips anywhere in the ranges is named, one that holds everywhere is not', () => {
  const t = (o: Partial<BootTerms>): BootTerms => ({ readBytes: 0, nominal: 0, scale: [0.9, 1.1], factor: [1, 1], algorithm: 'a', read: [10, 20], ...o });
  // A: 0.5 MB more to read (25-50 ms at 20-10 MB/s), 100 ms less to decompress at s = 1 (90-110 ms at s = 0.9-1.1)
  const a = t({ readBytes: 1.5e6, nominal: 100, algorithm: 'lz4' });
  const b = t({ readBytes: 1e6, nominal: 200, algorithm: 'xz' });
  assert.equal(compareBoot(a, b), -1, 'A is faster at every corner');
  assert.equal(compareBoot(b, a), 1);
  // 1 MB more to read (50-100 ms) against 90-110 ms less to decompress: slow storage and a low scale flip it
  assert.equal(compareBoot(t({ readBytes: 2e6, nominal: 100, algorithm: 'lz4' }), b), 0);
  // with xz's factor able to fall to 0.5 the order flips at slow storage
  assert.equal(compareBoot(a, { ...b, factor: [0.5, 1.5] }), 0);
  assert.equal(compareBoot({ ...b, factor: [0.5, 1.5] }, a), 0, 'symmetric');
  // a candidate without a calibrated term (XIP's copy, a board figure) against a scaled one: the scale still varies
  const xip = t({ readBytes: 1e6, nominal: 0, scale: [1, 1], algorithm: 'none', read: [10, 10] });
  const scaled = t({ readBytes: 0, nominal: 80, scale: [0.5, 1.5], algorithm: 'gzip', read: [10, 10] });
  assert.equal(compareBoot(xip, scaled), 0, '100 ms of reading against 40-120 ms of decompressing');
  assert.equal(compareBoot(scaled, xip), 0);
  // a shared factor (same algorithm) cannot flip an order by itself
  const c = t({ readBytes: 1e6, nominal: 100, factor: [0.5, 2], algorithm: 'lz4' });
  const d = t({ readBytes: 1e6, nominal: 110, factor: [0.5, 2], algorithm: 'lz4' });
  assert.equal(compareBoot(c, d), -1);
  assert.equal(compareBoot(d, c), 1);
});

test('pick names candidates within range of each other, both ways, and ranks every fitting one', () => {
  const board = loadBoard('rpi3b-uboot');
  const stubs = loadStubTable();
  const facts: KernelFacts = { arch: 'arm64', own: null, kernelMemoryBytes: 33_000_000, kernelMemorySource: 'test', sections: [], thumb2: false };
  const counted = (alg: string) => decoderCount('arm64', alg);
  const measured: MeasuredPayload[] = ['gzip', 'lzma', 'lzo', 'zstd', 'bzip2'].map((alg) => ({
    algorithm: alg as Algorithm,
    setting: counted(alg).setting,
    payloadBytes: counted(alg).compressed_bytes,
    outputBytes: counted(alg).output_bytes,
  }));
  const res = pick({ board, facts, measured, stubs });
  const ranked = res.candidates.filter((c) => c.boot_rank !== null).sort((a, b) => a.boot_rank! - b.boot_rank!);
  assert.ok(ranked.length >= 4);
  ranked.forEach((c, i) => {
    assert.equal(c.boot_rank, i + 1);
    if (i) assert.ok(c.boot_ms! >= ranked[i - 1]!.boot_ms!);
  });
  const label = (c: (typeof ranked)[number]) => `${c.strategy}:${c.setting || c.algorithm}`;
  for (const c of ranked)
    for (const o of c.boot_within_range_of) assert.ok(ranked.find((x) => label(x) === o)!.boot_within_range_of.includes(label(c)), `${label(c)} <-> ${o}`);
  // a boot loader's own decoders are not counted: the kernel's stand in, and the basis says so
  assert.ok(ranked.some((x) => x.strategy === 'bootloader'));
  for (const c of ranked.filter((x) => x.strategy === 'bootloader')) assert.match(c.boot_basis, /the kernel's \w+ decoder stands in for the boot loader's own/);
  // bzip2 and lzma (over 100 instructions per byte) are surely slower than lzo
  const lzo = ranked.find((c) => c.algorithm === 'lzo')!;
  assert.ok(!lzo.boot_within_range_of.some((l) => /bzip2|lzma/.test(l)));
});

test("pick's ranking on each published machine: certain where the ranges allow it, never against the published order", () => {
  // A board with the published machine's core family; pick's order of each pair is compareBoot of their decompression terms.
  // For a pair costed on its family's own counts row, never against the published order holds by construction (the pair's
  // published/model factor is inside its family's spread); pairs on another row (arm-aligned) are priced by pick on the
  // family's row, and agree or not on their own. Being certain of the published order is what the counts earn.
  const certain: string[] = [];
  for (const v of validation()) {
    const arch = ['x86_64', 'i386'].includes(coreFamily(v.family).counts) ? 'x86_64' : 'arm';
    const board = parseBoard(
      `name: b\ndescription: x\narch: ${arch}\nxip: false\ncore: {family: ${v.family}, clock_ghz: 1}\nsources: {core: t}\nunknown: {storage: t, ram_bytes: t, boot_budget_ms: t, flash_read_mb_s: t}\n`,
      'b.yaml',
    );
    const terms = (alg: string): BootTerms => {
      const d = decompressEstimate(board, alg, { payloadBytes: 1e6, outputBytes: 1e7 }, []);
      assert.ok(d.estimate, alg);
      const { nominal, scale, factor } = d as Extract<typeof d, { nominal: number }>;
      return { readBytes: 1e6, nominal, scale, factor, algorithm: alg, read: null };
    };
    const order = compareBoot(terms(v.algorithm), terms(v.reference));
    const published = v.published.hi < 1 ? -1 : v.published.lo > 1 ? 1 : 0;
    assert.notEqual(order, -published, `${v.source_id} ${v.algorithm}/${v.reference}: pick says ${order}, published ${published}`);
    if (order !== 0) certain.push(`${v.source_id} ${v.algorithm}`);
    // boot_rank orders by the central value: on the named machines it ranks the pair as published, certain or not
    const named = ['lee-2013-1.5ghz-ua', 'lee-2013-1.5ghz', 'lee-2013-rfc', 'lee-2013-1.7ghz-ua', 'king-2010-a9', 'terrell-2017', 'king-2019'].includes(
      v.source_id,
    );
    if (named) assert.equal(Math.sign(terms(v.algorithm).nominal - terms(v.reference).nominal), published, `${v.source_id} ${v.algorithm}: central order`);
  }
  // the pairs whose gap is wide enough: Lee's LZ4 vs LZO, Terrell's lzo and lz4 vs gzip, Colin King's lz4 bound
  for (const p of ['lee-2013-1.5ghz-ua lz4', 'terrell-2017 lzo', 'terrell-2017 lz4', 'king-2019 lz4', 'terrell-2017 xz'])
    assert.ok(certain.includes(p), `${p} ranked with certainty (${certain.join(', ')})`);
});

test("the x86 branch-miss cost is fitted on this machine's kernel-decoder times and enters every x86 cost", () => {
  const miss = branchMissCost();
  assert.ok(miss.k > 0, `k ${miss.k}`);
  assert.ok(miss.residuals.length >= 5);
  for (const alg of ['gzip', 'xz', 'lz4']) {
    const c = decoderCount('x86_64', alg);
    close(decoderCost('x86_64', alg, miss.k), c.instructions_per_output_byte + miss.k * c.mispredicted_per_output_byte!, alg);
  }
  assert.equal(familyMissCost('x86-64'), miss.k);
  assert.equal(familyMissCost('armv7-a'), 0, 'not measured on any ARM core');
  assert.equal(decoderCost('arm', 'lzo', 0), decoderCount('arm', 'lzo').instructions_per_output_byte);
});

test('an algorithm without a count leaves its boot time unknown; a fit that is no cost is refused', () => {
  const d = decompressEstimate(armBoard(1.5), 'brotli', { payloadBytes: 1, outputBytes: 2 }, []);
  assert.equal(d.estimate, null);
  assert.match((d as { source: string }).source, /no instruction count for brotli on arm/);
  // faster with more branch misses: the fit's miss cost would be negative
  const bad = [
    { algorithm: 'gzip', arch: 'x86_64', msPerByte: decoderCount('x86_64', 'gzip').instructions_per_output_byte },
    { algorithm: 'xz', arch: 'x86_64', msPerByte: decoderCount('x86_64', 'xz').instructions_per_output_byte * 0.2 },
  ];
  assert.throws(() => fitMissCost(bad, 'times.csv'), /times\.csv: the fit gives .* not a cost/);
});

test('a board naming a core family the model does not know is refused at its line', () => {
  assert.throws(
    () =>
      parseBoard(
        `name: test-board\ndescription: x\narch: arm\nxip: false\ncore: {family: cortex-z9, clock_ghz: 1}\nsources: {core: test}\nunknown: {storage: t, ram_bytes: t, boot_budget_ms: t, flash_read_mb_s: t}\n`,
        'test-board.yaml',
      ),
    /test-board\.yaml:5:\d+: .*no core family "cortex-z9" in data\/core-families\.csv; known: armv7-a/,
  );
});

test("a model's error is its distance from the published range: 0 inside it, as for a bound it meets", () => {
  const r = { lo: 0.592, mid: 0.602, hi: 0.613 };
  assert.equal(rangeError(0.6, r), 0);
  close(rangeError(0.514, r), 0.514 / 0.592 - 1, 'below: from the low end');
  close(rangeError(0.7, r), 0.7 / 0.613 - 1, 'above: from the high end');
  const over7 = validation().find((v) => v.source_id === 'king-2019' && v.algorithm === 'lz4')!;
  assert.equal(over7.published.hi, 1 / 7);
  assert.ok(over7.model < 1 / 7 && over7.error === 0, `"over 7 times faster" is met by ${over7.model}`);
  close(rangeError(0.2, over7.published), 0.2 * 7 - 1, 'a ratio that misses the bound is off by its distance from it');
});

test('the x86 pairs carry the ratio measured on this machine with the same decoders; others have none', () => {
  // medians per output byte straight from the CSV, independently of branch-miss.ts
  const lines = readFileSync(projectPath('data', 'host-kernel-decoder-times.csv'), 'utf8').trim().split('\n');
  const head = lines[0]!.split(',');
  const col = (name: string) => head.indexOf(name);
  const per = new Map<string, number[]>();
  for (const l of lines.slice(1)) {
    const f = l.match(/("[^"]*"|[^,]*)(,|$)/g)!.map((x) => x.replace(/,$/, ''));
    const k = f[col('algorithm')]!;
    per.set(k, [...(per.get(k) ?? []), Number(f[col('kernel_decoder_ms')]) / Number(f[col('output_bytes')])]);
  }
  const med = (a: number[]) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const rows = validation();
  const x86 = rows.filter((v) => v.counts === 'x86_64');
  assert.ok(x86.length >= 8);
  for (const v of x86) {
    close(v.host_measured!, med(per.get(v.algorithm)!) / med(per.get(v.reference)!), `${v.source_id} ${v.algorithm}`);
    close(v.host_error!, rangeError(v.host_measured!, v.published), `${v.source_id} ${v.algorithm} error`);
  }
  for (const v of rows.filter((v) => v.counts !== 'x86_64')) assert.equal(v.host_measured, null, `${v.source_id}: not timed here`);
});

test('published times at a known clock: the calibrations reproduce themselves, the rest are counted cost over the family IPC', () => {
  const rows = timeValidation();
  const cal = rows.filter((t) => t.calibrates);
  assert.deepEqual(
    cal.map((t) => `${t.source_id}:${t.algorithm}`).sort(),
    coreFamilies()
      .filter((f) => f.calibration)
      .map((f) => f.calibration)
      .sort(),
  );
  for (const t of cal) {
    close(t.model.mid, t.published.mid, t.source_id);
    assert.equal(t.error, 0);
  }
  const lee = rows.find((t) => t.source_id === 'lee-2013-1.7ghz-ua' && t.algorithm === 'lzo')!;
  close(lee.model.mid, (decoderCount('arm', 'lzo').instructions_per_output_byte * 14e6) / (familyIpc('armv7-a').ipc.mid * 1.7e9), 'Lee 1.7 GHz lzo');
  close(lee.published.mid, 6.0 / 52.2, 'its published time');
  assert.ok(lee.error > 0.25, 'the faster board: twice the calibration IPC');
  assert.ok(lee.covered, 'inside the range its own figure widened (by construction)');
  assert.ok(!rows.some((t) => t.source_id.startsWith('opdenacker-2012-panda')), 'no clock, no absolute time');
});

test('a bound gives no IPC; a pair without a count is skipped for the ranges and refused for the page, at its line', () => {
  const lee = publishedMeasurements().find((r) => r.source_id === 'lee-2013-1.7ghz-ua' && r.algorithm === 'lzo')!;
  assert.ok(impliedIpc(lee, 0));
  assert.equal(impliedIpc({ ...lee, mb_s: '>52.2' }, 0), null, 'over 52.2 MB/s: no IPC to span');
  assert.equal(impliedIpc({ ...lee, clock_ghz: '~1.7', mb_s: '>52.2' }, 0), null, 'a bound behind another qualifier');
  const header = readFileSync(projectPath('data', 'published-decompression.csv'), 'utf8').split('\n')[0]!;
  const line = readFileSync(projectPath('data', 'published-decompression.csv'), 'utf8').split('\n')[1]!;
  assert.throws(() => parsePublishedTable(`${header}\n${line.replace(',1.5,lzo,lzo,14,', ',0,lzo,lzo,14,')}\n`, 'p.csv'), /p\.csv:2.*clock_ghz.*more than 0/);
  const typo = { ...lee, family: 'armv7a', line: 98 };
  assert.throws(() => validation([...publishedMeasurements(), typo]), /published-decompression\.csv:98: family armv7a is not in data\/core-families\.csv/);
  const second = {
    ...publishedMeasurements().find((r) => r.source_id === 'lee-2013-1.7ghz-ua' && r.algorithm === 'lz4')!,
    calibrates: 'yes' as const,
    line: 97,
  };
  assert.throws(() => validation([...publishedMeasurements(), second]), /:97: calibrates=yes, but no core family is calibrated on lee-2013-1\.7ghz-ua:lz4/);
  const ghost = { ...publishedMeasurements().find((r) => r.source_id === 'lee-2013-1.5ghz-ua' && r.algorithm === 'lz4')!, counts: 'no-such-row', line: 99 };
  const rows = [...publishedMeasurements(), ghost];
  assert.throws(() => validation(rows), /data\/published-decompression\.csv:99: no instruction count for lz4 on no-such-row/);
  assert.equal(validation(rows, undefined, true).length, validation().length, 'skipped, the rest kept');
  // x86's branch-miss cost unavailable (this machine's timings broken): the ranges go on without those pairs, the page stops
  const broken = (f: string) => {
    if (f.startsWith('x86')) throw new CoreModelError('data/host-kernel-decoder-times.csv:2: timed and counted payloads differ');
    return 0;
  };
  assert.throws(() => validation(undefined, broken), /host-kernel-decoder-times\.csv:2/);
  const kept = validation(undefined, broken, true);
  assert.ok(kept.length > 0 && kept.every((v) => !v.family.startsWith('x86')) && kept.every((v) => v.host_measured === null));
});

test('a machine row that cannot be costed is left out of the width, and every basis names it', () => {
  const row = publishedMeasurements().find((r) => r.source_id === 'lee-2013-1.7ghz-ua' && r.algorithm === 'lzo')!;
  const counts = row.counts;
  const before = familyIpc('armv5te').ipc;
  try {
    row.counts = 'no-such-row';
    const v5 = familyIpc('armv5te');
    assert.ok(v5.ipc.hi / v5.ipc.mid < before.hi / before.mid, 'the width narrows without the 1.7 GHz board');
    assert.match(
      v5.basis,
      /left out of the width, unreadable: lee-2013-1\.7ghz-ua \(data\/published-decompression\.csv:\d+: no instruction count for lzo on no-such-row/,
    );
    assert.throws(() => timeValidation(), /published-decompression\.csv:\d+: no instruction count for lzo on no-such-row/);
  } finally {
    row.counts = counts;
  }
  assert.deepEqual(familyIpc('armv5te').ipc, before);
});

test('validation: every published pair is compared, and docs/boot-model-validation.md is what the tables give', () => {
  const rows = validation();
  const pairs = publishedMeasurements().filter((r) => r.algorithm !== r.reference);
  assert.equal(rows.length, pairs.length);
  for (const v of rows) {
    close(v.model, decoderCost(v.counts, v.algorithm, v.k) / decoderCost(v.counts, v.reference, v.k), v.source_id);
    assert.equal(v.k, familyMissCost(v.family));
    close(v.error, rangeError(v.model, v.published), 'error');
  }
  assert.equal(readFileSync(projectPath('docs', 'boot-model-validation.md'), 'utf8'), validationMarkdown(), 'run node dist/scripts/boot-model-validation.js');
});
