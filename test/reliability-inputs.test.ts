// Property tests: whatever a suite file, a board file or a kernel image
// holds, the API the CLI calls (parseSuite + expandSuite, parseBoard /
// loadBoard, readKernelImage / openKernelImage) ends in a result or a
// KzError, within a time budget, and an error never quotes more than an
// excerpt of the file. Random bytes, hostile strings, random YAML structures,
// truncations and corruptions of valid inputs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { compress, parseSetting } from '../src/codecs/index.js';
import { ALGORITHMS } from '../src/codecs/types.js';
import { sha256File } from '../src/files.js';
import type { CorpusEntry } from '../src/corpus/manifest.js';
import { asKzError } from '../src/errors.js';
import { openKernelImage, readKernelImage } from '../src/image/index.js';
import { defaultBoardsDir, loadBoard, parseBoard } from '../src/model/boards.js';
import { expandSuite, type SuiteImage } from '../src/plan/index.js';
import { parseSuite } from '../src/suite/index.js';
import { buildArm64Image, buildBzImage, buildElf, buildZImage, codeLike } from './fixtures/images.js';

/** Per input: far above what any of these small inputs needs; an input that takes longer is a hang. */
const BUDGET_MS = 5000;

/** A line of an error may quote this much of its input, no more. */
const MAX_QUOTE = 100;

type Outcome = 'result' | 'error';

/**
 * Run F on INPUT: a result, or a KzError whose lines are single, bounded
 * lines quoting less than MAX_QUOTE characters of INPUT in a row. Anything
 * else (another exception, a slow input) fails the property.
 */
function outcome(kind: string, input: string | Uint8Array, f: () => unknown): Outcome {
  const t0 = Date.now();
  let result: Outcome = 'result';
  try {
    f();
  } catch (e) {
    const k = asKzError(e);
    if (!k) throw new Error(`${kind}: not a KzError: ${(e as Error)?.stack ?? String(e)}`);
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    for (const line of k.lines()) {
      assert.ok(!line.includes('\n'), `${kind}: one line per problem: ${JSON.stringify(line)}`);
      assert.ok(line.length < 1000, `${kind}: a bounded line (${line.length} characters)`);
      for (let i = 0; i + MAX_QUOTE <= line.length; i++) {
        const w = line.slice(i, i + MAX_QUOTE);
        assert.ok(!text.includes(w), `${kind}: the error quotes ${MAX_QUOTE}+ characters of its input: ${JSON.stringify(line)}`);
      }
    }
    result = 'error';
  }
  const ms = Date.now() - t0;
  assert.ok(ms < BUDGET_MS, `${kind}: an input took ${ms} ms`);
  return result;
}

function report(kind: string, counts: Record<Outcome, number>): void {
  const total = counts.result + counts.error;
  console.log(`property: ${kind} ${total} inputs, 0 crashes (${counts.result} results, ${counts.error} KzErrors)`);
}

/** Strings that break parsers: YAML syntax, aliases, tags, huge numbers, control characters, prototype keys. */
const HOSTILE = [
  '',
  '\u0000',
  '\ud800',
  '\u202e',
  '\r',
  '\t',
  '*a',
  '&a x',
  '!!binary AAAA',
  '!!js/function x',
  '<<: *a',
  '%YAML 1.2',
  '---',
  '...',
  '? ',
  '[[[[[[[[[[',
  '{{{{{',
  '['.repeat(2000),
  '- '.repeat(500),
  '"unterminated',
  "'",
  '|',
  '>-',
  '__proto__',
  'constructor',
  'toString',
  '1e12',
  '1e308',
  '-1',
  '0',
  '.nan',
  '.inf',
  '0x7fffffff',
  '99999999999999999999',
  '1..22/0',
  '1..1000000000',
  '0..999/1',
  '22..1',
  '1..9/999',
  '12345678901234567890..1',
  'a'.repeat(5000),
  'xz:dict=1GiB',
  'xz:dict=99999999999999999999',
  'zstd:level=22,long,window_log=31',
  'gzip:9',
  'lz4:legacy',
  'bzImage',
  '/dev/zero',
  '/etc/shadow',
  '../../../../etc/passwd',
];

const hostile = fc.constantFrom(...HOSTILE);
const scalar = fc.oneof(
  { weight: 3, arbitrary: hostile },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 40 }) },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  fc.array(scalar, { maxLength: 4 }),
  fc.dictionary(fc.oneof(hostile, fc.string({ maxLength: 8 })), scalar, { maxKeys: 3 }),
  fc.jsonValue({ maxDepth: 6 }),
);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });

// ---------------------------------------------------------------- suites

const dir = mkdtempSync(join(tmpdir(), 'kzbench-reliability-'));
after(() => rmSync(dir, { recursive: true, force: true }));
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
const bzImage = buildBzImage({ stream: compress(parseSetting('xz'), vmlinux), sizeTrailer: vmlinux.length });
const imagePath = join(dir, 'bzImage');
writeFileSync(imagePath, bzImage);
const corpus: CorpusEntry[] = [{ name: 'debian12-amd64', package: 'linux-image-amd64', arch: 'amd64' }];
const opened = openKernelImage(imagePath, { findBeside: false });
const images: SuiteImage[] = [{ ref: 'bzImage', path: imagePath, sha256: sha256File(imagePath), source: 'file', image: opened }];

const SUITE = `name: fuzz
images: [bzImage]
units: [whole, sections]
settings:
  - profile: kernel
    algorithms: [gzip, xz]
  - algorithm: zstd
    levels: "1..19/6"
    long: [true, false]
  - algorithm: xz
    levels: [0, 6]
    extreme: [true, false]
    dict: [1MiB, 32MiB]
    bcj: [on, off]
  - setting: [gzip:9, "lz4:legacy"]
timing:
  min_runs: 3
  min_time_ms: 10
workers: 2
`;

/** The suite API the CLI calls, with a small cell limit so a valid expansion stays small. */
function suiteRun(text: string): void {
  const s = parseSuite(text, join(dir, 'fuzz.yaml'), { corpus, baseDir: dir, maxCells: 500 });
  expandSuite(s, images);
}

const settingEntry = fc.record(
  {
    profile: opt(fc.oneof(fc.constant('kernel'), scalar)),
    algorithms: opt(fc.oneof(fc.array(fc.constantFrom(...ALGORITHMS), { maxLength: 3 }), value)),
    algorithm: opt(fc.oneof(fc.constantFrom(...ALGORITHMS), scalar)),
    setting: opt(fc.oneof(fc.constantFrom('gzip:9', 'xz:extreme', 'zstd:19,long', 'lz4:legacy'), value)),
    levels: opt(
      fc.oneof(
        fc.constantFrom('1..9', '1..22/0', '1..1000000000', '0..9/3', '5..1', '999..999'),
        fc.array(fc.integer({ min: -3, max: 30 }), { maxLength: 5 }),
        value,
      ),
    ),
    extreme: opt(value),
    dict: opt(fc.oneof(fc.constantFrom('1MiB', '64KiB', '4GiB'), value)),
    bcj: opt(fc.oneof(fc.constantFrom('on', 'off', 'x86', 'arm64'), value)),
    window_log: opt(fc.oneof(fc.integer({ min: 8, max: 33 }), value)),
    long: opt(value),
    frame: opt(value),
    size_append: opt(value),
    options: opt(scalar),
    constructor: opt(scalar),
  },
  { requiredKeys: [] },
);
const suiteObject = fc.record(
  {
    name: opt(scalar),
    images: opt(
      fc.oneof(
        fc.constant(['bzImage']),
        fc.constant(['debian12-amd64-missing']),
        fc.array(fc.oneof(scalar, fc.record({ path: scalar, config: opt(scalar) }, { requiredKeys: [] })), { maxLength: 2 }),
        value,
      ),
    ),
    units: opt(fc.oneof(fc.constantFrom(['whole'], ['sections'], ['whole', 'sections'], ['cold']), value)),
    settings: opt(fc.oneof(fc.array(settingEntry, { maxLength: 4 }), value)),
    timing: opt(fc.oneof(fc.record({ min_runs: opt(scalar), min_time_ms: opt(scalar) }, { requiredKeys: [] }), value)),
    workers: opt(scalar),
    cold: opt(value),
    boards: opt(value),
  },
  { requiredKeys: [] },
);

/** TEXT cut at a position, or with a character replaced, inserted or a line dropped. */
const mutated = (text: string) =>
  fc.oneof(
    fc.integer({ min: 0, max: text.length }).map((n) => text.slice(0, n)),
    fc
      .tuple(fc.integer({ min: 0, max: text.length - 1 }), fc.oneof(fc.string({ maxLength: 3, unit: 'binary' }), hostile))
      .map(([i, s]) => text.slice(0, i) + s + text.slice(i + 1)),
    fc.tuple(fc.integer({ min: 0, max: text.length }), hostile).map(([i, s]) => text.slice(0, i) + s + text.slice(i)),
    fc.integer({ min: 0, max: 60 }).map((n) =>
      text
        .split('\n')
        .filter((_, i) => i !== n)
        .join('\n'),
    ),
  );

const randomText = fc.oneof(
  fc.string({ maxLength: 300, unit: 'binary' }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('utf8')),
  fc.array(hostile, { maxLength: 8 }).map((a) => a.join('\n')),
  fc.array(hostile, { maxLength: 8 }).map((a) => a.join(': ')),
);

/** Three kinds of input, NUMRUNS of each kind split as given; returns the outcome counts. */
function runKind(kind: string, splits: [fc.Arbitrary<string>, number][], f: (text: string) => void): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { result: 0, error: 0 };
  for (const [arb, numRuns] of splits) {
    fc.assert(
      fc.property(arb, (text) => {
        counts[outcome(kind, text, () => f(text))]++;
      }),
      { numRuns },
    );
  }
  return counts;
}

describe('inputs never crash, hang or echo themselves', () => {
  it('the seeds are valid: the generators start from inputs that work', () => {
    suiteRun(SUITE);
    parseBoard(readFileSync(join(defaultBoardsDir(), 'qnap-ts219.yaml'), 'utf8'), 'qnap-ts219.yaml');
    readKernelImage(bzImage, 'bzImage', { findBeside: false });
  });

  it('suite files: 10,000 inputs through parseSuite and expandSuite', () => {
    const counts = runKind(
      'suite',
      [
        [suiteObject.map((o) => stringify(o)), 4000],
        [mutated(SUITE), 3000],
        [randomText, 3000],
      ],
      suiteRun,
    );
    assert.equal(counts.result + counts.error, 10_000);
    assert.ok(counts.result > 0 && counts.error > 0, JSON.stringify(counts));
    report('suite', counts);
  });

  const boardText = readFileSync(join(defaultBoardsDir(), 'qnap-ts219.yaml'), 'utf8');
  const boardObject = fc.record(
    {
      name: opt(fc.oneof(fc.constant('board'), scalar)),
      description: opt(scalar),
      arch: opt(fc.oneof(fc.constantFrom('arm', 'arm64', 'x86_64'), scalar)),
      flash_bytes: opt(scalar),
      kernel_partition_bytes: opt(scalar),
      flash_reserved_bytes: opt(scalar),
      flash_read_mb_s: opt(scalar),
      ram_bytes: opt(scalar),
      xip: opt(scalar),
      decompression: opt(
        fc.oneof(
          fc.dictionary(
            fc.constantFrom('gzip', 'xz', 'lz4', 'nope'),
            fc.record({ mb_s: scalar, rate_of: scalar, source: scalar, measured_on: scalar, proxy: scalar }, { requiredKeys: [] }),
            { maxKeys: 2 },
          ),
          value,
        ),
      ),
      boot_budget_ms: opt(scalar),
      bootloader_decompression: opt(value),
      sources: opt(fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('flash_bytes', 'ram_bytes'), fc.string({ maxLength: 6 })), scalar, { maxKeys: 3 }), value)),
      unknown: opt(value),
    },
    { requiredKeys: [] },
  );

  it('board files: 10,000 inputs through parseBoard, some through loadBoard', () => {
    const counts = runKind(
      'board',
      [
        [boardObject.map((o) => stringify(o)), 4000],
        [mutated(boardText), 3000],
        [randomText, 2800],
      ],
      (text) => parseBoard(text, 'qnap-ts219.yaml'),
    );
    // the same through the file reader loadBoard uses
    let n = 0;
    const loaded = runKind('board', [[fc.oneof(mutated(boardText), randomText), 200]], (text) => {
      const p = join(mkdtempSync(join(dir, `board-${n++}-`)), 'qnap-ts219.yaml');
      writeFileSync(p, text);
      loadBoard(p);
    });
    const all = { result: counts.result + loaded.result, error: counts.error + loaded.error };
    assert.equal(all.result + all.error, 10_000);
    report('board', all);
  });

  it('kernel images: 10,000 inputs through readKernelImage, some through openKernelImage', () => {
    const image = codeLike(3000, 3);
    const z = (spec: string, data: Uint8Array) => compress(parseSetting(spec), data);
    const fixtures: Uint8Array[] = [
      vmlinux,
      bzImage,
      buildBzImage({ stream: z('lz4:legacy', vmlinux), sizeTrailer: vmlinux.length }),
      buildZImage({ stream: z('lzma', image), decompressedBytes: image.length }),
      buildZImage({ stream: z('lzo', image), decompressedBytes: image.length }),
      z('zstd', buildArm64Image({ body: image })),
      z('gzip', buildArm64Image({ body: image })),
      buildArm64Image({ body: image }),
    ];
    const fixture = fc.constantFrom(...fixtures);
    const truncated = fixture.chain((b) => fc.integer({ min: 0, max: b.length }).map((n) => b.slice(0, n)));
    const flipped = fixture.chain((b) =>
      fc.array(fc.tuple(fc.integer({ min: 0, max: b.length - 1 }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => {
        const c = b.slice();
        for (const [i, bit] of flips) c[i]! ^= 1 << bit;
        return c;
      }),
    );
    const magic = fc.constantFrom(
      Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1),
      Uint8Array.of(0x1f, 0x8b, 8, 0),
      Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0),
      Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd),
      Uint8Array.of(0x5d, 0, 0, 0x80, 0),
      Uint8Array.of(0x02, 0x21, 0x4c, 0x18),
      Uint8Array.of(0x42, 0x5a, 0x68, 0x39),
      Uint8Array.of(0x89, 0x4c, 0x5a, 0x4f),
    );
    const random = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc.tuple(magic, fc.uint8Array({ maxLength: 2000 })).map(([m, b]) => Uint8Array.from([...m, ...b])),
    );
    const counts: Record<Outcome, number> = { result: 0, error: 0 };
    const read = (bytes: Uint8Array) => {
      counts[outcome('image', bytes, () => readKernelImage(bytes, 'fuzz', { findBeside: false }))]++;
    };
    for (const [arb, numRuns] of [
      [truncated, 3000],
      [flipped, 4000],
      [random, 2800],
    ] as const) {
      fc.assert(fc.property(arb as fc.Arbitrary<Uint8Array>, read), { numRuns });
    }
    let n = 0;
    fc.assert(
      fc.property(fc.oneof(truncated, flipped), (bytes) => {
        const p = join(dir, `image-${n++}`);
        writeFileSync(p, bytes);
        counts[outcome('image', bytes, () => openKernelImage(p, { findBeside: false }))]++;
      }),
      { numRuns: 200 },
    );
    assert.equal(counts.result + counts.error, 10_000);
    assert.ok(counts.result > 0 && counts.error > 0, JSON.stringify(counts));
    report('image', counts);
  });
});

it('a YAML error about a long token with a quote at its end quotes only an excerpt of it (a fuzzing find)', async () => {
  const { parseSuite } = await import('../src/suite/load.js');
  const text = '>-: ' + '- '.repeat(600) + ': "unterminated';
  try {
    parseSuite(text, 'x.yaml', { corpus: [] });
    assert.fail('expected a SuiteError');
  } catch (e) {
    for (const line of asKzError(e)!.lines()) assert.ok(!line.includes('- '.repeat(50)), `quotes its input: ${line.slice(0, 120)}`);
  }
});
