// Property tests: truncating or corrupting any supported image anywhere ends
// in a result or a readable ImageError, never another exception or a hang.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compress, parseSetting } from '../src/codecs/index.js';
import { ImageError, readKernelImage } from '../src/image/index.js';
import { buildArm64Image, buildBzImage, buildElf, buildZImage, codeLike } from './fixtures/images.js';

const vmlinux = buildElf({
  bits: 64,
  littleEndian: true,
  machine: 62,
  sections: [
    { name: '.text', address: 0xffffffff81000000n, data: codeLike(4000, 1), flags: 'ax' },
    { name: '.data', address: 0xffffffff81002000n, data: codeLike(1000, 2), flags: 'wa' },
  ],
  symbols: [{ name: 'f', address: 0xffffffff81000000n, size: 10, kind: 'func', bind: 'global', section: 0 }],
});
const image = codeLike(8000, 3);
const z = (spec: string, data: Uint8Array) => compress(parseSetting(spec), data);

const fixtures: [string, Uint8Array][] = [
  ['elf', vmlinux],
  ['bzImage xz', buildBzImage({ stream: z('xz', vmlinux), sizeTrailer: vmlinux.length })],
  ['bzImage lz4', buildBzImage({ stream: z('lz4:legacy', vmlinux), sizeTrailer: vmlinux.length })],
  ['zImage lzma', buildZImage({ stream: z('lzma', image), decompressedBytes: image.length })],
  ['zImage lzo', buildZImage({ stream: z('lzo', image), decompressedBytes: image.length })],
  ['Image.zst', z('zstd', buildArm64Image({ body: image }))],
  ['Image.bz2', z('bzip2', buildArm64Image({ body: image }))],
  ['arm64 Image', buildArm64Image({ body: image })],
];

function readOrImageError(bytes: Uint8Array): void {
  const t0 = Date.now();
  try {
    readKernelImage(bytes, 'fuzz', { findBeside: false });
  } catch (e) {
    if (!(e instanceof ImageError)) throw new Error(`not an ImageError: ${(e as Error)?.stack ?? e}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
  }
  assert.ok(Date.now() - t0 < 5000, 'bounded time');
}

describe('truncation and corruption never crash or hang the readers', () => {
  for (const [name, bytes] of fixtures) {
    it(`${name}: truncated anywhere`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (len) => readOrImageError(bytes.subarray(0, len))),
        { numRuns: 60 },
      );
    });
    it(`${name}: corrupted bytes`, () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
          (edits) => {
            const b = bytes.slice();
            for (const [i, v] of edits) b[i] = v;
            readOrImageError(b);
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});
