// kzbench diff: bloat-o-meter's per-symbol rules, section deltas with totals,
// compressed sizes per kernel profile, and what mismatched pairs can still
// compare. Built fixtures pin the semantics; the real Debian kernels (when
// cached) pin sections against the ELF and compressed sizes against a run.
//
// Cross-check: with KZBENCH_BLOAT_O_METER=/path/to/scripts/bloat-o-meter
// (from Debian's linux-source package, never committed) the symbol blocks
// must equal its output on the same two fixture ELFs, byte for byte.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderCsv, renderText } from '../src/cli/diff.js';
import { compress, kernelProfile, parseSetting } from '../src/codecs/index.js';
import {
  bloatName,
  bloatOMeterText,
  classSizes,
  diffClass,
  diffImages,
  diffSections,
  extentSizes,
  pythonPercent,
  SYMBOL_CLASSES,
  type DiffResult,
} from '../src/diff/index.js';
import { openKernelImage, readKernelImage, type KernelImage, type Section } from '../src/image/index.js';
import { wholeUnit } from '../src/units/index.js';
import { buildBzImage, buildElf, codeLike, type FixtureSymbol } from './fixtures/images.js';
import { realKernel } from './corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'kzbench-diff-'));
const bin = new URL('../../bin/kzbench.js', import.meta.url).pathname;

const TEXT = 0xffffffff81000000n;
const RODATA = 0xffffffff82000000n;
const DATA = 0xffffffff83000000n;
const BSS = 0xffffffff84000000n;
const INIT = 0xffffffff85000000n;

type Sym = [name: string, type: 'T' | 't' | 'W' | 'D' | 'd' | 'B' | 'b' | 'R' | 'r' | 'A', offset: number, size: number];

const SECTION_OF: Record<string, [number, bigint]> = { t: [0, TEXT], r: [1, RODATA], d: [2, DATA], b: [3, BSS] };

function symbols(list: Sym[], initText: Sym[] = []): FixtureSymbol[] {
  const out: FixtureSymbol[] = [];
  for (const [name, type, offset, size] of list) {
    if (type === 'A') {
      out.push({ name, address: BigInt(offset), size, kind: 'notype', bind: 'global', section: -1 });
      continue;
    }
    const lower = type === 'W' ? 't' : type.toLowerCase();
    const [section, base] = SECTION_OF[lower]!;
    out.push({
      name,
      address: base + BigInt(offset),
      size,
      kind: lower === 't' ? 'func' : 'object',
      bind: type === 'W' ? 'weak' : type === lower ? 'local' : 'global',
      section,
    });
  }
  for (const [name, , offset, size] of initText) out.push({ name, address: INIT + BigInt(offset), size, kind: 'func', bind: 'global', section: 4 });
  return out;
}

function vmlinux(textBytes: number, rodataBytes: number, syms: FixtureSymbol[], seed: number): Uint8Array {
  return buildElf({
    bits: 64,
    littleEndian: true,
    machine: 62,
    sections: [
      { name: '.text', address: TEXT, data: codeLike(textBytes, seed), flags: 'ax' },
      { name: '.rodata', address: RODATA, data: codeLike(rodataBytes, seed + 1), flags: 'a' },
      { name: '.data', address: DATA, data: codeLike(0x1000, seed + 2), flags: 'wa' },
      { name: '.bss', address: BSS, size: 0x4000, flags: 'bss' },
      { name: '.init.text', address: INIT, data: codeLike(0x200, seed + 3), flags: 'ax' },
    ],
    symbols: syms,
  });
}

// The old image and the new one: every rule bloat-o-meter has, once.
const OLD_SYMS: Sym[] = [
  ['_stext', 'T', 0x0, 0], // zero size: never listed
  ['do_one', 't', 0x0, 0x20], // grows
  ['helper', 't', 0x40, 0x10], // static duplicates of one name: summed (0x28)
  ['helper', 't', 0x80, 0x18],
  ['foo.isra.0', 't', 0x100, 0x30], // ".0" stripped: foo.isra, grows via foo.isra.1
  ['bar', 't', 0x140, 0x40], // unchanged
  ['bar.cold', 't', 0x180, 0x8], // ".cold" is kept
  ['old_name', 'T', 0x200, 0x50], // renamed: removed + added
  ['zero_marker', 'T', 0x260, 0], // zero-size in old, sized in new: "added"
  ['weak_fn', 'W', 0x280, 0x10], // weak: in no class
  ['__se_sys_read', 't', 0x300, 0x20], // generated: skipped
  ['linux_banner', 'R', 0x0, 0x40], // skipped by name
  ['str.1', 'r', 0x40, 0x10], // str.1 + str.2 = str.3: unchanged
  ['str.2', 'r', 0x50, 0x20],
  ['__func__.12', 'r', 0x80, 0x8], // grows to 0x10 under another number
  ['counter', 'D', 0x0, 0x8],
  ['table', 'd', 0x100, 0x100], // grows
  ['buf', 'B', 0x0, 0x1000], // removed
  ['abs_marker', 'A', 0x1234, 4], // absolute: in no class
];
const NEW_SYMS: Sym[] = [
  ['_stext', 'T', 0x0, 0],
  ['do_one', 't', 0x0, 0x30],
  ['helper', 't', 0x80, 0x18], // one of the two statics went: shrinks by 0x10
  ['foo.isra.1', 't', 0x100, 0x38],
  ['bar', 't', 0x140, 0x40],
  ['bar.cold', 't', 0x180, 0x8],
  ['new_name', 'T', 0x200, 0x50],
  ['zero_marker', 'T', 0x260, 0x10],
  ['weak_fn', 'W', 0x280, 0x20],
  ['__se_sys_read', 't', 0x300, 0x40],
  ['linux_banner', 'R', 0x0, 0x50],
  ['str.3', 'r', 0x40, 0x30],
  ['__func__.15', 'r', 0x80, 0x10],
  ['counter', 'D', 0x0, 0x8],
  ['table', 'd', 0x100, 0x120],
  ['newbuf', 'b', 0x1000, 0x800], // added
  ['abs_marker', 'A', 0x1234, 8],
];
const INIT_SYMS: Sym[] = [['start_kernel', 'T', 0x0, 0x40]];

const oldElf = vmlinux(0x2000, 0x1000, symbols(OLD_SYMS, INIT_SYMS), 11);
const newElf = vmlinux(0x2400, 0x1000, symbols(NEW_SYMS, INIT_SYMS), 11);
const oldPath = join(dir, 'vmlinux.old');
const newPath = join(dir, 'vmlinux.new');
writeFileSync(oldPath, oldElf);
writeFileSync(newPath, newElf);

const open = (p: string): KernelImage => openKernelImage(p, { findBeside: false });

function symbolBlocks(d: DiffResult): string {
  return d.symbols.classes.map(bloatOMeterText).join('\n') + '\n';
}

describe('diff: bloat-o-meter rules on built ELFs', () => {
  it('classes, renames, static duplicates, .NUMBER suffixes, zero-size, weak, generated names', async () => {
    const d = await diffImages(open(oldPath), open(newPath), { compressed: false });
    assert.equal(d.symbols.compared, true);
    assert.equal(d.symbols.sizeMethod, 'st_size');
    const [fn, data, ro] = d.symbols.classes;
    const rows = (c: typeof fn) => Object.fromEntries(c!.rows.map((r) => [r.name, [r.old, r.new, r.delta, r.change]]));
    assert.deepEqual(rows(fn), {
      new_name: [null, 0x50, 0x50, 'added'],
      zero_marker: [null, 0x10, 0x10, 'added'],
      do_one: [0x20, 0x30, 0x10, 'grown'],
      'foo.isra': [0x30, 0x38, 8, 'grown'],
      helper: [0x28, 0x18, -0x10, 'shrunk'],
      old_name: [0x50, null, -0x50, 'removed'],
    });
    // bloat-o-meter's order: delta descending, ties by name descending.
    assert.deepEqual(
      fn!.rows.map((r) => r.name),
      ['new_name', 'zero_marker', 'do_one', 'foo.isra', 'helper', 'old_name'],
    );
    assert.deepEqual(fn!.summary, { added: 2, removed: 1, grown: 2, shrunk: 1, up: 0x50 + 0x10 + 0x10 + 8, down: 0x10 + 0x50, net: 0x78 - 0x60 });
    assert.equal(fn!.unchanged, 3, 'bar, bar.cold, start_kernel');
    assert.equal(fn!.before, 0x20 + 0x28 + 0x30 + 0x40 + 0x8 + 0x50 + 0x40);
    assert.equal(fn!.after, 0x30 + 0x18 + 0x38 + 0x40 + 0x8 + 0x50 + 0x10 + 0x40);
    assert.deepEqual(rows(data), { newbuf: [null, 0x800, 0x800, 'added'], table: [0x100, 0x120, 0x20, 'grown'], buf: [0x1000, null, -0x1000, 'removed'] });
    assert.deepEqual(rows(ro), { __func__: [8, 0x10, 8, 'grown'] });
    assert.equal(ro!.unchanged, 1, 'str: 0x10 + 0x20 = 0x30');
    assert.equal(d.symbols.all!.summary.net, fn!.summary.net + data!.summary.net + ro!.summary.net);
  });

  it('prints bloat-o-meter -c lines', async () => {
    const d = await diffImages(open(oldPath), open(newPath), { compressed: false });
    const fn = bloatOMeterText(d.symbols.classes[0]!).split('\n');
    assert.equal(fn[0], 'add/remove: 2/1 grow/shrink: 2/1 up/down: 120/-96 (24)');
    assert.equal(fn[1], 'Function                                     old     new   delta');
    assert.equal(fn[2], 'new_name                                       -      80     +80');
    assert.equal(fn.at(-2), 'old_name                                      80       -     -80');
    assert.equal(fn.at(-1), 'Total: Before=336, After=360, chg +7.14%');
  });

  it('names: every .NUMBER goes, other suffixes stay', () => {
    assert.equal(bloatName('foo.isra.0'), 'foo.isra');
    assert.equal(bloatName('foo.constprop.0.isra.0'), 'foo.constprop.isra');
    assert.equal(bloatName('foo.cold'), 'foo.cold');
    assert.equal(bloatName('foo.part.12'), 'foo.part');
    assert.equal(bloatName('__func__.123'), '__func__');
    assert.equal(bloatName('x.12ab'), 'xab');
  });

  it('percent prints like Python %+.2f (exact ties to even)', () => {
    assert.equal(pythonPercent(0), '+0.00');
    assert.equal(pythonPercent(0.125), '+0.12');
    assert.equal(pythonPercent(0.375), '+0.38');
    assert.equal(pythonPercent(-2.625), '-2.62');
    assert.equal(pythonPercent(5.263157894736842), '+5.26');
    assert.equal(pythonPercent(-100), '-100.00');
  });

  it('a class that is empty on both sides has zero totals and prints +0.00%', () => {
    const c = diffClass(SYMBOL_CLASSES[0]!, new Map(), new Map());
    assert.equal(
      bloatOMeterText(c),
      [
        'add/remove: 0/0 grow/shrink: 0/0 up/down: 0/0 (0)',
        'Function                                     old     new   delta',
        'Total: Before=0, After=0, chg +0.00%',
      ].join('\n'),
    );
  });

  it("matches the kernel's scripts/bloat-o-meter when KZBENCH_BLOAT_O_METER is set", async (t) => {
    const script = process.env.KZBENCH_BLOAT_O_METER;
    if (!script) return t.skip('set KZBENCH_BLOAT_O_METER to scripts/bloat-o-meter from linux-source');
    const d = await diffImages(open(oldPath), open(newPath), { compressed: false });
    const withC = spawnSync('python3', [script, '-c', oldPath, newPath], { encoding: 'utf8' });
    assert.equal(withC.status, 0, withC.stderr);
    assert.equal(symbolBlocks(d), withC.stdout);
    const plain = spawnSync('python3', [script, oldPath, newPath], { encoding: 'utf8' });
    assert.equal(bloatOMeterText(d.symbols.all!) + '\n', plain.stdout);
  });

  it('matches bloat-o-meter on random pairs too, when KZBENCH_BLOAT_O_METER is set', async (t) => {
    const script = process.env.KZBENCH_BLOAT_O_METER;
    if (!script) return t.skip('set KZBENCH_BLOAT_O_METER to scripts/bloat-o-meter from linux-source');
    let x = 12345;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const stems = ['a', 'b', 'foo', 'foo_bar', 'Zed', '__func__', 'x.cold', 'y.part', '__mod_x', 'vermagic', '__addressable_q', 'linux_banner'];
    const types: Sym[1][] = ['T', 't', 'W', 'D', 'd', 'B', 'b', 'R', 'r'];
    const randomSyms = (): Sym[] =>
      Array.from({ length: 120 }, (_, i): Sym => {
        const stem = stems[rnd(stems.length)]!;
        const suffix = ['', '', '.0', '.12', '.isra.0', '.constprop.3'][rnd(6)]!;
        return [`${stem}${suffix}`, types[rnd(types.length)]!, i * 0x10, rnd(5) === 0 ? 0 : rnd(0x30)];
      });
    for (let k = 0; k < 4; k++) {
      const [o, n] = [join(dir, `random.${k}.old`), join(dir, `random.${k}.new`)];
      writeFileSync(o, vmlinux(0x2000, 0x1000, symbols(randomSyms()), 5));
      writeFileSync(n, vmlinux(0x2000, 0x1000, symbols(randomSyms()), 5));
      const d = await diffImages(open(o), open(n), { compressed: false });
      const withC: SpawnSyncReturns<string> = spawnSync('python3', [script, '-c', o, n], { encoding: 'utf8' });
      assert.equal(symbolBlocks(d), withC.stdout, `pair ${k}`);
      const plain: SpawnSyncReturns<string> = spawnSync('python3', [script, o, n], { encoding: 'utf8' });
      assert.equal(bloatOMeterText(d.symbols.all!) + '\n', plain.stdout, `pair ${k}`);
    }
  });
});

describe('diff: sizes without st_size (kallsyms, System.map)', () => {
  const sections: Section[] = [
    { name: '.text', address: 0x1000n, offset: 0, bytes: 0x100, fileBytes: 0x100, kind: 'text' },
    { name: '.rodata', address: 0x2000n, offset: 0x100, bytes: 0x80, fileBytes: 0x80, kind: 'rodata' },
  ];
  it('extent to the next symbol, bounded by the section; aliases counted once', () => {
    const sized = extentSizes(
      [
        { name: 'b', type: 't', address: 0x1000n, size: null },
        { name: 'a', type: 'W', address: 0x1000n, size: null }, // weak alias: does not take the extent
        { name: '_stext', type: 'T', address: 0x1000n, size: null }, // linker marker: 0, never takes the extent
        { name: 'c', type: 'T', address: 0x1030n, size: null },
        { name: '__kprobes_text_end', type: 'T', address: 0x1050n, size: null }, // marker: padding after it is nobody's
        { name: 'd', type: 'T', address: 0x10f0n, size: null }, // last in .text: to the section end
        { name: 'r', type: 'r', address: 0x2000n, size: null },
        { name: 'out', type: 'T', address: 0x9000n, size: null }, // in no section
      ],
      sections,
    );
    assert.deepEqual(Object.fromEntries(sized.map((s) => [s.name, s.size])), {
      b: 0x30,
      a: 0,
      _stext: 0,
      c: 0x20,
      __kprobes_text_end: 0,
      d: 0x10,
      r: 0x80,
      out: 0,
    });
    assert.deepEqual(
      [...classSizes(sized, 'tT')],
      [
        ['b', 0x30],
        ['c', 0x20],
        ['d', 0x10],
      ],
    );
  });

  it('a System.map image against a symtab one: extents for both, and a note says so', async () => {
    const map = join(dir, 'System.map');
    const lines = [...OLD_SYMS, ...INIT_SYMS.map((s): Sym => s)]
      .filter((s) => s[1] !== 'A')
      .map(([name, type, offset]) => {
        const base = INIT_SYMS.some((i) => i[0] === name) ? INIT : SECTION_OF[type === 'W' ? 't' : type.toLowerCase()]![1];
        return `${(base + BigInt(offset)).toString(16)} ${type} ${name}`;
      });
    for (let i = 0; i < 20; i++) lines.push(`${(TEXT + 0x1000n + BigInt(i * 0x10)).toString(16)} t filler_${i}`);
    writeFileSync(map, lines.join('\n') + '\n');
    const stripped = readKernelImage(buildElf({ ...elfSpecWithoutSymbols() }), join(dir, 'stripped'), { systemMapPath: map, findBeside: false });
    assert.equal(stripped.symbols.source, 'system.map');
    const d = await diffImages(stripped, open(newPath), { compressed: false });
    assert.equal(d.symbols.sizeMethod, 'extent');
    assert.ok(
      d.messages.some((m) => /extents .*one image has no sizes \(old: system\.map\)/.test(m)),
      d.messages.join('\n'),
    );
    // old_name runs from 0x200 to zero_marker at 0x260.
    const fn = d.symbols.classes[0]!;
    assert.equal(fn.rows.find((r) => r.name === 'old_name')?.old, 0x60);
  });
});

function elfSpecWithoutSymbols() {
  return {
    bits: 64 as const,
    littleEndian: true,
    machine: 62,
    sections: [
      { name: '.text', address: TEXT, data: codeLike(0x2000, 11), flags: 'ax' as const },
      { name: '.rodata', address: RODATA, data: codeLike(0x1000, 12), flags: 'a' as const },
      { name: '.data', address: DATA, data: codeLike(0x1000, 13), flags: 'wa' as const },
      { name: '.bss', address: BSS, size: 0x4000, flags: 'bss' as const },
      { name: '.init.text', address: INIT, data: codeLike(0x200, 14), flags: 'ax' as const },
    ],
  };
}

describe('diff: sections', () => {
  it('deltas per section by name, totals over loaded sections', async () => {
    const d = await diffImages(open(oldPath), open(newPath), { compressed: false });
    const text = d.sections.rows.find((r) => r.name === '.text')!;
    assert.deepEqual([text.old?.bytes, text.new?.bytes, text.delta, text.change], [0x2000, 0x2400, 0x400, 'grown']);
    assert.equal(d.sections.rows.find((r) => r.name === '.bss')!.change, 'same');
    assert.ok(
      d.sections.rows.some((r) => r.name === '.symtab' && r.kind === 'other'),
      'non-loaded sections are listed',
    );
    assert.deepEqual(d.sections.loaded, { old: 0x2000 + 0x1000 + 0x1000 + 0x4000 + 0x200, new: 0x2400 + 0x1000 + 0x1000 + 0x4000 + 0x200, delta: 0x400 });
    assert.deepEqual(d.sections.stored, { old: 0x2000 + 0x1000 + 0x1000 + 0x200, new: 0x2400 + 0x1000 + 0x1000 + 0x200, delta: 0x400 });
  });

  it('added and removed sections; raw-Image gaps matched by what precedes them', () => {
    const s = (name: string, address: bigint, bytes: number, kind: Section['kind'] = 'text'): Section => ({
      name,
      address,
      offset: 0,
      bytes,
      fileBytes: bytes,
      kind,
    });
    const d = diffSections(
      [s('.head.text', 0x1000n, 0x100), s('.text', 0x1100n, 0x400), s('.unknown@0x1500', 0x1500n, 0x300, 'unknown'), s('.gone', 0x9000n, 0x10, 'data')],
      [s('.head.text', 0x1000n, 0x100), s('.text', 0x1100n, 0x500), s('.unknown@0x1600', 0x1600n, 0x280, 'unknown'), s('.new', 0xa000n, 0x20, 'data')],
    );
    assert.deepEqual(
      d.rows.map((r) => [r.name, r.delta, r.change]),
      [
        ['.head.text', 0, 'same'],
        ['.text', 0x100, 'grown'],
        ['(unmarked after .text)', -0x80, 'shrunk'],
        ['.gone', -0x10, 'removed'],
        ['.new', 0x20, 'added'],
      ],
    );
    assert.equal(d.loaded.delta, 0x100 - 0x80 - 0x10 + 0x20);
  });
});

describe('diff: compressed sizes and mismatched inputs', () => {
  const bz = (elf: Uint8Array, name: string) => {
    const stream = compress(parseSetting('xz:preset=6,bcj=x86'), elf);
    const p = join(dir, name);
    writeFileSync(p, buildBzImage({ stream, sizeTrailer: elf.length }));
    return p;
  };
  const oldBz = bz(oldElf, 'bzImage.old');
  const newBz = bz(newElf, 'bzImage.new');

  it('shipped algorithm plus --codec, each the kernel profile, equal to compressing the whole unit', async () => {
    const o = open(oldBz);
    const n = open(newBz);
    const d = await diffImages(o, n, { codecs: ['lz4'], workers: 2 });
    assert.deepEqual(
      d.compressed!.rows.map((r) => [r.spec, r.sources]),
      [
        ['xz', ['shipped']],
        ['lz4', ['codec']],
      ],
    );
    for (const r of d.compressed!.rows) {
      const setting = kernelProfile(r.spec as 'xz' | 'lz4', { arch: 'x86_64' });
      assert.equal(r.old.setting, setting.key);
      assert.equal(r.old.bytes, compress(setting, wholeUnit(o).bytes).length);
      assert.equal(r.new.bytes, compress(setting, wholeUnit(n).bytes).length);
      assert.equal(r.delta, r.new.bytes! - r.old.bytes!);
    }
    assert.deepEqual(d.compressed!.unit, { old: oldElf.length, new: newElf.length, delta: newElf.length - oldElf.length });
    // The symbols inside the bzImages are the ELFs' own.
    assert.equal(d.symbols.classes[0]!.summary.net, 24);
  });

  it('no payload and no .config choice: no compressed sizes, and a message', async () => {
    const d = await diffImages(open(oldPath), open(newPath));
    assert.deepEqual(d.compressed!.rows, []);
    assert.ok(d.messages.some((m) => /neither image ships a compressed payload.*--codec/.test(m)));
  });

  it('two arches: sections and compressed sizes, not symbols', async () => {
    const arm = buildElf({
      bits: 32,
      littleEndian: true,
      machine: 40,
      sections: [{ name: '.text', address: 0xc0008000n, data: codeLike(0x1800, 3), flags: 'ax' }],
      symbols: [{ name: 'do_one', address: 0xc0008000n, size: 0x20, kind: 'func', bind: 'global', section: 0 }],
    });
    const armPath = join(dir, 'vmlinux.arm');
    writeFileSync(armPath, arm);
    const d = await diffImages(open(oldPath), open(armPath), { codecs: ['gzip', 'bzip2'], workers: 1 });
    assert.equal(d.symbols.compared, false);
    assert.match(d.messages[0]!, /different arches \(x86_64 and arm\): symbols are not compared.*sections \(by name\) and compressed sizes are/);
    assert.equal(d.sections.rows.find((r) => r.name === '.text')!.delta, 0x1800 - 0x2000);
    const gz = d.compressed!.rows.find((r) => r.spec === 'gzip')!;
    assert.ok(gz.old.bytes! > 0 && gz.new.bytes! > 0);
    const bz2 = d.compressed!.rows.find((r) => r.spec === 'bzip2')!;
    assert.equal(bz2.new.bytes, null);
    assert.match(bz2.new.reason!, /cannot be compressed with bzip2/);
    assert.match(renderText(d), /symbols: not compared: different arches/);
  });

  it('an image without symbols: sections and compressed sizes only', async () => {
    const p = join(dir, 'vmlinux.nosyms');
    writeFileSync(p, buildElf(elfSpecWithoutSymbols()));
    const d = await diffImages(open(p), open(newPath), { compressed: false });
    assert.equal(d.symbols.compared, false);
    assert.match(d.symbols.reason!, /vmlinux\.nosyms\) has no symbols .*: comparing sections and compressed sizes only/);
    assert.equal(d.sections.loaded.delta, 0x400);
  });

  it('CSV: one header, tidy rows per table', async () => {
    const d = await diffImages(open(oldBz), open(newBz), { workers: 2 });
    const lines = renderCsv(d).trimEnd().split('\n');
    assert.equal(lines[0], 'table,class,name,kind,old_bytes,new_bytes,delta_bytes,change,old_setting,new_setting');
    assert.ok(lines.some((l) => l.startsWith('compressed,xz,xz,,')));
    assert.ok(lines.includes('symbol,functions,helper,,40,24,-16,shrunk,,'));
    assert.ok(lines.includes('symbol_total,functions,,,336,360,24,,,'));
    assert.ok(lines.some((l) => l.startsWith('section,,.text,text,8192,9216,1024,grown')));
  });
});

describe('kzbench diff (CLI)', () => {
  // diffCommand in a child process (stdout is the test runner's here).
  const cli = new URL('../src/cli/diff.js', import.meta.url).href;
  const diff = (oldP: string, newP: string, opts: object): SpawnSyncReturns<string> =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { diffCommand } from ${JSON.stringify(cli)}; process.exitCode = await diffCommand(${JSON.stringify(oldP)}, ${JSON.stringify(newP)}, ${JSON.stringify(opts)});`,
      ],
      { encoding: 'utf8' },
    );

  it('text: the bloat-o-meter blocks; JSON: the DiffResult', () => {
    const r = diff(oldPath, newPath, {});
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^add\/remove: 2\/1 grow\/shrink: 2\/1 up\/down: 120\/-96 \(24\)$/m);
    assert.match(r.stdout, /^total loaded +\S+ +\S+ +\+1,024$/m);
    const j = JSON.parse(diff(oldPath, newPath, { json: true }).stdout) as DiffResult;
    assert.equal(j.symbols.classes[0]!.summary.net, 24);
  });

  it('refusals name the problem: --json with --csv, bad --profile, bad --codec, unreadable NEW', () => {
    assert.match(diff(oldPath, newPath, { json: true, csv: true }).stderr, /UsageError: --json and --csv: choose one/);
    assert.match(diff(oldPath, newPath, { profile: 'fast' }).stderr, /--profile fast: allowed: kernel, none/);
    assert.match(diff(oldPath, newPath, { codec: ['xz:preset=99'] }).stderr, /SettingsError: invalid codec setting/);
    const junk = join(mkdtempSync(join(tmpdir(), 'kzbench-diff-junk-')), 'junk');
    writeFileSync(junk, codeLike(5000, 9));
    const refused = diff(oldPath, junk, {}).stderr;
    assert.match(refused, /ImageError: not a kernel image/);
    assert.ok(refused.includes(`file: '${junk}'`), 'the error names the image it is about');
  });

  it('through bin/kzbench.js once main.ts wires it', (t) => {
    const r = spawnSync(process.execPath, [bin, 'diff', oldPath, newPath], { encoding: 'utf8' });
    if (r.status !== 0 && /unknown command|too many arguments/.test(r.stderr)) return t.skip('diff is not wired into src/cli/main.ts yet');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^add\/remove: 2\/1 grow\/shrink: 2\/1 up\/down: 120\/-96 \(24\)$/m);
    const bad = spawnSync(process.execPath, [bin, 'diff', '--json', '--csv', oldPath, newPath], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr.trimEnd().split('\n').length, 1, bad.stderr);
  });
});

describe('diff: real Debian kernels', () => {
  it('armhf: kallsyms without CONFIG_KALLSYMS_ALL lists text only, so data classes are not compared', async (t) => {
    const a = realKernel('armhf');
    if (!a) return t.skip('real kernel not cached');
    const d = await diffImages(a.image, a.image, { compressed: false });
    assert.equal(d.symbols.classes[0]!.compared, true);
    assert.equal(d.symbols.classes[0]!.summary.net, 0);
    assert.equal(d.symbols.classes[1]!.compared, false);
    assert.match(d.symbols.classes[1]!.reason!, /old lists no data symbols \(kallsyms without CONFIG_KALLSYMS_ALL/);
    assert.equal(d.sections.loaded.delta, 0);
  });

  it('amd64 vs cloud-amd64: sections from the ELF tables, symbols from kallsyms', async (t) => {
    const a = realKernel('amd64');
    const c = realKernel('cloud-amd64');
    if (!a || !c) return t.skip('real kernels not cached');
    const d = await diffImages(a.image, c.image, { compressed: false });
    assert.equal(d.symbols.sizeMethod, 'extent');
    assert.ok(d.symbols.classes[0]!.compared);
    assert.ok(
      d.symbols.classes.every((c) => c.compared),
      'Debian amd64 kernels have CONFIG_KALLSYMS_ALL: data symbols too',
    );
    // Section deltas straight from the two ELF section tables.
    for (const r of d.sections.rows) {
      const o: Section | undefined = a.image.sections.find((s) => s.name === r.name);
      const n: Section | undefined = c.image.sections.find((s) => s.name === r.name);
      assert.equal(r.delta, (n?.bytes ?? 0) - (o?.bytes ?? 0), r.name);
    }
    assert.ok(d.symbols.classes[0]!.summary.removed > 1000, 'cloud drops thousands of driver functions');
  });

  it('compressed: xz and lz4 kernel profiles (KZBENCH_SLOW=1)', { timeout: 900_000 }, async (t) => {
    if (!process.env.KZBENCH_SLOW) return t.skip('set KZBENCH_SLOW=1 (compresses two 60 MB kernels)');
    const a = realKernel('amd64');
    const c = realKernel('cloud-amd64');
    if (!a || !c) return t.skip('real kernels not cached');
    const d = await diffImages(a.image, c.image, {});
    const xz = d.compressed!.rows.find((r) => r.spec === 'xz')!;
    const lz4 = d.compressed!.rows.find((r) => r.spec === 'lz4')!;
    // Recompressing with the 6.1 kernel command gives the shipped payloads byte for byte.
    assert.equal(xz.old.bytes, a.shippedPayload!.length);
    assert.equal(lz4.new.bytes, c.shippedPayload!.length);
    assert.deepEqual(xz.sources, ['shipped']);
  });
});
