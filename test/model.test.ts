import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  findStub,
  getStub,
  LAYOUT,
  loadStubTable,
  measureImageParts,
  parseStubTable,
  predictFromRow,
  predictImageBytes,
  rankAlgorithms,
  stubRows,
  StubTableError,
  ImageSizeError,
} from '../src/model/index.js';
import { realKernel } from './corpus.js';

const rows = loadStubTable();

test('stubs.csv loads: one row per arch, config and algorithm, with provenance', () => {
  assert.ok(rows.length >= 20, `${rows.length} rows`);
  for (const r of rows) {
    assert.match(r.source, /scripts\/measure-stubs/);
    assert.ok(r.kernelVersion && r.compiler && r.date, `row at line ${r.line}`);
    assert.equal(r.payloadLength ?? r.payloadBytes, r.payloadBytes, `payload_length at line ${r.line}`);
  }
  const gzip = getStub(rows, 'x86_64', 'tinyconfig', 'gzip');
  assert.equal(gzip.image, 'bzImage');
  assert.equal(findStub(rows, 'arm', 'stm32_defconfig+XIP_KERNEL=n', 'zstd'), undefined);
  assert.throws(
    () => getStub(rows, 'arm', 'stm32_defconfig+XIP_KERNEL=n', 'zstd'),
    (e: Error) => e instanceof StubTableError && /has gzip, lzma, xz, lzo, lz4/.test(e.message),
  );
  assert.throws(() => getStub(rows, 'mips', 'x', 'gzip'), /no stubs for mips x/);
});

test('stubs.csv parse errors name the line and the column', () => {
  const text = readFileSync(new URL('../../data/stubs.csv', import.meta.url), 'utf8').split('\n');
  const broken = [text[0], text[1]!.replace(',762880,', ',lots,')].join('\n');
  assert.throws(() => parseStubTable(broken, 't.csv'), /t\.csv:2: column image_bytes/);
  assert.throws(() => parseStubTable([text[0], text[1], text[1]].join('\n'), 't.csv'), /t\.csv:3: a second row for x86_64\/tinyconfig\/gzip/);
});

test('the .data boundary the rules use is where the table measured .data', () => {
  for (const r of rows.filter((r) => r.dataSectionBytes > 0)) {
    assert.equal(r.dataSectionOffset % LAYOUT.dataAlign, 0, `line ${r.line}`);
    assert.equal(r.dataSectionOffset + r.dataSectionBytes, r.decompressorBinBytes, `line ${r.line}: .data ends the flat binary`);
  }
});

test('every stubs.csv row: the image predicted from its own columns is image_bytes exactly', () => {
  for (const r of rows) {
    const p = predictFromRow(r);
    assert.equal(p.imageBytes, r.imageBytes, `${r.arch} ${r.config} ${r.algorithm} (line ${r.line}): ${p.rule}`);
    assert.equal(p.uncertaintyBytes, 0);
    if (r.image === 'bzImage') {
      // and the header agrees: (setup_sects + 1) * 512 + syssize * 16
      assert.equal(p.setupStoredBytes, (r.setupSects! + 1) * 512);
      assert.equal(p.bodyBytes, r.syssize! * 16);
      assert.equal(p.bodyBytes, r.decompressorBinBytes);
    }
  }
});

test('adding setup + stub + payload without the padding misses the bzImage by more than 0.5% (why the rule matters)', () => {
  const over = stubRows(rows, 'x86_64', 'tinyconfig').filter((r) => (r.imageBytes - (r.setupBytes + r.stubBytes + r.payloadBytes)) / r.imageBytes > 0.005);
  assert.ok(over.length >= 1, 'the naive sum is off by more than 0.5% for some rows');
});

test('a zImage predicted with another payload stays within .pad of the formula', () => {
  const r = getStub(rows, 'arm', 'stm32_defconfig+XIP_KERNEL=n', 'xz');
  const p = predictFromRow(r, r.payloadBytes + 1);
  assert.equal(p.uncertaintyBytes, LAYOUT.armPadMax - 1);
  assert.ok(p.imageBytes >= r.imageBytes && p.imageBytes <= r.imageBytes + 4);
});

test('Image.* decompressed by the bootloader is its payload; bad parts are refused', () => {
  assert.equal(predictImageBytes({ kind: 'Image', setupBytes: 0, stubBytes: 0, dataSectionBytes: 0, payloadBytes: 12345 }).imageBytes, 12345);
  assert.throws(() => predictImageBytes({ kind: 'Image', setupBytes: 0, stubBytes: 1, dataSectionBytes: 0, payloadBytes: 1 }), ImageSizeError);
  assert.throws(() => predictImageBytes({ kind: 'bzImage', setupBytes: 1, stubBytes: 1, dataSectionBytes: 2, payloadBytes: 1 }), /dataSectionBytes/);
  assert.throws(() => predictImageBytes({ kind: 'zImage', setupBytes: 5, stubBytes: 1, dataSectionBytes: 0, payloadBytes: 1 }), /no real-mode setup/);
  assert.throws(() => predictImageBytes({ kind: 'vmlinuz.efi', setupBytes: 0, stubBytes: -1, dataSectionBytes: 0, payloadBytes: 1 }), /whole number/);
});

test('a decision that turns on the stub: x86_64 tinyconfig, zstd has the smaller payload but the bigger bzImage than gzip', () => {
  const tiny = stubRows(rows, 'x86_64', 'tinyconfig');
  const gzip = getStub(rows, 'x86_64', 'tinyconfig', 'gzip');
  const zstd = getStub(rows, 'x86_64', 'tinyconfig', 'zstd');
  // the premise, from the data
  assert.ok(zstd.payloadBytes < gzip.payloadBytes);
  assert.ok(zstd.imageBytes > gzip.imageBytes);
  const byImage = rankAlgorithms(tiny, 'image').map((r) => r.algorithm);
  const byPayload = rankAlgorithms(tiny, 'payload').map((r) => r.algorithm);
  assert.ok(byImage.indexOf('gzip') < byImage.indexOf('zstd'), `by image: ${byImage.join(' < ')}`);
  assert.ok(byPayload.indexOf('zstd') < byPayload.indexOf('gzip'), `by payload: ${byPayload.join(' < ')}`);
  // the ranking by image is the order of the measured bzImages
  assert.deepEqual(
    byImage,
    [...tiny].sort((a, b) => a.imageBytes - b.imageBytes).map((r) => r.algorithm),
  );
  assert.throws(() => rankAlgorithms(rows, 'image'), /one target at a time/);
});

test("a replacement payload re-ranks: the stub stays, the payload is the caller's", () => {
  const tiny = stubRows(rows, 'x86_64', 'tinyconfig');
  const gzip = getStub(rows, 'x86_64', 'tinyconfig', 'gzip');
  const zstd = getStub(rows, 'x86_64', 'tinyconfig', 'zstd');
  // a zstd payload smaller than gzip's by more than the stub difference wins
  const enough = gzip.payloadBytes - (zstd.stubBytes - gzip.stubBytes) - LAYOUT.dataAlign * 2;
  const ranked = rankAlgorithms(tiny, 'image', { zstd: enough }).map((r) => r.algorithm);
  assert.ok(ranked.indexOf('zstd') < ranked.indexOf('gzip'), ranked.join(' < '));
});

for (const name of ['amd64', 'armhf'] as const) {
  const k = realKernel(name);
  test(
    `Debian ${name}: the composition rule gives the real file from its payload and its own stub`,
    { skip: k ? false : `no ${name} kernel in the cache (kzbench corpus fetch)` },
    () => {
      const img = k!.image;
      assert.ok(img.payload, 'a self-decompressing image');
      const kind = img.format === 'bzimage' ? 'bzImage' : 'zImage';
      const parts = measureImageParts({
        kind,
        bytes: readFileSync(k!.path),
        signatureBytes: img.signatureBytes,
        setupBytes: kind === 'bzImage' ? Number(img.header.setup_bytes) : 0,
        payloadFileOffset: img.payload!.offset,
        payloadBytes: img.payload!.storedBytes,
      });
      // the measured parts account for everything but padding
      assert.ok(parts.stubBytes > 0 && parts.setupBytes + parts.stubBytes + parts.payloadBytes <= img.fileBytes - img.signatureBytes);
      assert.ok(parts.setupBytes + parts.stubBytes <= img.stubBytes, "setup + stub without padding is at most the image's non-payload bytes");
      const predicted = predictImageBytes(parts).imageBytes;
      const real = img.fileBytes - img.signatureBytes;
      assert.ok(Math.abs(predicted - real) / real <= 0.005, `predicted ${predicted}, real ${real} (without the ${img.signatureBytes}-byte signature)`);
      assert.equal(predicted, real);
    },
  );
}
