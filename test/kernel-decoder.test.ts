// The kernel's own boot decompressors as decoders: built from Debian's
// linux-source package (fetched by name, cached) with the boot
// decompressor's flags and the image's .config, they decode every kernel
// profile's output exactly; a corrupted payload, or a BCJ filter the
// config does not build, is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compress, kernelAlgorithms, kernelProfile, parseSetting } from '../src/codecs/index.js';
import { autoconf, bootFlags, kernelDecoders } from '../src/kdecoder/build.js';
import { kernelDecode, KernelDecodeError } from '../src/kdecoder/run.js';
import { debianKernelSource, kernelSeries, kernelTree, KernelSourceError, treeVersion } from '../src/kdecoder/source.js';
import { codeLike } from './fixtures/images.js';

test('the .config as autoconf.h, the series of a version, the flags of an arch', () => {
  assert.equal(
    autoconf('# comment\nCONFIG_X86=y\nCONFIG_ZSTD_DECOMPRESS=m\nCONFIG_NR_CPUS=64\nCONFIG_LOCALVERSION="-x"\n# CONFIG_ARM is not set\nCONFIG_BAD=a b\n'),
    '#define CONFIG_X86 1\n#define CONFIG_ZSTD_DECOMPRESS_MODULE 1\n#define CONFIG_NR_CPUS 64\n#define CONFIG_LOCALVERSION "-x"\n',
  );
  assert.equal(kernelSeries('6.1.0-57-amd64'), '6.1');
  assert.equal(kernelSeries('6.12.118'), '6.12');
  assert.throws(() => kernelSeries('unknown'), KernelSourceError);
  assert.match(bootFlags('x86_64').cflags, /-mno-sse/);
  assert.match(bootFlags('x86_64').source, /arch\/x86\/boot\/compressed\/Makefile/);
  assert.throws(() => bootFlags('sparc64'), /no boot decompressor flags for sparc64/);
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-tree-'));
  writeFileSync(join(dir, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 118\n');
  assert.equal(treeVersion(dir), '6.12.118');
  assert.throws(() => kernelTree(dir), /no lib\/decompress_unxz\.c: not a kernel tree/);
});

/** Is Debian's linux-source-6.1 to be had here (cached, or apt knows it)? */
function sourceAvailable(): boolean {
  try {
    execFileSync('apt-cache', ['show', '--no-all-versions', 'linux-source-6.1'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const X86_CONFIG = 'CONFIG_X86=y\nCONFIG_X86_64=y\nCONFIG_64BIT=y\nCONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS=y\n';
const ARM_CONFIG = 'CONFIG_ARM=y\nCONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS=y\n';

test(
  'the kernel decoders of linux 6.1 decode every x86 kernel profile exactly',
  { skip: process.arch !== 'x64' || !sourceAvailable() ? 'needs x86_64 and apt with linux-source-6.1' : false },
  () => {
    const source = debianKernelSource('6.1', (s) => console.log(s));
    assert.match(source.version, /^6\.1\.\d+$/);
    const kd = kernelDecoders(source, 'x86_64', X86_CONFIG);
    assert.deepEqual(kd.failed, {});
    // code-like bytes with a zero run, as a kernel has
    const original = new Uint8Array(3 << 20);
    original.set(codeLike(2 << 20, 11));
    const timing = { minRuns: 2, minTimeMs: 0, maxTimeMs: 10_000 };
    for (const alg of kernelAlgorithms('x86_64')) {
      const setting = parseSetting(kernelProfile(alg, { arch: 'x86_64', kernelVersion: '6.1.0', thumb2: false, bigEndian: false }).key);
      const packed = compress(setting, original);
      const r = kernelDecode(kd.programs[alg]!, packed, original, timing);
      assert.equal(r.samples.length, 2, alg);
      assert.ok(r.cpuMsMedian > 0 && r.mbPerS > 0, alg);
      console.log(`${alg}: kernel decoder ${r.mbPerS.toFixed(0)} MB/s (thread CPU time), ${r.cpuMsMedian.toFixed(2)} ms`);
      // a byte changed in the middle of the stream is an error, never a silent result
      const bad = packed.slice();
      bad[bad.length >> 1] ^= 0x55;
      assert.throws(() => kernelDecode(kd.programs[alg]!, bad, original, timing), KernelDecodeError, alg);
    }
    // The BCJ filter comes from the image's .config, as in the boot: arm's xz payload needs CONFIG_ARM.
    const armXz = compress(parseSetting('xz:preset=6,dict=32MiB,bcj=arm,check=crc32,size_append'), original);
    assert.throws(() => kernelDecode(kd.programs['xz']!, armXz, original, timing), /kernel decompressor/);
    const armKd = kernelDecoders(source, 'x86_64', ARM_CONFIG);
    assert.equal(kernelDecode(armKd.programs['xz']!, armXz, original, timing).samples.length, 2);
  },
);

test(
  'run with decoder: kernel writes the kernel decoder columns beside the library ones',
  { skip: process.arch !== 'x64' || !sourceAvailable() ? 'needs x86_64 and apt with linux-source-6.1' : false },
  async () => {
    const { fixtureDir, writeSuite, kz } = await import('./suite-fixture.js');
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('csv-parse/sync');
    const source = debianKernelSource('6.1');
    const { dir } = fixtureDir('kdecoder-run');
    writeFileSync(join(dir, 'config'), X86_CONFIG);
    const suite = writeSuite(
      dir,
      'k.yaml',
      `images: [{path: bzImage, config: config}]\nsettings:\n  - profile: kernel\n    algorithms: [gzip, lz4, xz]\n  - setting: "xz:preset=6,check=crc64"\ndecoder: kernel\nkernel_source: ${source.dir}\ntiming: {min_runs: 2, min_time_ms: 0}\n`,
    );
    const r = kz('run', suite, '--out', join(dir, 'out'), '--workers', '1');
    assert.equal(r.status, 0, r.stderr);
    const rows = parse(readFileSync(join(dir, 'out', 'results.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.equal(rows.length, 4);
    for (const row of rows.filter((x) => !x['setting']!.includes('crc64'))) {
      assert.equal(row['verified'], 'true');
      assert.ok(Number(row['kernel_decompress_mb_s']) > 0, row['setting']);
      assert.equal(row['kernel_decompress_runs'], '2');
      assert.match(row['kernel_decoder']!, /^linux 6\.1\.\d+ x86_64$/);
    }
    // The kernel's xz decoder reads CRC32 or no check only: said in the row, the library's verified result stands.
    const crc64 = rows.find((x) => x['setting']!.includes('crc64'))!;
    assert.equal(crc64['verified'], 'true');
    assert.equal(crc64['kernel_decompress_mb_s'], '');
    assert.match(crc64['kernel_decoder_error']!, /not supported/);
    const runJson = JSON.parse(readFileSync(join(dir, 'out', 'run.json'), 'utf8'));
    assert.equal(runJson.decoder, 'kernel');
    assert.match(runJson.kernel_decoders[0].source, /^tree /);
    // without the image's .config the kernel decoder cannot be built as the boot builds it
    const noConfig = writeSuite(dir, 'n.yaml', `images: [bzImage]\nsettings: [{profile: kernel, algorithms: [gzip]}]\ndecoder: kernel\n`);
    const bad = kz('run', noConfig, '--out', join(dir, 'out2'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /decoder: kernel needs the image's \.config/);
  },
);

/** Is qemu-user (with -plugin) here? */
function qemuUser(): boolean {
  try {
    execFileSync('qemu-x86_64', ['-h'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test(
  'the instruction counter counts one decode exactly: the same every time, more for more bytes',
  { skip: process.arch !== 'x64' || !sourceAvailable() || !qemuUser() ? 'needs x86_64, linux-source-6.1 and qemu-user' : false },
  async () => {
    const { insnCounter, countInstructions } = await import('../src/kdecoder/count.js');
    const counter = await insnCounter((s) => console.log(s));
    assert.match(counter.method, /QEMU TCG plugin .* qemu-user /);
    const kd = kernelDecoders(debianKernelSource('6.1'), 'x86_64', X86_CONFIG);
    const small = codeLike(1 << 20, 5);
    const big = new Uint8Array(4 << 20);
    for (let i = 0; i < 4; i++) big.set(codeLike(1 << 20, 5 + i), i << 20);
    const setting = parseSetting('lz4:9,frame=legacy,size_append');
    const a = countInstructions(counter, kd, 'lz4', compress(setting, small), small);
    const b = countInstructions(counter, kd, 'lz4', compress(setting, small), small);
    const c = countInstructions(counter, kd, 'lz4', compress(setting, big), big);
    console.log(`lz4: ${a} instructions for 1 MiB, ${c} for 4 MiB`);
    assert.equal(a, b, 'deterministic');
    assert.ok(a > small.length / 4, 'at least a few instructions per 4 bytes');
    assert.ok(c > 3 * a && c < 5 * a, 'about 4x the instructions for 4x the bytes');
    // the branch counter: deterministic, fewer misses than branches, and a
    // Huffman decoder (gzip) misses more per byte than lz4's copy loop
    const { countDecode } = await import('../src/kdecoder/count.js');
    const lz = countDecode(counter, kd, 'lz4', compress(setting, small), small);
    assert.deepEqual(countDecode(counter, kd, 'lz4', compress(setting, small), small), lz, 'deterministic');
    assert.equal(lz.instructions, a);
    assert.ok(lz.conditionalBranches > 0 && lz.mispredicted > 0 && lz.mispredicted < lz.conditionalBranches, JSON.stringify(lz));
    const gz = countDecode(counter, kd, 'gzip', compress(parseSetting('gzip:9'), small), small);
    assert.ok(gz.mispredicted / small.length > (2 * lz.mispredicted) / small.length, `gzip ${gz.mispredicted} vs lz4 ${lz.mispredicted} misses`);
  },
);

test('the boot count starts at the bzImage header code32_start', async () => {
  const { code32Start } = await import('../src/kdecoder/boot.js');
  const { smallKernel } = await import('./fixtures/images.js');
  const bz = smallKernel().bzImage;
  const dv = new DataView(bz.buffer, bz.byteOffset, bz.byteLength);
  assert.equal(code32Start(bz), dv.getUint32(0x214, true));
  assert.throws(() => code32Start(new Uint8Array(4096)), /not an x86 bzImage/);
});
