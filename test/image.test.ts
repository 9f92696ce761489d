// The image reader on fixtures built in code: each format, each field, and
// each way a header can lie.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { compress, parseSetting } from '../src/codecs/index.js';
import { elfLoadImage, parseElf, elfSymbols } from '../src/image/elf.js';
import { ImageError, openKernelImage } from '../src/image/index.js';
import { codeLength } from '../src/image/fill.js';
import { inspectSummary } from '../src/image/summary.js';
import { buildArm64Image, buildBzImage, buildElf, buildZImage, codeLike, concat, le32, type ElfSpec } from './fixtures/images.js';

const dir = mkdtempSync(join(tmpdir(), 'kzbench-image-'));
let n = 0;
function file(bytes: Uint8Array, name = `f${n++}`): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** A stream of the kernel's container format, without the size trailer. */
function stream(algorithm: string, data: Uint8Array): Uint8Array {
  // the kernel's lz4 is the legacy frame (lz4 -l)
  return compress(parseSetting(algorithm === 'lz4' ? 'lz4:legacy' : algorithm), data);
}

const text = codeLike(3000, 11);
const rodata = codeLike(1000, 12);
const data = codeLike(500, 13);

function vmlinuxSpec(bits: 32 | 64, littleEndian: boolean): ElfSpec {
  const base = bits === 64 ? 0xffffffff81000000n : 0xc0008000n;
  const phys = bits === 64 ? 0x1000000n : 0x8000n;
  return {
    bits,
    littleEndian,
    machine: bits === 64 ? 62 : 40,
    sections: [
      { name: '.text', address: base, lma: phys, data: text, flags: 'ax' },
      { name: '.rodata', address: base + 0x1000n, lma: phys + 0x1000n, data: rodata, flags: 'a' },
      // vaddr 0 like x86's .data..percpu: must be placed by its load address
      { name: '.data..percpu', address: 0n, lma: phys + 0x1800n, data: data, flags: 'wa' },
      { name: '.bss', address: base + 0x2000n, size: 4096, flags: 'bss' },
      { name: '.comment', address: 0n, data: Buffer.from('GCC: test\0'), flags: 'none' },
    ],
    symbols: [
      { name: '_text', address: base, size: 0, kind: 'notype', bind: 'global', section: 0 },
      { name: 'start_kernel', address: base, size: 100, kind: 'func', bind: 'global', section: 0 },
      { name: 'helper', address: base + 0x100n, size: 40, kind: 'func', bind: 'local', section: 0 },
      { name: 'helper', address: base + 0x200n, size: 40, kind: 'func', bind: 'local', section: 0 },
      { name: 'weak_fn', address: base + 0x400n, size: 8, kind: 'func', bind: 'weak', section: 0 },
      { name: 'last_fn', address: base + 0xb00n, size: 16, kind: 'func', bind: 'global', section: 0 },
      { name: 'a_table', address: base + 0x1000n, size: 64, kind: 'object', bind: 'global', section: 1 },
      { name: 'a_counter', address: base + 0x2000n, size: 8, kind: 'object', bind: 'local', section: 3 },
    ],
  };
}

describe('ELF', () => {
  for (const [bits, le] of [
    [64, true],
    [64, false],
    [32, true],
    [32, false],
  ] as const) {
    it(`reads ELF${bits} ${le ? 'little' : 'big'} endian: sections, program headers, symtab, load image`, () => {
      const bytes = buildElf(vmlinuxSpec(bits, le));
      const elf = parseElf(bytes);
      assert.equal(elf.bits, bits);
      assert.equal(elf.littleEndian, le);
      assert.deepEqual(
        elf.sections.slice(1, 6).map((s) => [s.name, s.size]),
        [
          ['.text', 3000],
          ['.rodata', 1000],
          ['.data..percpu', 500],
          ['.bss', 4096],
          ['.comment', 10],
        ],
      );
      assert.equal(elf.segments.length, 3);
      const syms = elfSymbols(bytes, elf);
      assert.equal(syms.length, 8);
      assert.equal(syms.filter((s) => s.name === 'helper').length, 2);
      // objcopy -O binary: sections at their load addresses, gaps zero-filled, no bss, no .comment
      const load = elfLoadImage(bytes, elf);
      assert.equal(load.base, bits === 64 ? 0x1000000n : 0x8000n);
      assert.equal(load.bytes.length, 0x1800 + 500);
      assert.deepEqual(load.bytes.subarray(0, 3000), text);
      assert.deepEqual(load.bytes.subarray(0x1000, 0x1000 + 1000), rodata);
      assert.deepEqual(load.bytes.subarray(0x1800), data);
      assert.ok(load.bytes.subarray(3000, 0x1000).every((b) => b === 0));
    });
  }

  it('opens a vmlinux: symtab symbols, function extents = st_size, holes to the next symbol bounded by the section', () => {
    const img = openKernelImage(file(buildElf(vmlinuxSpec(64, true))));
    assert.equal(img.format, 'elf');
    assert.equal(img.arch, 'x86_64');
    assert.equal(img.payload, null);
    assert.equal(img.symbols.source, 'symtab');
    const fns = img.functions.map((f) => [f.name, f.extent + f.hole!, f.offset! - img.sections[0]!.offset!]);
    // the code ends at st_size; the rest of the span is the hole
    assert.deepEqual(
      img.functions.filter((f) => f.name !== '_text').map((f) => f.extent),
      [100, 40, 40, 8, 16],
    );
    // start_kernel shares its address with _text; both are t/T symbols? _text is notype in .text -> 'T'
    assert.deepEqual(
      fns.filter(([name]) => name !== '_text'),
      [
        ['start_kernel', 0x100, 0],
        ['helper', 0x100, 0x100],
        ['helper', 0x200, 0x200],
        ['weak_fn', 0x700, 0x400],
        ['last_fn', 3000 - 0xb00, 0xb00],
      ],
    );
    const s = inspectSummary(img);
    assert.equal(s.symbols.source, 'symtab');
    assert.deepEqual(
      s.sections.map((x) => [x.name, x.kind]),
      [
        ['.text', 'text'],
        ['.rodata', 'rodata'],
        ['.data..percpu', 'data'],
        ['.bss', 'bss'],
        ['.comment', 'other'],
        ['.shstrtab', 'other'],
        ['.symtab', 'other'],
        ['.strtab', 'other'],
      ],
    );
  });

  it('refuses section tables that lie', () => {
    const bytes = buildElf(vmlinuxSpec(64, true));
    const bad = bytes.slice();
    const v = new DataView(bad.buffer);
    v.setUint16(60, 0xffff, true); // e_shnum
    assert.throws(
      () => parseElf(bad),
      (e: unknown) => e instanceof ImageError && /section header table/.test((e as Error).message),
    );
    const bad2 = bytes.slice();
    new DataView(bad2.buffer).setUint16(62, 200, true); // e_shstrndx
    assert.throws(() => parseElf(bad2), /e_shstrndx 200 is out of range/);
  });
});

describe('x86 bzImage', () => {
  const vmlinux = buildElf(vmlinuxSpec(64, true));
  const relocs = codeLike(256, 21);
  const kernel = concat(vmlinux, relocs);

  it('reads the setup header, an xz payload with its size trailer, the stub and the inner ELF', () => {
    const s = stream('xz:preset=6,bcj=x86', kernel);
    const bz = buildBzImage({ stream: s, sizeTrailer: kernel.length, setupSects: 27 });
    const img = openKernelImage(file(bz));
    assert.equal(img.format, 'bzimage');
    assert.equal(img.arch, 'x86_64');
    assert.equal(img.header.setup_sects, 27);
    assert.equal(img.header.protocol, '2.15');
    assert.equal(img.header.payload_offset, 700);
    assert.equal(img.header.payload_length, s.length + 4);
    assert.equal(img.header.init_size, 64 << 20);
    assert.deepEqual(
      { ...img.payload },
      {
        algorithm: 'xz',
        offset: 28 * 512 + 700,
        compressedBytes: s.length,
        storedBytes: s.length + 4,
        decompressedBytes: kernel.length,
        sizeTrailer: kernel.length,
      },
    );
    assert.equal(img.stubBytes, bz.length - s.length - 4);
    assert.equal(img.kernelFormat, 'elf');
    assert.equal(img.trailingBytes, relocs.length);
    assert.equal(img.symbols.source, 'symtab');
  });

  it('reads a gzip payload (no size trailer: gzip keeps ISIZE itself) and a signed image', () => {
    const s = gzipSync(kernel, { level: 9 });
    const bz = buildBzImage({ stream: s, sizeTrailer: null, signatureBytes: 1500 });
    const img = openKernelImage(file(bz));
    assert.equal(img.payload!.algorithm, 'gzip');
    assert.equal(img.payload!.storedBytes, s.length);
    assert.equal(img.signatureBytes, 1500);
    assert.equal(img.stubBytes, bz.length - s.length - 1500);
  });

  for (const algorithm of ['bzip2', 'lzma', 'lzo', 'lz4', 'zstd']) {
    it(`finds a ${algorithm} payload`, () => {
      const s = stream(algorithm, kernel);
      const img = openKernelImage(file(buildBzImage({ stream: s, sizeTrailer: kernel.length })));
      assert.equal(img.payload!.algorithm, algorithm);
      assert.equal(img.payload!.compressedBytes, s.length);
      assert.equal(img.payload!.decompressedBytes, kernel.length);
    });
  }

  it('refuses header fields that lie', () => {
    const s = stream('xz', kernel);
    const good = buildBzImage({ stream: s, sizeTrailer: kernel.length });
    const set = (off: number, v: number, size: 1 | 4 = 4) => {
      const b = good.slice();
      if (size === 1) b[off] = v;
      else new DataView(b.buffer).setUint32(off, v, true);
      return file(b);
    };
    assert.throws(() => openKernelImage(set(0x24c, s.length + 4 + 5000)), /run past the end of the file/);
    assert.throws(() => openKernelImage(set(0x24c, s.length + 3)), /payload_length says/);
    assert.throws(() => openKernelImage(set(0x248, 100)), /no compressor magic at payload_offset 100/);
    assert.throws(() => openKernelImage(set(0x1f1, 200, 1)), /run past the end|no compressor magic|setup_sects/);
    const wrongSize = buildBzImage({ stream: s, sizeTrailer: kernel.length + 1 });
    assert.throws(() => openKernelImage(file(wrongSize)), /payload_length says .* trailing size/);
    const corrupt = good.slice();
    corrupt[5 * 512 + 700 + 200] ^= 0xff;
    assert.throws(() => openKernelImage(file(corrupt)), /xz payload at offset \d+ does not decompress/);
  });
});

describe('ARM zImage', () => {
  const image = codeLike(20000, 31);

  for (const le of [true, false]) {
    it(`finds the payload among decoy magics and checks the trailing size (${le ? 'LE' : 'BE'})`, () => {
      const s = stream('xz:preset=6,bcj=arm', image);
      const decoys = [Uint8Array.of(0x5d, 0, 0, 1, 2), Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 0), Uint8Array.of(0x1f, 0x8b, 0x08, 0)];
      const z = buildZImage({ stream: s, decompressedBytes: image.length, decoys, littleEndian: le, appended: 100 });
      const img = openKernelImage(file(z));
      assert.equal(img.format, 'zimage');
      assert.equal(img.arch, 'arm');
      assert.equal(img.littleEndian, le);
      assert.equal(img.payload!.algorithm, 'xz');
      assert.equal(img.payload!.offset, 2048);
      assert.equal(img.payload!.compressedBytes, s.length);
      assert.equal(img.payload!.sizeTrailer, image.length);
      assert.equal(img.header.trailing_bytes, 100);
      assert.equal(img.stubBytes, z.length - s.length - 4);
      assert.deepEqual(img.kernel, image);
    });
  }

  for (const algorithm of ['gzip', 'lzma', 'lzo', 'lz4']) {
    it(`proves a ${algorithm} payload by decompressing it`, () => {
      const s = algorithm === 'gzip' ? gzipSync(image, { level: 9 }) : stream(algorithm, image);
      // gzip's ISIZE is its last 4 bytes: the build appends nothing
      const z = buildZImage({ stream: algorithm === 'gzip' ? s.subarray(0, s.length - 4) : s, decompressedBytes: image.length });
      const img = openKernelImage(file(z));
      assert.equal(img.payload!.algorithm, algorithm);
      assert.equal(img.payload!.decompressedBytes, image.length);
    });
  }

  it('refuses a trailing size that does not match, and an extent past the end of the file', () => {
    const s = stream('xz', image);
    assert.throws(
      () => openKernelImage(file(buildZImage({ stream: s, decompressedBytes: image.length + 1 }))),
      /no payload candidate decompresses with a matching size/,
    );
    const z = buildZImage({ stream: s, decompressedBytes: image.length });
    new DataView(z.buffer).setUint32(0x2c, z.length + 10, true);
    assert.throws(() => openKernelImage(file(z)), /zImage header says \d+ bytes but the file has only/);
  });
});

describe('arm64 Image and compressed Image.*', () => {
  const body = codeLike(30000, 41);
  const raw = buildArm64Image({ body, imageSize: 64 + body.length + 8192 });

  it('reads the arm64 header of an uncompressed Image', () => {
    const img = openKernelImage(file(raw));
    assert.equal(img.format, 'arm64-image');
    assert.equal(img.arch, 'arm64');
    assert.equal(img.payload, null);
    assert.equal(img.header.image_size, raw.length + 8192);
    assert.equal(img.header.page_size, 4096);
    assert.equal(img.stubBytes, 0);
  });

  for (const algorithm of ['gzip', 'bzip2', 'lzma', 'xz', 'lzo', 'lz4', 'zstd']) {
    it(`reads Image.${algorithm} as the bootloader would`, () => {
      // The arm64 build compresses without size_append except where the tool needs it; the reader takes either.
      const s = algorithm === 'gzip' ? gzipSync(raw, { level: 9 }) : stream(algorithm, raw);
      const img = openKernelImage(file(s, `Image.${algorithm}`));
      assert.equal(img.format, 'compressed-image');
      assert.equal(img.header.inner_format, 'arm64-image');
      assert.equal(img.arch, 'arm64');
      assert.equal(img.payload!.algorithm, algorithm);
      assert.equal(img.payload!.decompressedBytes, raw.length);
      assert.deepEqual(img.kernel, raw);
    });
  }

  it('accepts the size trailer after a compressed Image and refuses other trailing bytes', () => {
    const s = stream('xz', raw);
    assert.equal(openKernelImage(file(concat(s, le32(raw.length)))).payload!.storedBytes, s.length + 4);
    assert.throws(() => openKernelImage(file(concat(s, new Uint8Array(9)))), /9 bytes follow the xz stream/);
  });

  it('refuses an image_size smaller than the Image', () => {
    const lie = buildArm64Image({ body, imageSize: 1000 });
    assert.throws(() => openKernelImage(file(lie)), /image_size 1000 is smaller than/);
  });
});

describe('raw Image with System.map and .config', () => {
  const base = 0xc0008000n;
  const image = codeLike(0x3000, 51);
  const map = [
    [base, 'T', '_text'],
    [base + 0x100n, 'T', '_stext'],
    [base + 0x100n, 'T', 'start_kernel'],
    [base + 0x180n, 't', 'helper'],
    [base + 0x1000n, 'T', '_etext'],
    [base + 0x1000n, 'R', '__start_rodata'],
    [base + 0x1800n, 'R', '__end_rodata'],
    [base + 0x2000n, 'D', '_sdata'],
    [base + 0x3000n, 'D', '_edata'],
    [base + 0x3000n, 'B', '__bss_start'],
    [base + 0x4000n, 'B', '__bss_stop'],
  ]
    .map(([a, t, name]) => `${(a as bigint).toString(16).padStart(8, '0')} ${t} ${name}`)
    .join('\n');

  it('places sections by marker symbols and maps functions to byte ranges', () => {
    const d = join(dir, 'boot-raw');
    mkdirSync(d, { recursive: true });
    const p = join(d, 'Image');
    writeFileSync(p, image);
    writeFileSync(join(d, 'System.map'), map + '\n');
    writeFileSync(
      join(d, '.config'),
      '# Linux/arm 6.1.0 Kernel Configuration\nCONFIG_ARM=y\nCONFIG_KERNEL_XZ=y\nCONFIG_THUMB2_KERNEL=y\nCONFIG_PAGE_OFFSET=0xC0000000\n# CONFIG_XIP_KERNEL is not set\n',
    );
    const img = openKernelImage(p);
    assert.equal(img.format, 'raw-image');
    assert.equal(img.arch, 'arm');
    assert.equal(img.bits, 32);
    assert.equal(img.config!.compression, 'xz');
    assert.equal(img.config!.thumb2, true);
    assert.equal(img.config!.xip, false);
    assert.equal(img.config!.pageOffset, 0xc0000000n);
    assert.equal(img.symbols.source, 'system.map');
    assert.deepEqual(
      img.sections.map((s) => [s.name, s.kind, s.offset, s.bytes, s.fileBytes]),
      [
        ['.head.text', 'text', 0, 0x100, 0x100],
        ['.text', 'text', 0x100, 0xf00, 0xf00],
        ['.rodata', 'rodata', 0x1000, 0x800, 0x800],
        ['.unknown@0xc0009800', 'unknown', 0x1800, 0x800, 0x800],
        ['.data', 'data', 0x2000, 0x1000, 0x1000],
        ['.bss', 'bss', null, 0x1000, 0],
      ],
    );
    const fn = (name: string) => img.functions.find((f) => f.name === name)!;
    assert.deepEqual([fn('start_kernel').offset, fn('start_kernel').extent], [0x100, 0x80]);
    // no sizes: the span to _etext, less the Thumb-2 fill at its end (src/image/fill.ts)
    const span = 0x1000 - 0x180;
    assert.deepEqual([fn('helper').offset, fn('helper').extent + fn('helper').hole!], [0x180, span]);
    assert.equal(fn('helper').extent, codeLength(image.subarray(0x180, 0x1000), 'arm-thumb2'));
  });

  it('refuses a .config for another arch or version, naming the .config', () => {
    const vm = file(buildElf(vmlinuxSpec(64, true)));
    const cfg = file(Buffer.from('# Linux/arm64 6.1.0 Kernel Configuration\nCONFIG_ARM64=y\n'));
    assert.throws(
      () => openKernelImage(vm, { configPath: cfg }),
      (e: unknown) => (e as Error).message === `${cfg} is a .config for arm64, but the image is x86_64`,
    );
    const notConfig = file(Buffer.from('hello world\n'));
    assert.throws(() => openKernelImage(vm, { configPath: notConfig }), new RegExp(`^ImageError: ${notConfig}: not a kernel .config`));
  });

  it('ignores a stub System.map with a note', () => {
    const d = join(dir, 'boot-stub');
    mkdirSync(d, { recursive: true });
    const p = join(d, 'vmlinuz-6.1.0-test');
    writeFileSync(p, buildElf({ ...vmlinuxSpec(64, true), symbols: undefined }));
    writeFileSync(join(d, 'System.map-6.1.0-test'), 'ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package\n');
    const img = openKernelImage(p);
    assert.equal(img.symbols.source, 'none');
    assert.match(img.notes.join('\n'), /System.map-6.1.0-test is a stub \("The real System.map is in/);
  });
});

describe('not a kernel', () => {
  it('says so for random bytes, empty files, directories and missing files', () => {
    assert.throws(() => openKernelImage(file(codeLike(5000, 99))), /not a kernel image/);
    assert.throws(() => openKernelImage(file(new Uint8Array(0))), /too small to be a kernel image/);
    assert.throws(() => openKernelImage(dir), /kernel image is a directory, not a file/);
    assert.throws(() => openKernelImage(join(dir, 'nope')), /kernel image not found/);
  });
});

it('a .config made with ARCH=x86_64 is an x86 .config (its header names the alias)', async () => {
  const { parseConfig } = await import('../src/image/config.js');
  const c = parseConfig('#\n# Linux/x86_64 6.12.118 Kernel Configuration\n#\nCONFIG_64BIT=y\nCONFIG_X86_64=y\nCONFIG_X86=y\n');
  assert.equal(c.arch, 'x86');
  assert.equal(c.is64bit, true);
});
