// kallsyms recovery: fixtures built in code for every table layout, fuzzing,
// and the real Debian kernels in the cache when present.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KallsymsError, readKallsyms, type KallsymsResult, type KallsymsSymbol } from '../src/image/kallsyms.js';
import { realKernel, realSystemMap, type RealKernelName } from './corpus.js';
import { buildKallsyms, prng, sampleSymbols, type FixtureAddressing, type FixtureEra, type FixtureOptions } from './fixtures/kallsyms-fixture.js';

function fixture(opts: Partial<FixtureOptions> & { count?: number; longName?: boolean } = {}) {
  const wordSize = opts.wordSize ?? 8;
  const addressing = opts.addressing ?? 'relative';
  const { symbols, percpu } = sampleSymbols({
    count: opts.count ?? 700,
    wordSize,
    seed: opts.seed,
    longName: opts.longName,
    percpuSymbols: addressing !== 'relative',
  });
  return buildKallsyms(symbols, {
    era: opts.era ?? '6.4',
    addressing,
    wordSize,
    littleEndian: opts.littleEndian ?? true,
    percpu,
    prefix: opts.prefix,
    suffix: opts.suffix,
    seed: opts.seed,
    unappliedRela: opts.unappliedRela,
  });
}

function same(actual: KallsymsSymbol[], expected: KallsymsSymbol[]): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i],
      e = expected[i];
    if (a.name !== e.name || a.type !== e.type || a.address !== e.address) {
      assert.fail(`symbol ${i}: got ${a.type} ${a.name} @${a.address.toString(16)}, ` + `want ${e.type} ${e.name} @${e.address.toString(16)}`);
    }
  }
}

const layoutOf: Record<FixtureEra, RegExp> = {
  '5.x': /^5\.x-6\.1 /,
  '6.1': /^5\.x-6\.1 /,
  '6.2': /^6\.2-6\.3 .*seqs_of_names$/,
  '6.2-u32': /^6\.2-6\.3 .*seqs_of_names \(u32\)$/,
  '6.4': /^6\.4\+ .*seqs_of_names$/,
};
const kindOf: Record<FixtureAddressing, RegExp> = {
  relative: / relative(,|$)/,
  'absolute-percpu': / relative absolute_percpu/,
  absolute: / absolute/,
};

describe('kallsyms fixtures', () => {
  const eras: FixtureEra[] = ['5.x', '6.1', '6.2', '6.2-u32', '6.4'];
  const addressings: FixtureAddressing[] = ['relative', 'absolute-percpu', 'absolute'];
  const shapes: [4 | 8, boolean][] = [
    [8, true],
    [4, true],
    [4, false],
    [8, false],
  ];
  for (const era of eras) {
    for (const addressing of addressings) {
      for (const [wordSize, littleEndian] of shapes) {
        if (addressing === 'absolute-percpu' && wordSize === 4) continue; // x86_64 only
        const name = `${era} ${addressing} ${wordSize * 8}-bit ${littleEndian ? 'LE' : 'BE'}`;
        it(name, () => {
          const fx = fixture({ era, addressing, wordSize, littleEndian, seed: wordSize + (littleEndian ? 1 : 0) });
          const r = readKallsyms(fx.image, { wordSize, littleEndian });
          assert.ok(r, 'tables not found');
          same(r.symbols, fx.expected);
          assert.match(r.layout, layoutOf[era]);
          assert.match(r.layout, kindOf[addressing]);
          assert.equal(r.tablesOffset, fx.tablesOffset);
        });
      }
    }
  }

  it('percpu symbols read as absolute "A" symbols before the relative ones', () => {
    const fx = fixture({ addressing: 'absolute-percpu' });
    const r = readKallsyms(fx.image, { wordSize: 8, littleEndian: true })!;
    assert.deepEqual(
      r.symbols.slice(0, 5).map((s) => [s.type, s.address]),
      [0n, 1n, 2n, 3n, 4n].map((i) => ['A', i * 0x1000n]),
    );
    assert.equal(r.symbols[5].address, 0xffffffff81000000n);
    assert.equal(r.symbols.find((s) => s.name === '_text')?.address, 0xffffffff81000000n);
  });

  it('big names (2-byte ULEB128 lengths, 6.1+)', () => {
    for (const era of ['6.1', '6.2', '6.4'] as FixtureEra[]) {
      const fx = fixture({ era, longName: true, count: 300 });
      const long = fx.expected.find((s) => s.name.length >= 500)!;
      const r = readKallsyms(fx.image, { wordSize: 8, littleEndian: true })!;
      same(r.symbols, fx.expected);
      assert.ok(r.symbols.some((s) => s.name === long.name));
    }
  });

  it('1, 256, 257 and 512 symbols (marker boundaries)', () => {
    for (const count of [1, 256, 257, 512]) {
      const symbols = Array.from({ length: count }, (_, i) => ({ name: `sym_${i}`, type: i % 2 ? 't' : 'T', address: 0xc0008000n + BigInt(i * 4) }));
      for (const era of ['5.x', '6.2', '6.4'] as FixtureEra[]) {
        const fx = buildKallsyms(symbols, { era, addressing: 'relative', wordSize: 4, littleEndian: true });
        const r = readKallsyms(fx.image, { wordSize: 4, littleEndian: true })!;
        same(r.symbols, fx.expected);
      }
    }
  });

  it('tables at the very start and end of the bytes', () => {
    for (const era of ['5.x', '6.2', '6.4'] as FixtureEra[]) {
      const fx = fixture({ era, prefix: 0, suffix: 0 });
      const r = readKallsyms(fx.image, { wordSize: 8, littleEndian: true })!;
      same(r.symbols, fx.expected);
    }
  });

  it('arm64 -pie Image: relative_base left to a R_AARCH64_RELATIVE entry', () => {
    for (const era of ['6.1', '6.2', '6.4'] as FixtureEra[]) {
      const fx = fixture({ era, unappliedRela: { imageBase: 0xffffffff81000000n - 0x2000n } });
      const r = readKallsyms(fx.image, { wordSize: 8, littleEndian: true })!;
      same(r.symbols, fx.expected);
      assert.match(r.layout, /relative_base from \.rela\.dyn/);
    }
  });

  it('a larger table (many markers) decodes quickly', () => {
    const fx = fixture({ era: '6.2', count: 20000, addressing: 'absolute-percpu' });
    const t0 = performance.now();
    const r = readKallsyms(fx.image, { wordSize: 8, littleEndian: true })!;
    same(r.symbols, fx.expected);
    assert.ok(performance.now() - t0 < 2000);
  });

  it('no tables: null', () => {
    const rnd = prng(5);
    const junk = new Uint8Array(200000).map(() => rnd() & 0xff);
    assert.equal(readKallsyms(junk, { wordSize: 8, littleEndian: true }), null);
    assert.equal(readKallsyms(new Uint8Array(0), { wordSize: 4, littleEndian: true }), null);
    assert.equal(readKallsyms(new Uint8Array(100000), { wordSize: 4, littleEndian: false }), null);
  });

  it('wrong endianness or word size: null or a clear error, never garbage', () => {
    const fx = fixture({ era: '6.2' });
    assert.equal(readKallsyms(fx.image, { wordSize: 8, littleEndian: false }), null);
  });

  it('absurd kallsyms_num_syms: a clear KallsymsError', () => {
    for (const era of ['5.x', '6.2', '6.4'] as FixtureEra[]) {
      const fx = fixture({ era });
      const img = fx.image.slice();
      new DataView(img.buffer).setUint32(fx.labels['kallsyms_num_syms'], 0xffffffff, true);
      assert.throws(
        () => readKallsyms(img, { wordSize: 8, littleEndian: true }),
        (e: unknown) => e instanceof KallsymsError && /kallsyms_num_syms|kallsyms_markers/.test(e.message) && !e.message.includes('\n'),
      );
    }
  });

  it('a name that runs past its table, a broken marker: KallsymsError', () => {
    const fx = fixture({ era: '6.4' });
    let img = fx.image.slice();
    new DataView(img.buffer).setUint32(fx.labels['kallsyms_markers'] + 4, 0x7fff, true);
    assert.throws(() => readKallsyms(img, { wordSize: 8, littleEndian: true }), KallsymsError);
    img = fx.image.slice();
    img[fx.labels['kallsyms_names']] = 0x7f; // the first length byte
    assert.throws(() => readKallsyms(img, { wordSize: 8, littleEndian: true }), KallsymsError);
  });

  it('fuzz: corruption and truncation give a result, null or KallsymsError, quickly', () => {
    const shapes: [FixtureEra, FixtureAddressing, 4 | 8, boolean][] = [
      ['6.4', 'relative', 8, true],
      ['6.2', 'absolute-percpu', 8, true],
      ['5.x', 'absolute', 4, false],
      ['6.1', 'relative', 4, true],
    ];
    const fxs = shapes.map(([era, addressing, wordSize, littleEndian], i) => ({
      fx: fixture({ era, addressing, wordSize, littleEndian, count: 300, prefix: 512, suffix: 512, seed: i + 1 }),
      wordSize,
      littleEndian,
    }));
    const check = (img: Uint8Array, hints: { wordSize: 4 | 8; littleEndian: boolean }): void => {
      const t0 = performance.now();
      try {
        const r: KallsymsResult | null = readKallsyms(img, hints);
        if (r) for (const s of r.symbols) assert.equal(typeof s.address, 'bigint');
      } catch (e) {
        if (!(e instanceof KallsymsError)) throw e;
        assert.ok(!e.message.startsWith('internal error'), e.message);
      }
      assert.ok(performance.now() - t0 < 1000, 'too slow');
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: fxs.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        (which, edits) => {
          const { fx, wordSize, littleEndian } = fxs[which];
          const img = fx.image.slice();
          // Aim most edits at the tables.
          const lo = fx.tablesOffset,
            hi = img.length - 512;
          for (const [pos, val] of edits) img[lo + (pos % (hi - lo))] = val;
          check(img, { wordSize, littleEndian });
        },
      ),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: fxs.length - 1 }), fc.nat(), fc.nat(), (which, a, b) => {
        const { fx, wordSize, littleEndian } = fxs[which];
        const from = a % fx.image.length;
        const to = from + (b % (fx.image.length - from + 1));
        check(fx.image.subarray(from, to), { wordSize, littleEndian });
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------
// Real kernels (cached by the lead; skipped with a reason when absent)

const real: { name: RealKernelName; hints: { wordSize: 4 | 8; littleEndian: boolean } }[] = [
  { name: 'cloud-amd64', hints: { wordSize: 8, littleEndian: true } },
  { name: 'amd64', hints: { wordSize: 8, littleEndian: true } },
  { name: 'armhf', hints: { wordSize: 4, littleEndian: true } },
  { name: 'arm64', hints: { wordSize: 8, littleEndian: true } },
];

describe('kallsyms in real Debian kernels', () => {
  for (const k of real) {
    const kernel = realKernel(k.name);
    it(k.name, { skip: kernel ? false : 'not in the cache: run scripts/fetch-test-kernels' }, () => {
      const img = kernel!.image.kernel;
      const t0 = performance.now();
      const r = readKallsyms(img, k.hints);
      const ms = performance.now() - t0;
      assert.ok(r);
      console.log(
        `# ${k.name} ${kernel!.image.release}: ${r.symbols.length} symbols, ${r.layout}, tables at ${r.tablesOffset.toString(16)}, ${ms.toFixed(0)} ms`,
      );
      assert.ok(r.symbols.length > 40000);
      // Debian's 6.1.y carries kallsyms_seqs_of_names (between markers and token_table).
      assert.match(r.layout, /^6\.2-6\.3 relative.*seqs_of_names$/);
      let down = 0;
      for (let i = 1; i < r.symbols.length; i++) if (r.symbols[i].address < r.symbols[i - 1].address) down++;
      assert.equal(down, 0);
      for (const name of ['_stext', '_etext', 'start_kernel'])
        assert.ok(
          r.symbols.some((s) => s.name === name),
          name,
        );
    });
  }

  const cloud = realKernel('cloud-amd64');
  const mapPath = realSystemMap('cloud-amd64');
  const have = cloud && mapPath && mapPath.includes(cloud.image.release!);
  it(
    'cloud-amd64: every text symbol equals the real System.map',
    { skip: have ? false : 'the kernel or the System.map of its -dbg package is not in the cache' },
    () => {
      const r = readKallsyms(cloud!.image.kernel, { wordSize: 8, littleEndian: true })!;
      const map = readFileSync(mapPath!, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [a, type, name] = l.split(' ');
          return { address: BigInt('0x' + a), type, name };
        });
      const key = (s: { address: bigint; name: string }): string => `${s.address.toString(16)} ${s.name}`;
      const bag = (list: { address: bigint; name: string }[]): Map<string, number> => {
        const m = new Map<string, number>();
        for (const s of list) m.set(key(s), (m.get(key(s)) ?? 0) + 1);
        return m;
      };
      // Text: t/T, and weak w/W (all weak ones here are functions).
      for (const types of ['tT', 'tTwW']) {
        const want = bag(map.filter((s) => types.includes(s.type)));
        const got = bag(r.symbols.filter((s) => types.includes(s.type)));
        assert.deepEqual(got, want, `types ${types}`);
      }
      console.log(`# ${cloud!.image.release}: ${map.filter((s) => 'tT'.includes(s.type)).length} t/T symbols in System.map, all equal in kallsyms`);
      // Everything else: kallsyms lacks only the absolute symbols (dropped by
      // scripts/kallsyms) and its own tables (not yet present when it runs).
      const kall = bag(r.symbols);
      const missing = map.filter((s) => !kall.has(key(s)));
      assert.deepEqual(
        missing.map((s) => s.name).sort(),
        [
          'init_per_cpu__fixed_percpu_data',
          'init_per_cpu__gdt_page',
          'init_per_cpu__irq_stack_backing_store',
          'kallsyms_markers',
          'kallsyms_names',
          'kallsyms_num_syms',
          'kallsyms_offsets',
          'kallsyms_relative_base',
          'kallsyms_seqs_of_names',
          'kallsyms_token_index',
          'kallsyms_token_table',
          'kexec_control_code_size',
          'phys_startup_64',
          'text_size',
        ].sort(),
      );
      const mapKeys = bag(map);
      assert.equal(r.symbols.filter((s) => !mapKeys.has(key(s))).length, 0);
      // Percpu symbols are stored as 'A' (--absolute-percpu); System.map says d/D.
      const typeOf = new Map(map.map((s) => [key(s), s.type]));
      const retyped = r.symbols.filter((s) => typeOf.get(key(s)) !== s.type);
      assert.ok(retyped.every((s) => s.type === 'A' && s.address < 0x100000n));
    },
  );
});
