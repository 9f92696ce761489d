// kzbench pick (issue 5): strategies, limits, the frontier and the
// recommendation, on the measured stub table, the measured xipImage, real
// Debian images when cached, and end to end through the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  formatRules,
  kernelFacts,
  loadBoard,
  loadStubTable,
  loadXipTable,
  markPareto,
  parseBoard,
  parseRules,
  pick,
  recommend,
  stubRows,
  xipSectionsFromTable,
  decoderCount,
  type Board,
  type Candidate,
  type KernelFacts,
  type MeasuredPayload,
} from '../src/model/index.js';
import { openKernelImage } from '../src/image/index.js';
import { buildElf, codeLike, smallKernel } from './fixtures/images.js';
import { realKernel } from './corpus.js';
import { kz, oneLineError } from './cli-helpers.js';
import { kernelProfile, type Algorithm } from '../src/codecs/index.js';

/** The kernel build's own setting for an algorithm (what the kernel's decompressor reads). */
const profile = (algorithm: string, arch: string, kernelVersion = '6.12.117') => kernelProfile(algorithm as Algorithm, { arch, kernelVersion }).key;

const stubs = loadStubTable();
const tiny = stubRows(stubs, 'x86_64', 'tinyconfig');

function board(yaml: string): Board {
  return parseBoard(yaml, 'test-board.yaml');
}

/** What the x86_64 tinyconfig builds measured, as if `kzbench run` had measured them (no host timings). */
function tinyPayloads(algorithms: readonly string[]): MeasuredPayload[] {
  return tiny
    .filter((r) => algorithms.includes(r.algorithm))
    .map((r) => ({
      algorithm: r.algorithm,
      setting: profile(r.algorithm, 'x86_64'),
      payloadBytes: r.payloadBytes,
      outputBytes: r.uncompressedBytes,
    }));
}

/** An x86_64 vmlinux with no stub of its own: the model takes the table's stubs. */
const tinyFacts: KernelFacts = { arch: 'x86_64', own: null, kernelMemoryBytes: 0, kernelMemorySource: 'test', sections: [], thumb2: false };

const noLimits = `
name: test-board
description: an x86_64 box with a kernel partition
arch: x86_64
xip: false
sources:
  kernel_partition_bytes: test
unknown:
  flash_read_mb_s: test
  ram_bytes: test
  boot_budget_ms: test
  decompression: test
`;

test('format rules: every rule has its source; a rule without one is refused', () => {
  const r = formatRules();
  for (const [k, v] of Object.entries(r.numbers)) assert.ok(v > 0 && r.sources[k]!.length > 20, k);
  assert.match(r.sources['x86_extract_extra']!, /header\.S/);
  assert.throws(() => parseRules('key,value,unit,applies_to,source\nsetup_align,4096,bytes,x,\n', 'r.csv'), /r\.csv:2: setup_align has no source/);
  assert.throws(() => parseRules('key,value,unit,applies_to,source\nsetup_align,4096,bytes,x,s\n', 'r.csv'), /missing data_align/);
});

test('the decision turns on the stub: zstd has the smaller payload, gzip the smaller image, and gzip is picked', () => {
  const gzip = tiny.find((r) => r.algorithm === 'gzip')!;
  const zstd = tiny.find((r) => r.algorithm === 'zstd')!;
  assert.ok(zstd.payloadBytes < gzip.payloadBytes, 'zstd payload is smaller');
  // Without a budget: the least flash wins (no speeds known), and that is gzip.
  const free = pick({
    board: board(noLimits.replace('sources:', 'kernel_partition_bytes: 100000000\nsources:')),
    facts: tinyFacts,
    measured: tinyPayloads(['gzip', 'zstd']),
    stubs,
  });
  const self = (res: typeof free, a: string) => res.candidates.find((c) => c.strategy === 'self-decompressing' && c.algorithm === a)!;
  assert.ok(self(free, 'gzip').flash_bytes! < self(free, 'zstd').flash_bytes!, 'gzip image is smaller');
  assert.equal(self(free, 'gzip').flash_bytes, gzip.imageBytes, 'the predicted image is the built one');
  assert.equal(self(free, 'zstd').flash_bytes, zstd.imageBytes);
  assert.equal(free.recommendation?.algorithm, 'gzip');
  assert.equal(self(free, 'zstd').pareto, false, 'zstd is dominated on flash (RAM: its init_size is larger too)');
  // A partition between the two images: zstd does not fit, with the overage in plain numbers.
  const budget = gzip.imageBytes + Math.floor((zstd.imageBytes - gzip.imageBytes) / 2);
  const tight = pick({
    board: board(noLimits.replace('sources:', `kernel_partition_bytes: ${budget}\nsources:`)),
    facts: tinyFacts,
    measured: tinyPayloads(['gzip', 'zstd']),
    stubs,
  });
  const z = self(tight, 'zstd');
  assert.equal(z.fits, false);
  assert.equal(z.reason, `zstd: ${(zstd.imageBytes - budget).toLocaleString('en-US')} bytes over the ${budget.toLocaleString('en-US')}-byte partition`);
  assert.equal(z.flash_headroom_bytes, budget - zstd.imageBytes);
  assert.equal(tight.recommendation?.algorithm, 'gzip');
  assert.equal(tight.recommendation?.flash_headroom_bytes, budget - gzip.imageBytes);
});

test('x86 RAM is the header.S init_size rule: every tinyconfig build reproduced, bzip2 pays for its 4 MiB heap', () => {
  const res = pick({
    board: board(noLimits.replace('sources:', 'kernel_partition_bytes: 100000000\nsources:')),
    facts: tinyFacts,
    measured: tinyPayloads(tiny.map((r) => r.algorithm)),
    stubs,
  });
  for (const row of tiny) {
    const c = res.candidates.find((x) => x.strategy === 'self-decompressing' && x.algorithm === row.algorithm)!;
    assert.equal(c.ram_bytes, row.initSize, row.algorithm);
  }
  const ram = (a: string) => res.candidates.find((x) => x.strategy === 'self-decompressing' && x.algorithm === a)!.ram_bytes!;
  assert.ok(ram('bzip2') - ram('gzip') > 3_000_000, `bzip2 ${ram('bzip2')} vs gzip ${ram('gzip')}`);
  // A kernel whose bss makes VO_INIT_SIZE the larger side: RAM is the kernel's own footprint.
  const big = pick({
    board: board(noLimits.replace('sources:', 'kernel_partition_bytes: 100000000\nsources:')),
    facts: { ...tinyFacts, kernelMemoryBytes: 50_000_000 },
    measured: tinyPayloads(['gzip']),
    stubs,
  });
  assert.equal(big.candidates.find((x) => x.algorithm === 'gzip')!.ram_bytes, 50_000_000);
});

test('XIP on the STM32F429 board: the measured xipImage does not fit 2 MiB of flash, and says by how much', () => {
  const stm = loadBoard('stm32f429-disco');
  const sections = xipSectionsFromTable(loadXipTable());
  const facts: KernelFacts = { arch: 'arm', own: null, kernelMemoryBytes: 3_207_552, kernelMemorySource: 'test', sections, thumb2: true };
  const res = pick({ board: stm, facts, measured: [], stubs });
  const xip = res.candidates.find((c) => c.strategy === 'xip')!;
  const flashTotal = loadXipTable().find((r) => r.part === 'flash_total')!.bytes;
  assert.ok(Math.abs(xip.flash_bytes! - flashTotal) / flashTotal <= 0.01, `${xip.flash_bytes} vs the built ${flashTotal}`);
  assert.equal(xip.fits, false);
  assert.equal(
    xip.reason,
    `xip: ${(xip.flash_bytes! - stm.imageBudgetBytes!).toLocaleString('en-US')} bytes over the ${stm.imageBudgetBytes!.toLocaleString('en-US')} bytes of flash`,
  );
  assert.equal(res.recommendation, null);
});

test('the frontier: dominated candidates are off it; unknown boot times rank after known ones', () => {
  const c = (over: Partial<Candidate>): Candidate => ({
    board: 'b',
    strategy: 'self-decompressing',
    algorithm: 'x',
    setting: 'x',
    flash_bytes: 10,
    ram_bytes: 10,
    boot_ms: null,
    boot_ms_low: null,
    boot_ms_high: null,
    read_ms: null,
    read_ms_low: null,
    read_ms_high: null,
    decompress_ms: null,
    decompress_ms_low: null,
    decompress_ms_high: null,
    boot_source: '',
    boot_basis: '',
    boot_rank: null,
    boot_within_range_of: [],
    unchecked: [],
    fits: true,
    reason: '',
    flash_headroom_bytes: null,
    ram_headroom_bytes: null,
    boot_headroom_ms: null,
    pareto: false,
    basis: '',
    ...over,
  });
  const a = c({ algorithm: 'a', flash_bytes: 5, boot_ms: 100 });
  const b = c({ algorithm: 'b', flash_bytes: 8, boot_ms: 50 });
  const d = c({ algorithm: 'd', flash_bytes: 9, boot_ms: 120 }); // worse than a on everything
  const e = c({ algorithm: 'e', flash_bytes: 4, fits: false, reason: 'too big' });
  const f = c({ algorithm: 'f', flash_bytes: 3, ram_bytes: 30, boot_ms: null });
  const all = [a, b, d, e, f];
  markPareto(all);
  assert.deepEqual(
    all.map((x) => x.pareto),
    [true, true, false, false, true],
  );
  assert.equal(recommend(all).pick, b, 'fastest boot on the frontier');
  assert.match(recommend(all).why, /fastest boot/);
});

test('boards: bootloader_decompression needs its source; rpi3b lists what U-Boot booti detects (no xz)', () => {
  assert.throws(
    () => board(noLimits.replace('xip: false', 'xip: false\nbootloader_decompression: [gzip]')),
    /bootloader_decompression is given without its source/,
  );
  const rpi = loadBoard('rpi3b-uboot');
  assert.ok(rpi.bootloader_decompression?.includes('gzip') && !rpi.bootloader_decompression.includes('xz'));
});

test('a board figure overrides the model for its algorithm and calibrates the board for the others', () => {
  const qnap = loadBoard('qnap-ts219');
  const measured: MeasuredPayload[] = [
    { algorithm: 'lzo', setting: profile('lzo', 'arm'), payloadBytes: 2_000_000, outputBytes: 5_000_000 },
    { algorithm: 'xz', setting: profile('xz', 'arm'), payloadBytes: 1_500_000, outputBytes: 5_000_000 },
  ];
  const facts: KernelFacts = { arch: 'arm', own: null, kernelMemoryBytes: 6_000_000, kernelMemorySource: 'test', sections: [], thumb2: false };
  const lzoFig = { mb_s: 20, rate_of: 'input' as const, source: 'test', measured_on: 'this board', proxy: false };
  const withFigure: Board = { ...qnap, decompression: { lzo: lzoFig } };
  const res = pick({ board: withFigure, facts, measured, stubs });
  const lzo = res.candidates.find((c) => c.algorithm === 'lzo' && c.strategy === 'self-decompressing')!;
  const xz = res.candidates.find((c) => c.algorithm === 'xz' && c.strategy === 'self-decompressing')!;
  assert.equal(lzo.decompress_ms, (2_000_000 / 20e6) * 1000, 'lzo: the board figure, compressed bytes per second');
  assert.equal(lzo.decompress_ms_low, lzo.decompress_ms);
  assert.match(lzo.boot_source, /board figure/);
  // xz: its counted instructions at the board's instructions per second (lzo's count x 20 MB/s x lzo's 2.5:1)
  const ipb = (alg: string) => decoderCount('armv5te', alg).instructions_per_output_byte;
  const ips = ipb('lzo') * 20e6 * (5_000_000 / 2_000_000);
  assert.ok(Math.abs(xz.decompress_ms! - ((ipb('xz') * 5_000_000) / ips) * 1000) < 1e-6);
  assert.match(xz.boot_source, /its lzo figure/);
  assert.ok(xz.decompress_ms_low! <= xz.decompress_ms! && xz.decompress_ms! <= xz.decompress_ms_high!);
  // The arm zImage RAM rule: Image + zImage + the decompressor's stack and heap.
  const r = formatRules().numbers;
  assert.equal(lzo.ram_bytes, Math.max(5_000_000 + lzo.flash_bytes! + r.arm_stack_bytes + r.arm_malloc_bytes, 6_000_000));
  assert.ok(lzo.unchecked.includes('ram'), 'the QNAP board has no RAM figure');
});

test(
  'real Debian amd64: pick predicts its own bzImage within 0.5% and its init_size exactly',
  { skip: !realKernel('amd64') && 'Debian amd64 kernel not in the cache (scripts/fetch-test-kernels)' },
  () => {
    const k = realKernel('amd64')!;
    const img = openKernelImage(k.path);
    const facts = kernelFacts(img);
    const own: MeasuredPayload = {
      algorithm: 'xz',
      setting: profile('xz', img.arch, img.version!),
      payloadBytes: img.payload!.storedBytes,
      outputBytes: img.payload!.decompressedBytes,
    };
    const res = pick({ board: loadBoard('x86-pc'), facts, measured: [own], stubs });
    const c = res.candidates.find((x) => x.strategy === 'self-decompressing')!;
    const real = img.fileBytes - img.signatureBytes;
    assert.ok(Math.abs(c.flash_bytes! - real) / real <= 0.005, `${c.flash_bytes} vs ${real}`);
    assert.equal(c.ram_bytes, img.header['init_size']);
    assert.ok(
      facts.kernelMemoryBytes > 50_000_000 && facts.kernelMemoryBytes < Number(img.header['init_size']),
      `${facts.kernelMemoryBytes} (${facts.kernelMemorySource})`,
    );
  },
);

test(
  'real Debian marvell on the QNAP TS-219: its own zImage predicted within 0.5%, and it does not fit the partition',
  { skip: !realKernel('marvell') && 'Debian marvell kernel not in the cache (scripts/fetch-test-kernels)' },
  () => {
    const k = realKernel('marvell')!;
    const img = k.image;
    const facts = kernelFacts(img);
    const own: MeasuredPayload = {
      algorithm: 'xz',
      setting: profile('xz', img.arch, img.version!),
      payloadBytes: img.payload!.storedBytes,
      outputBytes: img.payload!.decompressedBytes,
    };
    const qnap = loadBoard('qnap-ts219');
    const res = pick({ board: qnap, facts, measured: [own], stubs });
    const c = res.candidates.find((x) => x.strategy === 'self-decompressing')!;
    assert.ok(Math.abs(c.flash_bytes! - img.fileBytes) / img.fileBytes <= 0.005, `${c.flash_bytes} vs ${img.fileBytes}`);
    assert.equal(c.fits, img.fileBytes <= qnap.imageBudgetBytes!);
    if (!c.fits) assert.match(c.reason, /^xz: [\d,]+ bytes over the 2,097,088-byte partition$/);
  },
);

test(
  'real Debian amd64 as if it had no stub of its own: the tinyconfig table predicts its init_size within 0.5%',
  { skip: !realKernel('amd64') && 'Debian amd64 kernel not in the cache (scripts/fetch-test-kernels)' },
  () => {
    const img = realKernel('amd64')!.image;
    const facts = { ...kernelFacts(img), own: null };
    const xz: MeasuredPayload = {
      algorithm: 'xz',
      setting: profile('xz', img.arch, img.version!),
      payloadBytes: img.payload!.storedBytes,
      outputBytes: img.payload!.decompressedBytes,
    };
    const c = pick({ board: loadBoard('x86-pc'), facts, measured: [xz], stubs }).candidates.find((x) => x.strategy === 'self-decompressing')!;
    const real = Number(img.header['init_size']);
    assert.ok(Math.abs(c.ram_bytes! - real) / real <= 0.005, `predicted ${c.ram_bytes}, header ${real}`);
  },
);

test('when the kernel side of init_size wins, RAM is still known and a recommendation is made', () => {
  const facts: KernelFacts = { ...tinyFacts, kernelMemoryBytes: 20_000_000 };
  const res = pick({
    board: board(noLimits.replace('sources:', 'kernel_partition_bytes: 100000000\nsources:')),
    facts,
    measured: tinyPayloads(['gzip', 'lz4']),
    stubs,
  });
  for (const c of res.candidates.filter((x) => x.strategy === 'self-decompressing')) assert.equal(c.ram_bytes, 20_000_000);
  assert.equal(res.recommendation?.algorithm, 'gzip', 'the smaller image, RAM being equal');
});

test('formats: the kernel decompressor refuses lz4 frames, crc64 xz and a missing size; the boot loader its own list', () => {
  const one = (algorithm: MeasuredPayload['algorithm'], setting: string): MeasuredPayload => ({
    algorithm,
    setting,
    payloadBytes: 600_000,
    outputBytes: 9_000_000,
  });
  const b = board(noLimits.replace('sources:', 'kernel_partition_bytes: 100000000\nsources:'));
  const res = pick({
    board: b,
    facts: tinyFacts,
    measured: [
      one('lz4', 'lz4:9'),
      one('xz', 'xz:6,check=crc64,size_append'),
      one('zstd', 'zstd:19'),
      one('gzip', 'gzip:9'),
      one('bzip2', profile('bzip2', 'x86_64')),
    ],
    stubs,
  });
  const self = (a: string) => res.candidates.find((c) => c.strategy === 'self-decompressing' && c.algorithm === a)!;
  assert.match(self('lz4').reason, /^lz4: the kernel's boot decompressor reads lz4 only with .*frame=legacy, not lz4f \(lib\/decompress_unlz4\.c/);
  assert.match(self('xz').reason, /check=none or crc32, not crc64/);
  assert.match(self('zstd').reason, /size_append=true, not false/);
  assert.equal(self('gzip').fits, true, 'gzip carries its size in its own trailer');
  assert.equal(self('bzip2').fits, true, 'the kernel profile is readable');
  const rpi = loadBoard('rpi3b-uboot');
  const arm64: KernelFacts = { arch: 'arm64', own: null, kernelMemoryBytes: 30_000_000, kernelMemorySource: 'test', sections: [], thumb2: false };
  const r2 = pick({ board: rpi, facts: arm64, measured: [one('lz4', 'lz4:9,legacy,size_append'), one('lz4', 'lz4:9'), one('xz', 'xz:6,check=crc32')], stubs });
  const loader = (setting: string) => r2.candidates.find((c) => c.strategy === 'bootloader' && c.setting === setting)!;
  assert.match(loader('lz4:9,legacy,size_append').reason, /boot loader reads lz4 only with frame=lz4f, not legacy/);
  assert.equal(loader('lz4:9').fits, true);
  assert.match(loader('xz:6,check=crc32').reason, /does not decompress xz/);
});

test('XIP only where the kernel has XIP_KERNEL', () => {
  const x86xip = board(noLimits.replace('xip: false', 'xip: true').replace('sources:', 'kernel_partition_bytes: 100000000\nsources:'));
  const facts: KernelFacts = { ...tinyFacts, sections: [{ name: '.text', kind: 'text', bytes: 1000, fileBytes: 1000 }] };
  const res = pick({ board: x86xip, facts, measured: tinyPayloads(['gzip']), stubs });
  const x = res.candidates.find((c) => c.strategy === 'xip')!;
  assert.equal(x.flash_bytes, null);
  assert.match(x.reason, /x86_64 has no XIP_KERNEL \(only arm, riscv64/);
});

test('kzbench pick end to end: JSON contract, model.csv, and one-line errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kzpick-'));
  const elf = join(dir, 'vmlinux');
  writeFileSync(elf, smallKernel().vmlinux);
  const csv = join(dir, 'model.csv');
  const r = kz('pick', '--board', 'x86-pc', '--image', elf, '--codec', 'gzip', '--codec', 'lz4', '--json', '--csv', csv, '--workers', '1');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const k of ['strategy', 'algorithm', 'setting', 'flash_bytes', 'ram_bytes', 'boot_ms']) assert.ok(k in out.recommendation, k);
  for (const c of out.candidates)
    for (const k of ['strategy', 'algorithm', 'setting', 'flash_bytes', 'ram_bytes', 'boot_ms', 'fits', 'reason']) assert.ok(k in c, k);
  // issue 14's contract: boot = read + decompress, each with its range, and how each part was obtained
  const rec = out.recommendation;
  for (const k of ['read_ms', 'decompress_ms', 'boot_ms']) for (const s of ['', '_low', '_high']) assert.ok(`${k}${s}` in rec, `${k}${s}`);
  assert.ok(rec.decompress_ms_low <= rec.decompress_ms && rec.decompress_ms <= rec.decompress_ms_high);
  assert.equal(rec.read_ms, null, 'x86-pc has no storage read speed');
  assert.match(rec.boot_basis, /^read: unknown .*not counted; decompress /);
  assert.equal(rec.boot_rank, 1);
  assert.ok(Array.isArray(rec.boot_within_range_of));
  assert.equal(out.recommendation.strategy, 'self-decompressing');
  const rows = parse(readFileSync(csv, 'utf8'), { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, out.candidates.length);
  assert.equal(rows.filter((x) => x['recommended'] === 'true').length, 1);
  oneLineError(kz('pick', '--board', 'no-such-board', '--image', elf), /^kzbench: no board named "no-such-board" in .*; known: .*qnap-ts219/);
  oneLineError(kz('pick', '--board', 'qnap-ts219', '--image', elf, '--codec', 'gzip'), /board qnap-ts219 is arm, the kernel is x86_64/);
  oneLineError(kz('pick', '--board', 'x86-pc'), /pick needs --image FILE or --results DIR/);
  oneLineError(kz('pick', '--board', 'x86-pc', '--results', join(dir, 'nowhere')), /nowhere\/results\.csv: cannot read the results: ENOENT/);
});

test('kzbench pick on an XIP board: the XIP data load image is a cell like any other, its row in results.csv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kzpick-xip-'));
  const vmlinux = join(dir, 'vmlinux');
  const data = codeLike(0x3000, 7);
  writeFileSync(
    vmlinux,
    buildElf({
      bits: 32,
      littleEndian: true,
      machine: 40,
      sections: [
        { name: '.text', address: 0xc0008000n, data: codeLike(0x6000, 3), flags: 'ax' },
        { name: '.rodata', address: 0xc000e000n, data: codeLike(0x2000, 5), flags: 'a' },
        { name: '.data', address: 0xc0010000n, data, flags: 'wa' },
        { name: '.bss', address: 0xc0013000n, size: 0x1000, flags: 'bss' },
      ],
      symbols: [{ name: 'start_kernel', address: 0xc0008000n, size: 0x40, kind: 'func', bind: 'global', section: 0 }],
    }),
  );
  const out = join(dir, 'out');
  const r = kz(
    'pick',
    '--board',
    'stm32f429-disco',
    '--image',
    vmlinux,
    '--codec',
    'gzip',
    '--json',
    '--out',
    out,
    '--workers',
    '1',
    '--min-runs',
    '1',
    '--min-time',
    '0',
  );
  assert.equal(r.status, 0, r.stderr);
  const rows = parse(readFileSync(join(out, 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
  const xip = rows.filter((x) => x['unit'] === 'xip-data');
  assert.equal(xip.length, 1, 'one XIP data row, measured by the pool');
  assert.equal(xip[0]!['verified'], 'true');
  assert.equal(Number(xip[0]!['unit_bytes']), data.length, 'the data load image is the initial .data');
  const candidate = JSON.parse(r.stdout).candidates.find((c: { strategy: string }) => c.strategy === 'xip-deflated-data');
  assert.match(candidate.basis, new RegExp(`\\(${Number(xip[0]!['compressed_bytes']).toLocaleString('en-US')} bytes\\)`), 'the model reads the row');
  // From the results directory alone: the row is read back, nothing measured again.
  const again = kz('pick', '--board', 'stm32f429-disco', '--results', out, '--json');
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /measuring/);
  assert.equal(JSON.parse(again.stdout).candidates.find((c: { strategy: string }) => c.strategy === 'xip-deflated-data').flash_bytes, candidate.flash_bytes);
});
