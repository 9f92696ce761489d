// Exactness: a kernel profile's output must equal the kernel build's own
// command (scripts/Makefile.lib and scripts/xz_wrap.sh as of 6.1 / 6.12,
// piped on stdin exactly like the build), and reproduce the shipped Debian
// payloads byte for byte.
//
// Default run: a generated code-like input plus the cloud kernel's lz4
// payload (fast). KZBENCH_SLOW=1 adds the full amd64 kernel for all seven
// algorithms (~4 minutes), the shipped xz payload, and armhf when present.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { compress, kernelProfile, parseSetting, type Algorithm, type CodecSetting } from '../src/codecs/index.js';
import { codeLike } from '../src/codecs/synthetic.js';
import { realKernel, type RealKernelName } from './corpus.js';

const SLOW = process.env.KZBENCH_SLOW === '1';

function haveTools(): string | undefined {
  const missing = ['gzip', 'bzip2', 'lzma', 'xz', 'lzop', 'lz4', 'zstd'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  return missing.length ? `tools missing: ${missing.join(', ')}` : undefined;
}
const noTools = haveTools();

/** Run a shell pipeline with `input` on stdin, as `cat file | CMD` does in the build. */
function sh(cmd: string, input: Uint8Array): Buffer {
  const r = spawnSync('sh', ['-c', cmd], { input, maxBuffer: input.length * 2 + (64 << 20) });
  if (r.error) throw r.error;
  assert.equal(r.status, 0, `${cmd}: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** The stream without the kernel's appended size, checking that size. */
function stream(setting: CodecSetting, stored: Uint8Array, inputBytes: number): Buffer {
  const b = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (!setting.params.size_append) return b;
  assert.equal(b.readUInt32LE(b.length - 4), inputBytes >>> 0, 'appended size');
  return b.subarray(0, b.length - 4);
}

/** lzop stores the time it ran (stdin has no mtime): take it from the tool's header. */
function withLzopTime(setting: CodecSetting, cli: Buffer): CodecSetting {
  if (setting.algorithm !== 'lzo') return setting;
  const mtime = cli.readUInt32BE(25);
  return parseSetting(`${setting.key},mtime=${mtime}`);
}

function assertSameBytes(ours: Buffer, cli: Buffer, what: string): void {
  if (ours.equals(cli)) return;
  let at = 0;
  while (at < Math.min(ours.length, cli.length) && ours[at] === cli[at]) at++;
  assert.fail(`${what}: ${ours.length} bytes vs the tool's ${cli.length}, first difference at ${at}`);
}

/** Makefile.lib (6.1) commands for x86, each followed by size_append except gzip. */
const MAKEFILE_61_X86: Record<Algorithm, string> = {
  gzip: 'gzip -n -f -9',
  bzip2: 'bzip2 -9',
  lzma: 'lzma -9',
  xz: 'xz --check=crc32 --x86 --lzma2=,dict=32MiB',
  lzo: 'lzop -9',
  lz4: 'lz4 -l -9 - -',
  zstd: 'zstd -22 --ultra',
};

function checkProfile(alg: Algorithm, target: Parameters<typeof kernelProfile>[1], cmd: string, input: Uint8Array): number {
  const cli = sh(cmd, input);
  const setting = withLzopTime(kernelProfile(alg, target), cli);
  const stored = compress(setting, input);
  assertSameBytes(stream(setting, stored, input.length), cli, `${setting.key} vs \`${cmd}\``);
  return stored.length;
}

describe('kernel profiles equal the kernel build commands (generated input)', { skip: noTools }, () => {
  const input = codeLike(3 << 20, 11);
  for (const alg of Object.keys(MAKEFILE_61_X86) as Algorithm[]) {
    it(`x86 6.1 ${alg}: ${MAKEFILE_61_X86[alg]}`, () => {
      checkProfile(alg, { arch: 'x86_64', kernelVersion: '6.1.0-56-amd64' }, MAKEFILE_61_X86[alg], input);
    });
  }

  const small = codeLike(1 << 20, 12);
  const xzCases: [string, Parameters<typeof kernelProfile>[1], string][] = [
    ['arm 6.1', { arch: 'armhf', kernelVersion: '6.1.0-50-armmp' }, 'xz --check=crc32 --arm --lzma2=,dict=32MiB'],
    ['x86 6.12', { arch: 'x86_64', kernelVersion: '6.12.117' }, 'xz --check=crc32 --threads=1 --x86 --lzma2=,dict=128MiB'],
    ['arm 6.12', { arch: 'arm', kernelVersion: '6.12.1' }, 'xz --check=crc32 --threads=1 --arm --lzma2=lp=2,lc=2,dict=128MiB'],
    ['arm thumb2 6.12', { arch: 'arm', kernelVersion: '6.12.1', thumb2: true }, 'xz --check=crc32 --threads=1 --armthumb --lzma2=lp=1,dict=128MiB'],
    ['arm64 6.12', { arch: 'arm64', kernelVersion: '6.12.1' }, 'xz --check=crc32 --threads=1 --arm64 --lzma2=lp=2,lc=2,dict=128MiB'],
    ['riscv 6.12 (xz 5.4: no BCJ)', { arch: 'riscv64', kernelVersion: '6.12.1' }, 'xz --check=crc32 --threads=1 --lzma2=lp=1,dict=128MiB'],
  ];
  for (const [name, target, cmd] of xzCases) {
    it(`xz ${name}: ${cmd}`, () => {
      checkProfile('xz', target, cmd, small);
    });
  }
  it('arm64 Image.zst: zstd -19', () => {
    checkProfile('zstd', { arch: 'arm64' }, 'zstd -19', small);
  });
  it('arm64 Image.lz4 / Image.lzma: no appended size', () => {
    checkProfile('lz4', { arch: 'arm64' }, 'lz4 -l -9 - -', small);
    checkProfile('lzma', { arch: 'arm64' }, 'lzma -9', small);
  });

  it('zlib backend is within 0.5% of GNU gzip at -9 (2% at -1 and -6)', () => {
    for (const [level, tol] of [
      [1, 0.02],
      [6, 0.02],
      [9, 0.005],
    ]) {
      const cli = compress(parseSetting(`gzip:${level},backend=gzip-cli`), input).length;
      const zl = compress(parseSetting(`gzip:${level},backend=zlib`), input).length;
      assert.ok(Math.abs(zl - cli) / cli < tol, `gzip -${level}: zlib ${zl} vs gzip ${cli}`);
    }
  });
});

describe('settings equal the tools beyond the kernel profiles (1 MiB input)', { skip: noTools }, () => {
  const input = codeLike(1 << 20, 13);
  const cases: [string, string][] = [
    ['bzip2:1', 'bzip2 -1'],
    ['bzip2:5', 'bzip2 -5'],
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((p): [string, string] => [`xz:${p}`, `xz -${p}`]),
    ['xz:9e', 'xz -9e'],
    ['xz:3e,check=crc32', 'xz -3e --check=crc32'],
    ['xz:6,bcj=powerpc,check=none', 'xz --powerpc --lzma2=preset=6 --check=none'],
    ['xz:6,bcj=sparc', 'xz --sparc --lzma2=preset=6'],
    ['xz:6,bcj=ia64', 'xz --ia64 --lzma2=preset=6'],
    ['xz:6,dict=2MiB,lc=1,lp=1,pb=1,mode=fast,nice=100,mf=hc4,depth=20', 'xz --lzma2=preset=6,dict=2MiB,lc=1,lp=1,pb=1,mode=fast,nice=100,mf=hc4,depth=20'],
    ['xz:1,mf=bt2,mode=normal', 'xz --lzma2=preset=1,mf=bt2,mode=normal'],
    ['xz:6,check=sha256', 'xz -6 --check=sha256'],
    ['lzma:0', 'lzma -0'],
    ['lzma:6', 'lzma -6'],
    ['lzma:9e', 'lzma -9e'],
    ['lz4:1', 'lz4 -1'],
    ['lz4:9', 'lz4 -9'],
    ['lz4:12', 'lz4 -12'],
    ['lz4:9,linked', 'lz4 -9 -BD'],
    ['lz4:4,block=64KiB', 'lz4 -4 -B4'],
    ['lz4:1,legacy', 'lz4 -l -1 - -'],
    ['lz4:12,legacy', 'lz4 -l -12 - -'],
    ['zstd:1', 'zstd -1'],
    ['zstd:3', 'zstd -3'],
    ['zstd:19', 'zstd -19'],
    ['zstd:19,workers=0', 'zstd -19 --single-thread'],
    ['zstd:9,long', 'zstd -9 --long'],
    ['zstd:5,window_log=20', 'zstd -5 --zstd=wlog=20'],
  ];
  for (const [spec, cmd] of cases) {
    it(`${spec} = ${cmd}`, () => {
      const ours = Buffer.from(compress(parseSetting(spec), input));
      assertSameBytes(ours, sh(cmd, input), spec);
    });
  }
  for (const level of [1, 3, 7, 9]) {
    it(`lzo:${level} = lzop -${level} (header time from the tool)`, () => {
      const cli = sh(`lzop -${level}`, input);
      const ours = Buffer.from(compress(parseSetting(`lzo:${level},mtime=${cli.readUInt32BE(25)}`), input));
      assertSameBytes(ours, cli, `lzo:${level}`);
    });
  }
});

// The distribution's own payloads: Debian built them with xz 5.4.1 and lz4
// 1.9.4, the libraries the addon links, so the bytes must be equal.
describe('shipped Debian payloads (real kernels)', () => {
  const cases: [RealKernelName, Algorithm][] = [
    ['cloud-amd64', 'lz4'],
    ['amd64', 'xz'],
    ['armhf', 'xz'],
  ];
  for (const [name, algorithm] of cases) {
    const k = realKernel(name);
    it(
      `${name}: the ${algorithm} kernel profile gives the shipped payload byte for byte`,
      { skip: k ? false : 'not in the cache: run scripts/fetch-test-kernels' },
      (t) => {
        const img = k!.image;
        assert.equal(img.payload?.algorithm, algorithm);
        const target = { arch: img.arch, kernelVersion: img.release ?? undefined, thumb2: img.config?.thumb2 ?? false };
        const ours = Buffer.from(compress(kernelProfile(algorithm, target), img.kernel));
        assertSameBytes(ours, Buffer.from(k!.shippedPayload!), `${name} ${algorithm} payload`);
        t.diagnostic(`${img.release}: ${ours.length} bytes = the shipped payload`);
      },
    );
  }
});

describe('full kernels, every algorithm vs the build command (KZBENCH_SLOW=1)', { skip: SLOW ? noTools : 'set KZBENCH_SLOW=1 (about 4 minutes)' }, () => {
  const kernels: [RealKernelName, string, Parameters<typeof kernelProfile>[1], Record<string, string>][] = [
    ['amd64', 'amd64 6.1', { arch: 'x86_64', kernelVersion: '6.1.0-56-amd64' }, MAKEFILE_61_X86],
    [
      'armhf',
      'armhf 6.1',
      { arch: 'armhf', kernelVersion: '6.1.0-50-armmp' },
      {
        gzip: 'gzip -n -f -9',
        lzma: 'lzma -9',
        xz: 'xz --check=crc32 --arm --lzma2=,dict=32MiB',
        lzo: 'lzop -9',
        lz4: 'lz4 -l -9 - -',
      },
    ],
  ];
  for (const [file, name, target, cmds] of kernels) {
    for (const [alg, cmd] of Object.entries(cmds)) {
      it(`${name} ${alg}: ${cmd}`, { skip: realKernel(file) ? false : 'not in the cache: run scripts/fetch-test-kernels' }, (t) => {
        const input = realKernel(file)!.image.kernel;
        const bytes = checkProfile(alg as Algorithm, target, cmd, input);
        t.diagnostic(`${name} ${alg}: ${bytes} bytes stored (kernel profile) = tool output${alg === 'gzip' ? '' : ' + 4-byte size'}`);
      });
    }
  }
});
