// Kernel profiles for powerpc, s390 and MIPS: the commands their boot
// Makefiles run (arch/s390/boot/Makefile, arch/mips/boot/compressed/Makefile,
// arch/powerpc/boot/wrapper), per kernel version; and, with the real Debian
// 12 kernels cached and KZBENCH_SLOW=1, the profile reproduces the shipped
// payload byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compress } from '../src/codecs/index.js';
import { kernelAlgorithms, kernelProfile } from '../src/codecs/profiles.js';
import { openKernelImage } from '../src/image/index.js';
import { corpusFile } from './corpus.js';

const key = (algorithm: Parameters<typeof kernelProfile>[0], arch: string, kernelVersion?: string) => kernelProfile(algorithm, { arch, kernelVersion }).key;

describe('kernel profiles for powerpc, s390 and MIPS', () => {
  it('no longer refuses their arch names, and lists what each arch can build', () => {
    for (const arch of ['s390', 's390x', 'mips', 'mipsel', 'mips64el', 'powerpc64', 'ppc64el', 'powerpc64le'])
      assert.ok(kernelAlgorithms(arch).length > 0, arch);
    assert.deepEqual(kernelAlgorithms('ppc64el'), ['gzip', 'lzma', 'xz', 'lzo']);
    assert.deepEqual([...kernelAlgorithms('s390x')].sort(), ['bzip2', 'gzip', 'lz4', 'lzma', 'lzo', 'xz', 'zstd']);
    assert.deepEqual([...kernelAlgorithms('mipsel')].sort(), ['bzip2', 'gzip', 'lz4', 'lzma', 'lzo', 'xz', 'zstd']);
    assert.throws(() => kernelProfile('bzip2', { arch: 'ppc64el' }), /no HAVE_KERNEL_BZIP2/);
    assert.throws(() => kernelProfile('xz', { arch: 'sparc64' }), /no kernel profile for arch "sparc64"/);
  });
  it('s390 and MIPS run the *_with_size commands; 6.12 tunes xz by instruction alignment', () => {
    assert.equal(key('xz', 's390x', '6.1.0-50-s390x'), 'xz:preset=6,dict=32MiB,check=crc32,size_append');
    assert.equal(key('xz', 's390x', '6.12.117'), 'xz:preset=6,dict=128MiB,lp=1,check=crc32,size_append');
    assert.equal(key('xz', 'mipsel', '6.1.0-50-4kc-malta'), 'xz:preset=6,dict=32MiB,check=crc32,size_append');
    assert.equal(key('xz', 'mips64el', '6.12.117'), 'xz:preset=6,dict=128MiB,lc=2,lp=2,check=crc32,size_append');
    assert.equal(key('zstd', 's390x'), 'zstd:level=22,size_append');
    assert.equal(key('lz4', 'mipsel'), 'lz4:level=9,frame=legacy,size_append');
    assert.match(key('gzip', 's390x'), /^gzip:level=9,/);
  });
  it("powerpc's boot wrapper: xz -6 with crc32, lzma -6, nothing appended, whatever the version", () => {
    for (const v of ['6.1.0-57-powerpc64le', '6.12.117']) {
      assert.equal(key('xz', 'ppc64el', v), 'xz:preset=6,check=crc32');
      assert.equal(key('lzma', 'ppc64el', v), 'lzma:preset=6');
      assert.equal(key('lzo', 'ppc64el', v), 'lzo:level=9,method=lzo1x-999');
    }
  });
});

const REAL = [
  { name: 's390x', image: /\/boot\/vmlinuz-[\d.]+-\d+-s390x$/ },
  { name: 'mipsel (4kc-malta)', image: /\/boot\/vmlinuz-[\d.]+-\d+-4kc-malta$/ },
  { name: 'mips64el (5kc-malta)', image: /\/boot\/vmlinuz-[\d.]+-\d+-5kc-malta$/ },
];

describe('the profile reproduces the shipped payload (KZBENCH_SLOW=1)', () => {
  for (const r of REAL) {
    const path = corpusFile(r.image);
    const skip = !process.env.KZBENCH_SLOW ? 'set KZBENCH_SLOW=1' : !path ? `no ${r.name} kernel cached` : false;
    it(`${r.name}`, { skip }, () => {
      const img = openKernelImage(path!, { findBeside: false });
      const p = img.payload!;
      const shipped = readFileSync(path!).subarray(p.offset, p.offset + p.storedBytes);
      const ours = compress(kernelProfile(p.algorithm, { arch: img.arch, kernelVersion: img.release ?? undefined }), img.kernel);
      assert.equal(ours.length, shipped.length);
      assert.ok(Buffer.from(ours).equals(shipped), 'byte for byte');
    });
  }
});
