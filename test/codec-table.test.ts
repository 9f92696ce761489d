// The codec table: one row per algorithm, and nothing else in src/ that
// switches on algorithm names. A made-up eighth algorithm ("rle", in
// fixtures/rle-codec.ts: one row and its TS backend, registered) goes
// through setting parsing, the common compress/decompress code, the pool's
// estimates and a verified round trip on real worker threads, with no other
// file changed.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import {
  ALGORITHMS,
  backendVersions,
  CodecError,
  codecRow,
  codecRows,
  compress,
  decodeStream,
  decompress,
  decompressInto,
  isAlgorithm,
  LEVEL_RANGES,
  parseSetting,
  registerCodec,
} from '../src/codecs/index.js';
import { estimateCellCost } from '../src/pool/cost.js';
import { codecStateBytes, estimateCellMemory } from '../src/pool/memory.js';
import { projectRoot } from '../src/project.js';
import { readResults } from '../src/results/reader.js';
import { runCells, SettingsError, type Cell, type Unit } from '../src/run/index.js';
import { suiteSchema } from '../src/suite/schema.js';
import { maxRun, rle, rleEncode } from './fixtures/rle-codec.js';

const codecModule = new URL('./fixtures/rle-codec.js', import.meta.url).href;

function throwsCodec(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof CodecError && re.test((e as Error).message));
}

/** Runs of every length up to 300, then bytes that never repeat. */
function runs(): Uint8Array {
  const out: number[] = [];
  for (let n = 1; n <= 300; n += 7) for (let i = 0; i < n; i++) out.push(n & 0xff);
  for (let i = 0; i < 500; i++) out.push(i & 0xff);
  return Uint8Array.from(out);
}

describe('the codec table', () => {
  it('has one row per algorithm, in ALGORITHMS order, before any registered row', () => {
    assert.deepEqual(ALGORITHMS, ['gzip', 'bzip2', 'lzma', 'xz', 'lzo', 'lz4', 'zstd']);
    assert.deepEqual(
      codecRows()
        .map((r) => r.name)
        .slice(0, ALGORITHMS.length),
      [...ALGORITHMS],
    );
    for (const a of ALGORITHMS) assert.equal(codecRow(a)!.name, a);
  });

  it("gives the levels the suite's level sweeps check", () => {
    const loc = { corpusNames: [], baseDir: '.' };
    for (const a of ALGORITHMS) {
      const [lo, hi] = LEVEL_RANGES[a];
      const sweep = (levels: string) => suiteSchema(loc).safeParse({ images: ['x'], settings: [{ algorithm: a, levels }] });
      assert.ok(!sweep(`${lo}..${hi}`).error?.issues.some((i) => i.path.includes('levels')), `${a} ${lo}..${hi} is accepted`);
      assert.ok(
        sweep(`${lo}..${hi + 1}`).error?.issues.some((i) => i.path.includes('levels')),
        `${a} ${hi + 1} is refused`,
      );
    }
  });

  it('refuses a row whose name is taken or malformed', () => {
    assert.throws(() => registerCodec({ ...rle, name: 'gzip' }), /already in the table/);
    assert.throws(() => registerCodec({ ...rle, name: 'rle' }), /already in the table/);
    assert.throws(() => registerCodec({ ...rle, name: 'Not:ok' }), /expected lower-case/);
  });

  it('is the only place that switches on algorithm names', () => {
    const root = projectRoot();
    assert.ok(root, 'tests run inside the checkout');
    const names = ALGORITHMS.join('|');
    const switchCase = new RegExp(`case\\s+['"](${names})['"]`);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir)) {
        const p = join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && switchCase.test(readFileSync(p, 'utf8'))) offenders.push(p.slice(root.length + 1));
      }
    };
    walk(join(root, 'src'));
    assert.deepEqual(offenders, []);
  });
});

describe('a registered eighth algorithm', () => {
  it('parses like the seven: defaults, canonical keys, errors that name the field', () => {
    assert.equal(isAlgorithm('rle'), false, 'Algorithm stays the built-in rows');
    assert.equal(parseSetting('rle').key, 'rle:level=7');
    const s = parseSetting(' RLE : size_append , 3 ');
    assert.deepEqual(s, { algorithm: 'rle', key: 'rle:level=3,size_append', params: { level: 3, size_append: true }, backend: 'rle-ts' });
    assert.deepEqual(parseSetting(s.key), s);
    throwsCodec(() => parseSetting('rle:8'), /level=8: out of range, allowed 1\.\.7/);
    throwsCodec(() => parseSetting('rle:fast'), /rle: unknown field "fast"/);
    throwsCodec(() => parseSetting('brotli'), /allowed: gzip, bzip2, lzma, xz, lzo, lz4, zstd, rle$/);
  });

  it('goes through the common compress and decompress code (appended size, trailing bytes, stream decoding)', () => {
    const input = runs();
    const s = parseSetting('rle:3,size_append');
    const stored = compress(s, input);
    const stream = rleEncode(input, maxRun(3));
    assert.deepEqual(stored.subarray(0, stream.length), stream);
    assert.equal(new DataView(stored.buffer, stored.byteOffset + stream.length).getUint32(0, true), input.length);
    assert.deepEqual(decompress(s, stored, input.length), input);
    assert.ok(compress(parseSetting('rle:7'), input).length < compress(parseSetting('rle:1'), input).length, 'a higher level writes longer runs');

    const plain = parseSetting('rle:7');
    const withTail = Uint8Array.from([...compress(plain, input), 1, 2, 3]);
    throwsCodec(() => decompressInto(plain, withTail, new Uint8Array(input.length)), /rle: 3 unexpected bytes after the stream/);
    const wrongSize = stored.slice();
    wrongSize[wrongSize.length - 4]! ^= 1;
    throwsCodec(() => decompress(s, wrongSize, input.length), /appended size .* does not match/);
    throwsCodec(() => decompressInto(plain, compress(plain, input), new Uint8Array(input.length - 1)), /output larger than/);

    const found = decodeStream('rle', withTail, { maxOutput: 1 << 20 });
    assert.equal(found.consumed, withTail.length - 3);
    assert.deepEqual(found.output, input);
    throwsCodec(() => decodeStream('rle', withTail, { maxOutput: 10 }), /output larger than 10 bytes/);
  });

  it("gets the pool's memory and cost estimates from its row", () => {
    const s = parseSetting('rle:7');
    assert.equal(codecStateBytes(s, 1e6), 64 * 1024);
    assert.equal(codecStateBytes({ algorithm: 'not-in-the-table', params: {} }, 1e6), 256 * 1024 * 1024, 'the default a row replaces');
    assert.equal(estimateCellMemory(s, 1e6) - estimateCellMemory({ algorithm: 'not-in-the-table', params: {} }, 1e6), 64 * 1024 - 256 * 1024 * 1024);
    assert.equal(estimateCellCost(s, 2e6, 1000), 3 * 2 + 1000);
    assert.equal(estimateCellCost(parseSetting('rle:1'), 2e6, 1000), 2 * 2 + 1000);
  });

  it('reports its backend with the others', () => {
    const v = backendVersions();
    assert.equal(v['rle-ts'], 'test 1.0');
    assert.ok('liblzma' in v && 'gzip-cli' in v);
  });

  it('runs verified cells on real worker threads, next to a built-in algorithm', async () => {
    const bytes = runs();
    const units: Unit[] = [
      { name: 'whole', kind: 'whole', offset: 0, bytes },
      { name: '.text', kind: 'section', offset: 100, bytes: bytes.subarray(100, 5000) },
    ];
    const specs = ['rle:1', 'rle:7,size_append', 'lz4:1'];
    const cells: Cell[] = units.flatMap((unit) => specs.map((setting) => ({ unit, setting })));
    const out = join(mkdtempSync(join(tmpdir(), 'kzbench-table-')), 'run');
    const r = await runCells(cells, { workers: 2, timing: { minRuns: 2, minTimeMs: 1, maxTimeMs: 1000 }, codecModule, outDir: out });
    assert.equal(r.failed, 0);
    assert.equal(r.rows.length, 6);
    for (const row of r.rows) {
      assert.equal(row.verified, true, `${row.setting} on ${row.unit}: ${row.error}`);
      const unit = units.find((u) => u.name === row.unit)!;
      assert.equal(row.compressed_bytes, compress(parseSetting(row.setting), unit.bytes).length);
    }
    const rleRows = readResults(r.resultsPath!).rows.filter((x) => x.algorithm === 'rle');
    assert.deepEqual(rleRows.map((x) => `${x.setting} ${x.level} ${x.backend}`).sort(), [
      'rle:level=1 1 rle-ts',
      'rle:level=1 1 rle-ts',
      'rle:level=7,size_append 7 rle-ts',
      'rle:level=7,size_append 7 rle-ts',
    ]);
    const info = JSON.parse(readFileSync(r.runJsonPath!, 'utf8')) as { backend_versions: Record<string, string> };
    assert.equal(info.backend_versions['rle-ts'], 'test 1.0');

    await assert.rejects(
      runCells([{ unit: units[0]!, setting: 'rle:9' }], { codecModule }),
      (e: unknown) => e instanceof SettingsError && /rle:9/.test((e as Error).message),
    );
  });
});
