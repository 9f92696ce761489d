// src/codecs: settings, profiles, round trips, stream decoding, robustness
// on garbage, worker-thread loading. Exactness against the CLI tools is in
// codecs-exactness.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';

import fc from 'fast-check';

import {
  ALGORITHMS,
  backendVersions,
  CodecError,
  compress,
  decodeStream,
  decompress,
  decompressInto,
  kernelAlgorithms,
  kernelProfile,
  parseSetting,
  type Algorithm,
} from '../src/codecs/index.js';
import { codeLike } from '../src/codecs/synthetic.js';

const sample = codeLike(300 * 1024, 7);

function throwsCodec(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected CodecError, got ${String(e)}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

describe('parseSetting', () => {
  it('gives canonical keys that round-trip', () => {
    const cases: [string, string][] = [
      ['xz', 'xz:preset=6,check=crc64'],
      ['xz:9e', 'xz:preset=9e,check=crc64'],
      ['xz:preset=9,dict=64MiB', 'xz:preset=9,check=crc64'], // 64 MiB is preset 9's own dict
      ['xz:6,dict=32MiB,bcj=x86,check=crc32,size_append', 'xz:preset=6,dict=32MiB,bcj=x86,check=crc32,size_append'],
      ['xz:size_append,check=crc32,x86,dict=32M,6', 'xz:preset=6,dict=32MiB,bcj=x86,check=crc32,size_append'],
      ['xz:6,lp=2,lc=2,dict=128MiB,bcj=arm64', 'xz:preset=6,dict=128MiB,lc=2,lp=2,bcj=arm64,check=crc64'],
      ['xz:1,mode=normal,mf=bt4,nice=64,depth=0', 'xz:preset=1,mode=normal,nice=64,mf=bt4,depth=0,check=crc64'],
      ['lzma:9', 'lzma:preset=9'],
      ['gzip:9,backend=zlib', 'gzip:level=9,backend=zlib'],
      ['bzip2', 'bzip2:level=9'],
      ['lz4:9,legacy,size_append', 'lz4:level=9,frame=legacy,size_append'],
      ['lz4', 'lz4:level=1,frame=lz4f'],
      ['lz4:12,linked,block=64KiB', 'lz4:level=12,frame=lz4f,block=64KiB,linked'],
      ['zstd:22,ultra', 'zstd:level=22'],
      ['zstd:19,long', 'zstd:level=19,window_log=27,long'],
      ['zstd:3,wlog=20,workers=0', 'zstd:level=3,window_log=20,workers=0'],
      ['zstd:size_append,content_size,19', 'zstd:level=19,content_size,size_append'],
      ['lzo:9', 'lzo:level=9,method=lzo1x-999'],
      ['lzo:lzo1x-999', 'lzo:level=9,method=lzo1x-999'],
      ['lzo:lzo1x-1', 'lzo:level=3,method=lzo1x-1'],
      ['lzo:1', 'lzo:level=1,method=lzo1x-1-15'],
    ];
    for (const [spec, key] of cases) {
      const s = parseSetting(spec);
      assert.equal(s.key, key, spec);
      assert.equal(parseSetting(s.key).key, key, `round trip of ${key}`);
      assert.deepEqual(parseSetting(s.key).params, s.params);
    }
  });

  it('zstd content_size pledges the size: the frame records it, the bytes round-trip, the piped frame does not', () => {
    const input = new Uint8Array(20_000).map((_, i) => (i * 31) % 97);
    const piped = compress(parseSetting('zstd:19'), input);
    const sized = compress(parseSetting('zstd:19,content_size'), input);
    // Frame_Header_Descriptor (RFC 8878 3.1.1.1.1): Frame_Content_Size_flag in bits 7-6, Single_Segment_flag in bit 5.
    const fhd = (b: Uint8Array) => b[4]!;
    assert.equal(fhd(piped) >> 6, 0, 'no content size without it (as from a pipe)');
    assert.ok(fhd(sized) >> 6 !== 0 || (fhd(sized) & 0x20) !== 0, 'the content size is in the frame header');
    assert.deepEqual(decompress(parseSetting('zstd:19,content_size'), sized, input.length), input);
  });

  it('spells out every LZMA2 field in params', () => {
    const p = parseSetting('xz:9e').params;
    assert.deepEqual(
      { dict: p.dict_bytes, lc: p.lc, lp: p.lp, pb: p.pb, mode: p.mode, nice: p.nice, mf: p.mf, depth: p.depth },
      { dict: 64 << 20, lc: 3, lp: 0, pb: 2, mode: 'normal', nice: 273, mf: 'bt4', depth: 512 },
    );
    assert.equal(parseSetting('xz:0').params.mf, 'hc3');
    assert.equal(parseSetting('gzip:9,backend=zlib').backend, 'zlib');
    assert.equal(parseSetting('zstd').backend, 'libzstd');
  });

  it('refuses bad settings, saying what is allowed', () => {
    throwsCodec(() => parseSetting('brotli:5'), /unknown algorithm "brotli"; allowed: gzip, bzip2, lzma, xz, lzo, lz4, zstd/);
    throwsCodec(() => parseSetting('gzip:10'), /out of range, allowed 1\.\.9/);
    throwsCodec(() => parseSetting('zstd:23'), /allowed 1\.\.22/);
    throwsCodec(() => parseSetting('lz4:13'), /allowed 1\.\.12/);
    throwsCodec(() => parseSetting('xz:10'), /allowed 0\.\.9/);
    throwsCodec(() => parseSetting('xz:bcj=riscv'), /no riscv BCJ filter \(added in xz 5\.6\.0\); available: .*arm64/);
    throwsCodec(() => parseSetting('xz:bcj=mips'), /bcj=mips: unknown; allowed:/);
    throwsCodec(() => parseSetting('lzma:bcj=x86'), /unknown field "bcj=x86"; allowed:/);
    throwsCodec(() => parseSetting('xz:lc=3,lp=2'), /exceeds 4/);
    throwsCodec(() => parseSetting('xz:mf=bt5'), /allowed: hc3, hc4, bt2, bt3, bt4/);
    throwsCodec(() => parseSetting('xz:dict=1KiB'), /allowed 4KiB\.\.1536MiB/);
    throwsCodec(() => parseSetting('bzip2:9,colour=blue'), /unknown field "colour=blue"/);
    throwsCodec(() => parseSetting('lz4:legacy,linked'), /cannot be used with frame=legacy/);
    throwsCodec(() => parseSetting('lzo:1,method=lzo1x-999'), /level 1 uses lzo1x-1-15/);
    throwsCodec(() => parseSetting('gzip:backend=pigz'), /allowed: gzip-cli, zlib/);
  });
});

describe('kernel profiles', () => {
  it('reproduce the 6.1 commands on x86', () => {
    const t = { arch: 'x86_64', kernelVersion: '6.1.0-56-amd64' };
    const keys = Object.fromEntries(ALGORITHMS.map((a) => [a, kernelProfile(a, t).key]));
    assert.deepEqual(keys, {
      gzip: 'gzip:level=9,backend=gzip-cli',
      bzip2: 'bzip2:level=9,size_append',
      lzma: 'lzma:preset=9,size_append',
      xz: 'xz:preset=6,dict=32MiB,bcj=x86,check=crc32,size_append',
      lzo: 'lzo:level=9,method=lzo1x-999,size_append',
      lz4: 'lz4:level=9,frame=legacy,size_append',
      zstd: 'zstd:level=22,size_append',
    });
  });

  it('follow xz_wrap.sh for 6.12 and later', () => {
    assert.equal(kernelProfile('xz', { arch: 'amd64', kernelVersion: '6.12.117' }).key, 'xz:preset=6,dict=128MiB,bcj=x86,check=crc32,size_append');
    assert.equal(kernelProfile('xz', { arch: 'armhf', kernelVersion: '6.12.1' }).key, 'xz:preset=6,dict=128MiB,lc=2,lp=2,bcj=arm,check=crc32,size_append');
    assert.equal(
      kernelProfile('xz', { arch: 'arm', kernelVersion: '6.12', thumb2: true }).key,
      'xz:preset=6,dict=128MiB,lp=1,bcj=armthumb,check=crc32,size_append',
    );
    assert.equal(kernelProfile('xz', { arch: 'arm', kernelVersion: '6.1', thumb2: true }).key, 'xz:preset=6,dict=32MiB,bcj=arm,check=crc32,size_append');
    assert.equal(kernelProfile('xz', { arch: 'aarch64', kernelVersion: '6.12.0' }).key, 'xz:preset=6,dict=128MiB,lc=2,lp=2,bcj=arm64,check=crc32');
    assert.equal(kernelProfile('xz', { arch: 'arm64', kernelVersion: '6.1.0' }).key, 'xz:preset=6,dict=32MiB,check=crc32');
    // riscv: the RISC-V filter needs xz 5.6, so xz_wrap.sh uses none with 5.4.1
    assert.equal(kernelProfile('xz', { arch: 'riscv64', kernelVersion: '6.13' }).key, 'xz:preset=6,dict=128MiB,lp=1,check=crc32');
  });

  it('use zstd -19 for arm64/riscv Image.zst, no appended size there', () => {
    assert.equal(kernelProfile('zstd', { arch: 'arm64' }).key, 'zstd:level=19');
    assert.equal(kernelProfile('lz4', { arch: 'riscv64' }).key, 'lz4:level=9,frame=legacy');
  });

  it('refuse what the arch cannot use, saying what it can', () => {
    throwsCodec(() => kernelProfile('zstd', { arch: 'armhf' }), /cannot be compressed with zstd .*allowed: gzip, lzma, xz, lzo, lz4/);
    throwsCodec(() => kernelProfile('bzip2', { arch: 'arm' }), /allowed: gzip, lzma, xz, lzo, lz4/);
    throwsCodec(() => kernelProfile('xz', { arch: 'm68k' }), /no kernel profile for arch "m68k"; known: x86/);
    assert.deepEqual(kernelAlgorithms('armhf'), ['gzip', 'lzma', 'xz', 'lzo', 'lz4']);
    assert.deepEqual(kernelAlgorithms('x86_64'), [...ALGORITHMS]);
  });
});

const ROUND_TRIP = [
  'gzip:1',
  'gzip:9',
  'gzip:6,backend=zlib',
  'gzip:9,backend=zlib,size_append',
  'bzip2:1',
  'bzip2:9,size_append',
  'lzma:0',
  'lzma:6,lc=0,lp=2,pb=0,size_append',
  'xz:0',
  'xz:3e',
  'xz:6,bcj=x86',
  'xz:6,bcj=arm',
  'xz:6,bcj=armthumb',
  'xz:6,bcj=arm64',
  'xz:6,bcj=powerpc',
  'xz:6,bcj=sparc',
  'xz:6,bcj=ia64',
  'xz:2,check=none',
  'xz:2,check=sha256',
  'xz:1,mf=bt2,mode=normal,nice=32,dict=1MiB',
  'lz4:1',
  'lz4:9',
  'lz4:12,linked',
  'lz4:fast=8',
  'lz4:4,block=64KiB,block_checksum,content_size',
  'lz4:9,favor_dec_speed',
  'lz4:1,legacy',
  'lz4:9,legacy,size_append',
  'zstd:1',
  'zstd:3,workers=0',
  'zstd:19,size_append',
  'zstd:5,long',
  'zstd:2,window_log=12',
  'zstd:1,no_checksum',
  'lzo:1',
  'lzo:3',
  'lzo:7',
  'lzo:9,size_append',
  'lzo:9,mtime=1234567',
];

describe('compress / decompressInto', () => {
  for (const spec of ROUND_TRIP) {
    it(`round-trips ${spec}`, () => {
      const s = parseSetting(spec);
      const c = compress(s, sample);
      assert.ok(c.length < sample.length, 'compresses');
      const out = new Uint8Array(sample.length);
      assert.equal(decompressInto(s, c, out), sample.length);
      assert.ok(Buffer.from(out).equals(Buffer.from(sample)));
      assert.ok(Buffer.from(decompress(s, c, sample.length)).equals(Buffer.from(sample)));
      // empty input too
      const e = compress(s, new Uint8Array(0));
      assert.equal(decompress(s, e, 0).length, 0);
    });
  }

  it('refuses a too-small output, a bad appended size, trailing bytes and corruption', () => {
    for (const spec of ['gzip:6,backend=zlib', 'bzip2:9', 'lzma:6', 'xz:6', 'lz4:9,legacy', 'lz4:9', 'zstd:3', 'lzo:9']) {
      const s = parseSetting(spec);
      const c = compress(s, sample);
      throwsCodec(() => decompressInto(s, c, new Uint8Array(sample.length - 1)), /./);
      throwsCodec(() => decompress(s, c, sample.length + 1), /./);
      const extra = new Uint8Array(c.length + 3);
      extra.set(c);
      throwsCodec(() => decompressInto(s, extra, new Uint8Array(sample.length)), /./);
      const bad = Uint8Array.from(c);
      bad[bad.length >> 1] ^= 0x55;
      bad[(bad.length >> 1) + 7] ^= 0xaa;
      // lz4 has no checksum in the legacy frame: a flipped literal decodes to other bytes
      let same = false;
      try {
        same = Buffer.from(decompress(s, bad, sample.length)).equals(Buffer.from(sample));
      } catch (e) {
        assert.ok(e instanceof CodecError, String(e));
      }
      assert.equal(same, false, `${spec}: corruption unnoticed`);
    }
    const s = parseSetting('xz:1,size_append');
    const c = compress(s, sample);
    c[c.length - 1] ^= 1;
    throwsCodec(() => decompress(s, c, sample.length), /appended size/);
  });

  it('honours the LZ4 HC level', () => {
    const big = codeLike(2 << 20, 3);
    const sizes = [1, 3, 6, 9, 12].map((l) => compress(parseSetting(`lz4:${l},legacy`), big).length);
    assert.equal(new Set(sizes).size, sizes.length, `every level gives other bytes: ${sizes.join(' ')}`);
    assert.ok(sizes[0] > sizes[1] && sizes[1] > sizes[3], `HC shrinks output: ${sizes.join(' ')}`);
    assert.ok(compress(parseSetting('lz4:9'), big).length < compress(parseSetting('lz4:3'), big).length);
  });

  it('writes the lz4 legacy frame as the kernel reads it', () => {
    const big = codeLike(17 << 20, 5);
    const c = compress(parseSetting('lz4:1,legacy,size_append'), big);
    const v = new DataView(c.buffer, c.byteOffset, c.byteLength);
    assert.equal(v.getUint32(0, true), 0x184c2102);
    let pos = 4;
    let blocks = 0;
    while (pos < c.length - 4) {
      pos += 4 + v.getUint32(pos, true);
      blocks++;
    }
    assert.equal(pos, c.length - 4);
    assert.equal(blocks, 3); // 8 MiB + 8 MiB + 1 MiB
    assert.equal(v.getUint32(c.length - 4, true), big.length);
  });
});

describe('decodeStream', () => {
  const containers: [Algorithm, string][] = [
    ['gzip', 'gzip:9'],
    ['gzip', 'gzip:9,backend=zlib'],
    ['bzip2', 'bzip2:9'],
    ['lzma', 'lzma:6'],
    ['xz', 'xz:6,bcj=x86,check=crc32'],
    ['lzo', 'lzo:9'],
    ['lz4', 'lz4:9,legacy'],
    ['lz4', 'lz4:1'],
    ['zstd', 'zstd:19'],
  ];
  for (const [alg, spec] of containers) {
    it(`decodes one ${spec} stream and leaves trailing bytes alone`, () => {
      const s = parseSetting(spec);
      const stream = compress(s, sample);
      const tail = Uint8Array.of(0x00, 0xb0, 0x04, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x28, 0xb5, 0x2f, 0xfd);
      const withTail = new Uint8Array(stream.length + tail.length);
      withTail.set(stream);
      withTail.set(tail, stream.length);
      const r = decodeStream(alg, withTail, { maxOutput: 1 << 24 });
      assert.equal(r.consumed, stream.length);
      assert.ok(Buffer.from(r.output).equals(Buffer.from(sample)));
      throwsCodec(() => decodeStream(alg, withTail, { maxOutput: sample.length - 1 }), /./);
      const exact = decodeStream(alg, stream, { maxOutput: sample.length });
      assert.equal(exact.output.length, sample.length);
    });
  }

  it('finds the end of a legacy lz4 frame whose last block is a full 8 MiB', () => {
    const big = codeLike(8 << 20, 9);
    const c = compress(parseSetting('lz4:1,legacy,size_append'), big);
    const r = decodeStream('lz4', c, { maxOutput: 1 << 26 });
    assert.equal(r.consumed, c.length - 4);
    assert.equal(r.output.length, big.length);
  });

  const valid = Object.fromEntries(containers.map(([alg, spec]) => [alg, compress(parseSetting(spec), sample.subarray(0, 64 * 1024))]));
  const MAGICS: Record<Algorithm, number[]> = {
    gzip: [0x1f, 0x8b, 0x08],
    xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
    bzip2: [0x42, 0x5a, 0x68, 0x39],
    lzma: [0x5d, 0x00, 0x00],
    lzo: [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a],
    lz4: [0x02, 0x21, 0x4c, 0x18],
    zstd: [0x28, 0xb5, 0x2f, 0xfd],
  };
  const onlyCodecErrors = (alg: Algorithm, input: Uint8Array) => {
    try {
      const r = decodeStream(alg, input, { maxOutput: 1 << 20 });
      assert.ok(r.consumed <= input.length && r.output.length <= 1 << 20);
    } catch (e) {
      if (!(e instanceof CodecError)) throw e;
    }
  };
  for (const alg of ALGORITHMS) {
    it(`never crashes or hangs on garbage, truncations and bit flips (${alg})`, () => {
      const t0 = Date.now();
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 0, maxLength: 2048 }), (junk) => {
          const input = new Uint8Array(MAGICS[alg].length + junk.length);
          input.set(MAGICS[alg]);
          input.set(junk, MAGICS[alg].length);
          onlyCodecErrors(alg, input);
          onlyCodecErrors(alg, junk);
        }),
        { numRuns: 150, seed: 42 },
      );
      const v = valid[alg];
      fc.assert(
        fc.property(
          fc.nat({ max: v.length }),
          fc.array(fc.tuple(fc.nat({ max: v.length - 1 }), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
          (cut, flips) => {
            onlyCodecErrors(alg, v.subarray(0, cut));
            const f = Uint8Array.from(v);
            for (const [at, x] of flips) f[at] ^= x;
            onlyCodecErrors(alg, f);
          },
        ),
        { numRuns: 150, seed: 7 },
      );
      assert.ok(Date.now() - t0 < 20000, 'fuzzing stays fast');
    });
  }

  it('refuses wrong magic quickly', () => {
    // (64 zero bytes would be a valid empty .lzma stream: props 0, dict 0, size 0)
    for (const alg of ALGORITHMS) throwsCodec(() => decodeStream(alg, new Uint8Array(64).fill(0xff), { maxOutput: 1 << 20 }), /./);
  });
});

describe('backends', () => {
  it('report their versions', () => {
    const v = backendVersions();
    assert.match(v.liblzma, /^5\.\d+\.\d+/);
    assert.match(v.liblz4, /^1\.\d+\.\d+/);
    assert.match(v.libzstd, /^1\.\d+\.\d+/);
    assert.match(v.libbz2, /^1\.0\.\d+/);
    assert.match(v.liblzo2, /^2\.\d+/);
    assert.match(v.zlib, /^1\.\d+/);
    assert.ok('gzip-cli' in v);
  });

  it('load and work in two worker threads at once', async () => {
    const url = new URL('../src/codecs/index.js', import.meta.url).href;
    const code = `
      import { parentPort } from 'node:worker_threads';
      const c = await import(${JSON.stringify(url)});
      const input = new Uint8Array(1 << 20).map((_, i) => (i * 7) & 0x3f);
      const sizes = {};
      for (const spec of ['bzip2:9', 'xz:6', 'zstd:19', 'lz4:9,legacy', 'lzo:9', 'gzip:6,backend=zlib']) {
        const s = c.parseSetting(spec);
        const out = c.compress(s, input);
        if (c.decompress(s, out, input.length).some((b, i) => b !== input[i])) throw new Error('mismatch ' + spec);
        sizes[spec] = out.length;
      }
      parentPort.postMessage(sizes);`;
    const run = () =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (c) => c !== 0 && reject(new Error(`worker exit ${c}`)));
      });
    const [a, b] = await Promise.all([run(), run()]);
    assert.deepEqual(a, b);
    assert.equal(Object.keys(a).length, 6);
  });
});
