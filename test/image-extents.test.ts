// Where a raw Image's bytes are (riscv64 starts at _start, not _text), init
// text counted as code, and a function's extent ending where its code ends,
// with the alignment padding after it a hole: fixtures built in code.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { extentSizes } from '../src/diff/symbols.js';
import { codeLength } from '../src/image/fill.js';
import { openKernelImage } from '../src/image/index.js';
import { inspectSummary } from '../src/image/summary.js';
import { functionExtents, type KernelSymbol } from '../src/image/symbols.js';
import { codeMap } from '../src/partition/partition.js';

const dir = mkdtempSync(join(tmpdir(), 'kzbench-extents-'));

const b = (...xs: number[]) => Uint8Array.from(xs);

describe('fill rules per arch', () => {
  it('riscv: decodes lengths forward, so the zero upper half of an uncompressed ret stays code', () => {
    const ret32 = [0x67, 0x80, 0x00, 0x00]; // jalr x0, 0(ra)
    assert.equal(codeLength(b(...ret32, 0, 0, 0, 0), 'riscv'), 4);
    assert.equal(codeLength(b(0x82, 0x80, 0x01, 0x00, 0x13, 0, 0, 0, 0, 0), 'riscv'), 2, 'c.ret, c.nop, nop, zero halfword');
    assert.equal(codeLength(b(0x13, 0, 0, 0, ...ret32), 'riscv'), 8, 'a nop inside the code is code');
    assert.equal(codeLength(b(0, 0, 0, 0), 'riscv'), 2, 'one unit is always kept');
  });
  it('s390, mips, powerpc: their nops and zero fill', () => {
    const br14 = [0x07, 0xfe];
    assert.equal(codeLength(b(...br14, 0x07, 0x07, 0x47, 0, 0, 0, 0x07, 0x00), 's390'), 2);
    assert.equal(codeLength(b(0x08, 0x00, 0xe0, 0x03, 0, 0, 0, 0, 0, 0, 0, 0), 'mips'), 4, 'jr ra then zero words');
    assert.equal(codeLength(b(0x20, 0x00, 0x80, 0x4e, 0x00, 0x00, 0x00, 0x60, 0x60, 0, 0, 0), 'powerpc'), 4, 'blr, nop (LE), nop (BE)');
  });
  it('x86: int3 and multi-byte nop padding after ret', () => {
    assert.equal(codeLength(b(0xc3, 0xcc, 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0xcc, 0xcc), 'x86'), 1);
  });
});

describe('function extents and holes', () => {
  const base = 0xffffffff81000000n;
  const kernel = new Uint8Array(0x100).fill(0xcc);
  kernel.set([0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3], 0x00); // f: 6 bytes of code, then int3 to 0x40
  kernel.set([0x31, 0xc0, 0xc3], 0x40); // g: 3 bytes, then int3 to 0x100 (an aligned section end)
  const sections = [{ name: '.text', address: base, offset: 0, bytes: 0x100, fileBytes: 0x100, kind: 'text' as const }];
  const symbols: KernelSymbol[] = [
    { name: 'f', type: 'T', address: base, size: null },
    { name: 'g', type: 't', address: base + 0x40n, size: null },
  ];

  it('ends each extent at the code and counts the padding as its hole', () => {
    const fns = functionExtents(symbols, sections, { kernel, fill: 'x86' });
    assert.deepEqual(
      fns.map((f) => [f.name, f.extent, f.hole]),
      [
        ['f', 6, 0x40 - 6],
        ['g', 3, 0xc0 - 3],
      ],
    );
    // without the bytes, the whole span is the extent
    assert.deepEqual(
      functionExtents(symbols, sections).map((f) => [f.extent, f.hole]),
      [
        [0x40, 0],
        [0xc0, 0],
      ],
    );
  });

  it('diff sizes a text symbol by its code, a data symbol by its span', () => {
    const withData: KernelSymbol[] = [...symbols, { name: 'tbl', type: 'd', address: base + 0x80n, size: null }];
    const secs = [...sections, { name: '.data', address: base + 0x80n, offset: 0x80, bytes: 0x80, fileBytes: 0x80, kind: 'data' as const }];
    const sizes = extentSizes(withData, secs, new Map([[base, 6]]));
    assert.deepEqual(
      sizes.map((s) => [s.name, s.size]),
      [
        ['f', 6],
        ['g', 0x40],
        ['tbl', 0x80],
      ],
    );
  });
});

describe('riscv64 raw Image', () => {
  // arch/riscv/kernel/vmlinux.lds.S: _start, head text, then .text with _text = _stext,
  // init (text first) before data, and the Image ends at _edata.
  const base = 0xffffffff80000000n;
  const image = new Uint8Array(0x5000);
  const c = (at: number, ...xs: number[]) => image.set(xs, at);
  c(0x0000, 0x6f, 0x00, 0x00, 0x00); // j (head)
  c(0x2000, 0x13, 0x01, 0x01, 0xff, 0x82, 0x80); // addi sp,sp,-16; ret  (text_fn)
  c(0x2100, 0x82, 0x80); // ret (other_fn)
  c(0x3000, 0x41, 0x11, 0x82, 0x80); // c.addi sp,-16; ret (start_kernel, in init text)
  const map: [bigint, string, string][] = [
    [base, 'T', '_start'],
    [base + 0x40n, 't', 'pe_head_start'],
    [base + 0x2000n, 'T', '_text'],
    [base + 0x2000n, 'T', '_stext'],
    [base + 0x2000n, 'T', 'text_fn'],
    [base + 0x2100n, 't', 'other_fn'],
    [base + 0x2800n, 'T', '_etext'],
    [base + 0x3000n, 'T', '__init_begin'],
    [base + 0x3000n, 'T', '_sinittext'],
    [base + 0x3000n, 'T', 'start_kernel'],
    [base + 0x3400n, 'T', '_einittext'],
    [base + 0x4000n, 'R', '__init_end'],
    [base + 0x4000n, 'D', '_sdata'],
    [base + 0x5000n, 'D', '_edata'],
    [base + 0x5000n, 'B', '__bss_start'],
    [base + 0x6000n, 'B', '_end'],
  ];
  const d = join(dir, 'riscv');
  mkdirSync(d, { recursive: true });
  const p = join(d, 'Image');
  writeFileSync(p, image);
  writeFileSync(join(d, 'System.map'), map.map(([a, t, n]) => `${a.toString(16)} ${t} ${n}`).join('\n') + '\n');
  writeFileSync(join(d, '.config'), '# Linux/riscv 6.12.0 Kernel Configuration\nCONFIG_RISCV=y\nCONFIG_64BIT=y\n');

  it('puts byte 0 at _start, splits .init at its text and counts init text as functions', () => {
    const img = openKernelImage(p);
    assert.equal(img.arch, 'riscv64');
    assert.deepEqual(
      img.sections.map((s) => [s.name, s.kind, s.offset, s.bytes]),
      [
        ['.head.text', 'text', 0, 0x2000],
        ['.text', 'text', 0x2000, 0x800],
        ['.unknown@0xffffffff80002800', 'unknown', 0x2800, 0x800],
        ['.init.text', 'init', 0x3000, 0x400],
        ['.init.data', 'init', 0x3400, 0xc00],
        ['.data', 'data', 0x4000, 0x1000],
        ['.bss', 'bss', null, 0x1000],
      ],
    );
    const fn = (name: string) => img.functions.find((f) => f.name === name)!;
    assert.deepEqual([fn('text_fn').offset, fn('text_fn').extent, fn('text_fn').hole], [0x2000, 6, 0x100 - 6]);
    assert.deepEqual([fn('other_fn').offset, fn('other_fn').extent], [0x2100, 2]);
    assert.deepEqual([fn('start_kernel').offset, fn('start_kernel').extent, fn('start_kernel').section], [0x3000, 4, '.init.text']);
    const s = inspectSummary(img);
    assert.ok(s.symbols.text_count >= 4, 'head, text and init functions');
    assert.equal(s.largest_functions[0]!.bytes < 0x100, true, 'no padding in the largest function');
    const tf = s.largest_functions.find((f) => f.name === 'text_fn')!;
    assert.deepEqual([tf.bytes, tf.hole_bytes], [6, 0x100 - 6]);
    assert.equal(
      s.symbols.text_bytes + s.symbols.hole_bytes,
      img.functions.reduce((n, f) => n + f.extent + f.hole!, 0),
    );
    // cold's code map takes the same extents and counts the padding as holes
    const cm = codeMap(img);
    const r = cm.ranges.find((x) => x.name === 'text_fn' || x.name === '_stext' || x.name === '_text')!;
    assert.deepEqual([r.code, r.hole], [6, 0x100 - 6]);
  });
});
