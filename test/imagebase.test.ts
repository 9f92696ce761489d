// Image base recovery from __ksymtab: fixtures built in code (PREL32 and
// absolute entries, 32/64-bit, LE/BE), fuzzing, and the real Debian kernels
// in the cache when present.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { findImageBase, MIN_VOTES } from '../src/image/imagebase.js';
import { readKallsyms } from '../src/image/kallsyms.js';
import { realKernel } from './corpus.js';

type Sym = { name: string; address: bigint };

interface FixtureOptions {
  wordSize: 4 | 8;
  littleEndian: boolean;
  layout: 'prel32' | 'absolute';
  /** Fields per entry: value, name[, namespace]. */
  fields: 2 | 3;
  entries: number;
  base: bigint;
  seed: number;
  /** 6.5+ style: every name is followed by its namespace string "". */
  nsStrings?: boolean;
}

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const TEXT = 0x1000;
const KSYMTAB = 0x30000;
const STRINGS = 0x48000;
const SIZE = 0x60000;

/** A fake Image: random bytes, a text area, a __ksymtab and a __ksymtab_strings. */
function fixture(o: FixtureOptions): { image: Uint8Array; symbols: Sym[] } {
  const rnd = prng(o.seed);
  const image = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) image[i] = rnd() & 0xff;
  const dv = new DataView(image.buffer);
  const le = o.littleEndian;
  const symbols: Sym[] = [{ name: '_stext', address: o.base + BigInt(TEXT) }];
  // Non-exported symbols too, and names of varied length.
  for (let i = 0; i < 2 * o.entries; i++) {
    const name = i % 2 ? `static_helper_${i}` : `exp_${i % 7 ? 'fn' : 'a_much_longer_function_name'}_${i}`;
    symbols.push({ name, address: o.base + BigInt(TEXT + 32 * (i + 1)) });
  }
  symbols.push({ name: '_etext', address: o.base + BigInt(TEXT + 32 * (2 * o.entries + 2)) });
  const exported = symbols.filter((s) => s.name.startsWith('exp_')).slice(0, o.entries);
  // __ksymtab_strings: NUL first (the previous section ends with one in practice).
  let str = STRINGS;
  image[str++] = 0;
  const strOff: number[] = [];
  for (const s of exported) {
    strOff.push(str);
    for (const c of s.name) image[str++] = c.charCodeAt(0);
    image[str++] = 0;
    if (o.nsStrings) image[str++] = 0;
  }
  const fieldSize = o.layout === 'prel32' ? 4 : o.wordSize;
  const entrySize = fieldSize * o.fields;
  const put = (at: number, v: bigint): void => {
    if (fieldSize === 4) dv.setUint32(at, Number(BigInt.asUintN(32, v)), le);
    else dv.setBigUint64(at, BigInt.asUintN(64, v), le);
  };
  exported.forEach((s, i) => {
    const e = KSYMTAB + i * entrySize;
    const fileOff = s.address - o.base;
    if (o.layout === 'prel32') {
      put(e, fileOff - BigInt(e));
      put(e + 4, BigInt(strOff[i] - (e + 4)));
      if (o.fields === 3) put(e + 8, o.nsStrings ? BigInt(strOff[i] + s.name.length + 1 - (e + 8)) : 0n);
    } else {
      put(e, s.address);
      put(e + fieldSize, o.base + BigInt(strOff[i]));
      if (o.fields === 3) put(e + 2 * fieldSize, 0n);
    }
  });
  return { image, symbols };
}

const base32 = 0xc0208000n;
const base64 = 0xffff800008000000n;

describe('findImageBase on fixtures', () => {
  const cases: [FixtureOptions['layout'], 4 | 8, boolean, 2 | 3, boolean][] = [];
  for (const layout of ['prel32', 'absolute'] as const) {
    for (const ws of [4, 8] as const) {
      for (const le of [true, false]) {
        for (const fields of [3, 2] as const) cases.push([layout, ws, le, fields, fields === 3 && ws === 8]);
      }
    }
  }
  for (const [layout, wordSize, littleEndian, fields, nsStrings] of cases) {
    const tag = `${layout} ${wordSize * 8}-bit ${littleEndian ? 'LE' : 'BE'} ${fields} fields${nsStrings ? ' (6.5 strings)' : ''}`;
    it(`recovers the base: ${tag}`, () => {
      const base = wordSize === 4 ? base32 : base64;
      const entries = 300;
      const { image, symbols } = fixture({ wordSize, littleEndian, layout, fields, entries, base, seed: 7, nsStrings });
      const r = findImageBase(image, symbols, { wordSize, littleEndian });
      assert.ok(r, 'no result');
      assert.equal(r.base, base);
      assert.equal(r.votes, entries);
      assert.ok(r.candidates >= r.votes && r.candidates <= r.votes + 5, `candidates ${r.candidates}`);
      const entrySize = (layout === 'prel32' ? 4 : wordSize) * fields;
      assert.equal(r.method, `__ksymtab ${layout === 'prel32' ? 'PREL32' : 'absolute'} (${entrySize}-byte entries)`);
    });
  }

  it('returns null with too few entries', () => {
    const { image, symbols } = fixture({
      wordSize: 8,
      littleEndian: true,
      layout: 'prel32',
      fields: 3,
      entries: MIN_VOTES - 1,
      base: base64,
      seed: 3,
    });
    assert.equal(findImageBase(image, symbols, { wordSize: 8, littleEndian: true }), null);
  });

  it('returns null when no exported name is a kallsyms symbol', () => {
    const { image, symbols } = fixture({
      wordSize: 4,
      littleEndian: true,
      layout: 'absolute',
      fields: 3,
      entries: 200,
      base: base32,
      seed: 4,
    });
    const renamed = symbols.map((s) => ({ name: s.name.startsWith('exp_') ? `x${s.name}` : s.name, address: s.address }));
    assert.equal(findImageBase(image, renamed, { wordSize: 4, littleEndian: true }), null);
  });

  it('returns null when the base would put _stext outside the Image', () => {
    const { image, symbols } = fixture({
      wordSize: 8,
      littleEndian: true,
      layout: 'prel32',
      fields: 3,
      entries: 200,
      base: base64,
      seed: 5,
    });
    const moved = symbols.map((s) => (s.name === '_stext' ? { name: s.name, address: base64 - 0x1000n } : s));
    assert.equal(findImageBase(image, moved, { wordSize: 8, littleEndian: true }), null);
  });

  it('returns null when two tables disagree evenly', () => {
    // Two PREL32 tables for the same names whose values are 64 bytes apart:
    // two bases with the same votes.
    const { image, symbols } = fixture({
      wordSize: 8,
      littleEndian: true,
      layout: 'prel32',
      fields: 3,
      entries: 100,
      base: base64,
      seed: 6,
    });
    const dv = new DataView(image.buffer);
    const second = KSYMTAB + 0x8000;
    for (let i = 0; i < 100; i++) {
      const from = KSYMTAB + 12 * i,
        to = second + 12 * i;
      dv.setInt32(to, dv.getInt32(from, true) + from - to + 64, true);
      dv.setInt32(to + 4, dv.getInt32(from + 4, true) + from - to, true);
      dv.setInt32(to + 8, 0, true);
    }
    assert.equal(findImageBase(image, symbols, { wordSize: 8, littleEndian: true }), null);
  });

  it('survives a few corrupted entries (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('prel32' as const, 'absolute' as const),
        fc.constantFrom(4 as const, 8 as const),
        fc.boolean(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 0x5000 }), fc.integer({ min: 0, max: 255 })), { maxLength: 200 }),
        (layout, wordSize, littleEndian, edits) => {
          const base = wordSize === 4 ? base32 : base64;
          const { image, symbols } = fixture({ wordSize, littleEndian, layout, fields: 3, entries: 400, base, seed: 9 });
          for (const [at, v] of edits) image[KSYMTAB + at] = v;
          const r = findImageBase(image, symbols, { wordSize, littleEndian });
          // Exact or nothing; with at most 200 bytes hit, 200 entries survive.
          assert.ok(r, 'no result');
          assert.equal(r.base, base);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('never throws on garbage (fast-check)', () => {
    const sym = fc.record({
      name: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('_stext', '_etext', 'a', '')),
      address: fc.bigInt({ min: -1n, max: (1n << 64n) + 1n }),
    });
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 8192 }),
        fc.array(sym, { maxLength: 64 }),
        fc.constantFrom(4 as const, 8 as const),
        fc.boolean(),
        (image, symbols, wordSize, littleEndian) => {
          const r = findImageBase(image, symbols, { wordSize, littleEndian });
          assert.ok(r === null || typeof r.base === 'bigint');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts an unaligned view', () => {
    const { image, symbols } = fixture({
      wordSize: 8,
      littleEndian: true,
      layout: 'prel32',
      fields: 3,
      entries: 100,
      base: base64,
      seed: 8,
    });
    const shifted = new Uint8Array(image.length + 1);
    shifted.set(image, 1);
    const r = findImageBase(shifted.subarray(1), symbols, { wordSize: 8, littleEndian: true });
    assert.equal(r?.base, base64);
  });
});

// ---------------------------------------------------------------------------
// Real kernels

function realCheck(
  t: { diagnostic(m: string): void },
  image: Uint8Array,
  hints: { wordSize: 4 | 8; littleEndian: boolean },
  expected: bigint,
  what: string,
  rawImage = true,
): void {
  const k = readKallsyms(image, hints);
  assert.ok(k, 'no kallsyms');
  // In a raw Image, a _text in kallsyms would make the test moot (and must be the base).
  const text = k.symbols.find((s) => s.name === '_text');
  if (rawImage) assert.equal(text, undefined, '_text is in kallsyms');
  const r = findImageBase(image, k.symbols, hints);
  assert.ok(r, 'no base found');
  t.diagnostic(`${what}: base 0x${r.base.toString(16)} by ${r.method}, ${r.votes}/${r.candidates} votes`);
  assert.equal(r.base, expected, `base 0x${r.base.toString(16)}, want 0x${expected.toString(16)}`);
  assert.ok(r.votes > 5000);
  const stext = k.symbols.find((s) => s.name === '_stext');
  assert.ok(stext && stext.address > r.base && stext.address - r.base < BigInt(image.length));
}

describe('findImageBase on real kernels', () => {
  const armhf = realKernel('armhf');
  it(
    'armhf armmp Image: PAGE_OFFSET + TEXT_OFFSET',
    { skip: armhf?.image.configPath ? false : 'the armhf kernel and its config are not in the cache' },
    (t) => {
      const config = readFileSync(armhf!.image.configPath!, 'latin1');
      const opt = (n: string): string | undefined => new RegExp(`^CONFIG_${n}=(.*)$`, 'm').exec(config)?.[1];
      // TEXT_OFFSET per arch/arm/Makefile (textofs-y and the platforms that
      // move it; the last assignment wins, as in make).
      let textofs = 0x8000n;
      if (opt('PM_H1940') === 'y' || opt('ARCH_REALTEK') === 'y') textofs = 0x108000n;
      if (opt('ARCH_SA1100') === 'y' && opt('SA1111') === 'y') textofs = 0x208000n;
      for (const o of ['ARCH_IPQ40XX', 'ARCH_MSM8X60', 'ARCH_MSM8960', 'ARCH_QCOM_RESERVE_SMEM', 'ARCH_MESON']) {
        if (opt(o) === 'y') textofs = 0x208000n;
      }
      if (opt('ARCH_AXXIA') === 'y') textofs = 0x308000n;
      const pageOffset = BigInt(opt('PAGE_OFFSET') ?? 'NaN');
      realCheck(t, armhf!.image.kernel, { wordSize: 4, littleEndian: true }, pageOffset + textofs, 'armhf');
    },
  );

  const arm64 = realKernel('arm64');
  it('arm64 Image: agrees with the branch to primary_entry at offset 4', { skip: arm64 ? false : 'the arm64 kernel is not in the cache' }, (t) => {
    const image = Buffer.from(arm64!.image.kernel); // the Image before the PE signature
    // arm64 Image header: code0 (MZ magic as an instruction), code1 = "b primary_entry".
    const insn = image.readUInt32LE(4);
    assert.equal(insn >>> 26, 0b000101, 'offset 4 is not a B instruction');
    const target = 4 + (((insn & 0x3ffffff) << 6) >> 6) * 4;
    const k = readKallsyms(image, { wordSize: 8, littleEndian: true });
    const entry = k?.symbols.find((s) => s.name === 'primary_entry');
    assert.ok(entry, 'no primary_entry in kallsyms');
    realCheck(t, image, { wordSize: 8, littleEndian: true }, entry.address - BigInt(target), 'arm64');
  });

  const x86 = realKernel('amd64');
  it('amd64 vmlinux (ELF file as bytes): first PT_LOAD vaddr - offset', { skip: x86 ? false : 'the amd64 kernel is not in the cache' }, (t) => {
    const elf = Buffer.from(x86!.image.kernel.buffer, x86!.image.kernel.byteOffset, x86!.image.kernel.byteLength);
    assert.equal(elf.readUInt32BE(0), 0x7f454c46);
    const phoff = Number(elf.readBigUInt64LE(0x20));
    const phentsize = elf.readUInt16LE(0x36);
    const phnum = elf.readUInt16LE(0x38);
    let expected: bigint | undefined;
    for (let i = 0; i < phnum && expected === undefined; i++) {
      const ph = phoff + i * phentsize;
      if (elf.readUInt32LE(ph) !== 1) continue; // PT_LOAD
      expected = elf.readBigUInt64LE(ph + 16) - elf.readBigUInt64LE(ph + 8);
    }
    assert.ok(expected !== undefined);
    // Only the first segment maps linearly; entries for functions in the
    // others (exported init code) vote elsewhere and lose.
    realCheck(t, elf, { wordSize: 8, littleEndian: true }, expected, 'amd64 ELF', false);
  });
});
