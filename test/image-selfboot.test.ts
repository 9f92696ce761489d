// The s390 compressed image and the MIPS ELF vmlinuz on fixtures built in
// code: where each keeps its payload, the size trailer that proves it, the
// s390 vmlinux_info that places the kernel, and the errors when they lie.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compress, parseSetting } from '../src/codecs/index.js';
import { openKernelImage } from '../src/image/index.js';
import { S390_EP_OFFSET } from '../src/image/selfboot.js';
import { inspectSummary } from '../src/image/summary.js';
import { buildElf, codeLike, concat } from './fixtures/images.js';

const dir = mkdtempSync(join(tmpdir(), 'kzbench-selfboot-'));
let n = 0;
function file(bytes: Uint8Array): string {
  const p = join(dir, `f${n++}`);
  writeFileSync(p, bytes);
  return p;
}
const le32 = (v: number) => Uint8Array.from([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
const be64 = (v: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
};

const kernel = codeLike(40_000, 7);
const xz = compress(parseSetting('xz'), kernel);

/** An s390 image: IPL bytes, S390EP at 0x10008, vmlinux_info, then the payload with its size. */
function s390Image(opts: { trailer?: number; info?: boolean } = {}): Uint8Array {
  const head = new Uint8Array(0x10100);
  head.set([0x00, 0x08, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00], 0);
  head.set(Buffer.from('S390EP'), S390_EP_OFFSET);
  const info = opts.info === false ? new Uint8Array(32) : concat(be64(0x100000n), be64(0x100000n), be64(0xa000n), be64(0x2000n));
  return concat(head, info, xz, le32(opts.trailer ?? kernel.length), new Uint8Array(100));
}

describe('s390 compressed image', () => {
  it('finds the payload after S390EP, proves it by its size and reads vmlinux_info', () => {
    const img = openKernelImage(file(s390Image()), { findBeside: false });
    assert.equal(img.format, 's390-image');
    assert.deepEqual([img.arch, img.bits, img.littleEndian], ['s390', 64, false]);
    const s = inspectSummary(img);
    assert.deepEqual(s.payload, {
      algorithm: 'xz',
      offset: 0x10100 + 32,
      compressed_bytes: xz.length,
      stored_bytes: xz.length + 4,
      size_trailer: kernel.length,
      decompressed_bytes: kernel.length,
    });
    assert.deepEqual(Buffer.compare(Buffer.from(img.kernel), Buffer.from(kernel)), 0);
    assert.equal(s.stub_bytes, img.fileBytes - xz.length - 4);
    assert.deepEqual([img.header.vmlinux_info_offset, img.header.default_lma, img.header.image_size], [0x10100, 0x100000n, 0xa000]);
  });
  it('has no vmlinux_info when no words fit it, and refuses a payload whose size does not match', () => {
    assert.equal(openKernelImage(file(s390Image({ info: false })), { findBeside: false }).header.default_lma, undefined);
    assert.throws(() => openKernelImage(file(s390Image({ trailer: 12345 }))), /s390 image: no payload candidate decompresses with a matching size/);
    const bare = new Uint8Array(0x10100);
    bare.set(Buffer.from('S390EP'), S390_EP_OFFSET);
    assert.throws(() => openKernelImage(file(bare)), /s390 image \(S390EP at 0x10008\) without any compressor magic/);
  });
});

/** A MIPS vmlinuz: decompressor .text, then .data starting with the payload. */
function mipsVmlinuz(bits: 32 | 64, littleEndian: boolean, trailer = kernel.length): Uint8Array {
  const base = bits === 64 ? 0xffffffff81100000n : 0x81100000n;
  return buildElf({
    bits,
    littleEndian,
    machine: 8,
    sections: [
      { name: '.text', address: base, data: codeLike(3000, 3), flags: 'ax' },
      { name: '.data', address: base + 0x1000n, data: concat(xz, le32(trailer), new Uint8Array(12)), flags: 'wa' },
      { name: '.bss', address: base + 0x100000n, size: 4096, flags: 'bss' },
    ],
  });
}

describe('MIPS vmlinuz', () => {
  for (const [bits, le] of [
    [32, true],
    [64, true],
    [32, false],
  ] as const) {
    it(`reads the payload at the start of .data (${bits}-bit ${le ? 'little' : 'big'} endian)`, () => {
      const bytes = mipsVmlinuz(bits, le);
      const img = openKernelImage(file(bytes), { findBeside: false });
      assert.equal(img.format, 'mips-vmlinuz');
      assert.deepEqual([img.arch, img.bits, img.littleEndian], ['mips', bits, le]);
      const at = Buffer.from(bytes).indexOf(Buffer.from(xz.subarray(0, 16)));
      assert.deepEqual([img.payload!.offset, img.payload!.compressedBytes, img.payload!.sizeTrailer], [at, xz.length, kernel.length]);
      assert.equal(img.header.decompressor_bytes, at);
      assert.equal(img.kernel.length, kernel.length);
    });
  }
  it('refuses a size trailer that does not match, and leaves a MIPS ELF without a payload an ELF', () => {
    assert.throws(
      () => openKernelImage(file(mipsVmlinuz(32, true, 99))),
      /MIPS vmlinuz: the xz stream at the start of .data \(offset \d+\) is not followed by its decompressed size/,
    );
    const plain = buildElf({
      bits: 32,
      littleEndian: true,
      machine: 8,
      sections: [{ name: '.data', address: 0x80000000n, data: codeLike(100, 2), flags: 'wa' }],
    });
    assert.equal(openKernelImage(file(plain), { findBeside: false }).format, 'elf');
  });
});
