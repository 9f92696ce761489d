import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOARD_FIGURES, BoardError, decompressionMs, flashReadMs, listBoards, loadBoard, loadBoards, parseBoard } from '../src/model/index.js';
import { YamlFileError } from '../src/located.js';

const boards = loadBoards();

test('the four shipped boards load, each figure with its source, each gap named', () => {
  assert.deepEqual(listBoards(), ['qnap-ts219', 'rpi3b-uboot', 'stm32f429-disco', 'x86-pc']);
  for (const b of boards) {
    for (const f of BOARD_FIGURES) if (b[f] !== undefined) assert.ok(b.sources[f], `${b.name}: ${f} without source`);
    for (const [a, s] of Object.entries(b.decompression ?? {})) assert.ok(s.source && s.measured_on, `${b.name}: ${a}`);
  }
  assert.deepEqual(
    boards.map((b) => b.arch),
    ['arm', 'arm64', 'arm', 'x86_64'],
  );
});

test('QNAP TS-219: the Debian marvell partition budget, from REFERENCE.md section 3', () => {
  const b = loadBoard('qnap-ts219');
  assert.equal(b.kernel_partition_bytes, 2_097_088);
  assert.equal(b.imageBudgetBytes, 2_097_088);
  assert.match(b.sources.kernel_partition_bytes!, /REFERENCE\.md section 3.*debian\/config\/armel\/defines/s);
  assert.equal(b.xip, false);
  // the board model's core (docs/boot-model.md), no stand-in decompression figures of its own
  assert.deepEqual(b.core, { family: 'armv5te', clock_ghz: 1.2 });
  assert.match(b.sources.core!, /88F6281/);
  assert.equal(b.decompression, undefined);
  assert.ok(b.unknown?.flash_read_mb_s && b.unknown.ram_bytes && b.unknown.boot_budget_ms);
  assert.match(b.unknown.flash_read_mb_s, /20 MHz/);
  assert.equal(flashReadMs(b, 1_000_000), null);
});

test('STM32F429 discovery: 2 MiB flash, XIP, datasheet and user manual named', () => {
  const b = loadBoard('stm32f429-disco');
  assert.equal(b.xip, true);
  assert.equal(b.flash_bytes, 2 * 1024 * 1024);
  assert.equal(b.imageBudgetBytes, b.flash_bytes! - b.flash_reserved_bytes!);
  assert.match(b.sources.flash_bytes!, /DS9405/);
  assert.match(b.sources.ram_bytes!, /UM1670/);
  assert.equal(b.decompression, undefined);
  assert.deepEqual(b.core, { family: 'cortex-m4', clock_ghz: 0.18 });
  assert.match(b.sources.core!, /DS9405/);
});

test('decompression time follows what the rate counts; a read speed may be a range', () => {
  const pc = loadBoard('x86-pc');
  const gzip = pc.decompression!.gzip!;
  assert.equal(gzip.rate_of, 'input');
  // input rate: compressed bytes over the rate, whatever the output
  assert.equal(decompressionMs(pc, 'gzip', gzip.mb_s * 1e6, 1), 1000);
  assert.equal(decompressionMs(pc, 'xz', 1, 1), null);
  assert.equal(pc.decompression!.lz4!.rate_of, 'unstated');
  assert.equal(decompressionMs(pc, 'lz4', 1e6, 1e6), null);
  assert.equal(pc.imageBudgetBytes, null);
  const pi = loadBoard('rpi3b-uboot');
  assert.deepEqual(pi.flash_read_mb_s, [23.3, 24.0]);
  assert.ok(Math.abs(flashReadMs(pi, 23.65e6)! - 1000) < 1e-9, 'the middle of the range');
  assert.match(pi.sources.flash_read_mb_s!, /bytes read in 235 ms/);
  const ranged = ok
    .replace('xip: true', 'xip: true\nflash_read_mb_s: [5, 2]')
    .replace('  flash_read_mb_s: none\n', '')
    .replace('  flash_bytes: datasheet X', '  flash_bytes: datasheet X\n  flash_read_mb_s: log');
  assert.match(problems(ranged), /low <= high/);
  assert.deepEqual(parseBoard(ranged.replace('[5, 2]', '[2, 5]'), 'x.yaml').flash_read_mb_s, [2, 5]);
});

test('a board by path; an unknown name lists the boards', () => {
  const b = boards[0]!;
  assert.equal(loadBoard(b.file).name, b.name);
  assert.throws(
    () => loadBoard('no-such-board'),
    (e: Error) => e instanceof BoardError && /known: qnap-ts219, rpi3b-uboot/.test(e.message),
  );
});

function problems(text: string): string {
  try {
    parseBoard(text, 'x.yaml');
  } catch (e) {
    assert.ok(e instanceof YamlFileError, String(e));
    return e.message;
  }
  assert.fail('expected a YamlFileError');
}

const ok = `name: x
description: test board
arch: arm
flash_bytes: 1000
xip: true
sources:
  flash_bytes: datasheet X
unknown:
  flash_read_mb_s: none
  ram_bytes: none
  boot_budget_ms: none
  decompression: none
`;

test('errors carry line and column', () => {
  assert.equal(parseBoard(ok, 'x.yaml').imageBudgetBytes, 1000);
  // a figure without its source
  assert.match(
    problems(ok.replace('sources:\n  flash_bytes: datasheet X', 'sources: {}')),
    /x\.yaml:4:14: flash_bytes: flash_bytes is given without its source/,
  );
  // a gap not named
  assert.match(problems(ok.replace('  ram_bytes: none\n', '')), /x\.yaml:\d+:\d+: ram_bytes: ram_bytes is missing/);
  // an unknown key, located on the key
  assert.match(problems(ok.replace('xip: true', 'xip: true\nflash_mb: 3')), /x\.yaml:6:1: flash_mb: unknown key "flash_mb"/);
  // a wrong type, on the value
  assert.match(problems(ok.replace('flash_bytes: 1000', 'flash_bytes: lots')), /x\.yaml:4:14: flash_bytes: /);
  // a decompression entry without its source
  const dec = ok
    .replace('  decompression: none\n', '')
    .replace('xip: true', 'xip: true\ndecompression:\n  lzo: { mb_s: 10, rate_of: output, measured_on: here, proxy: false }');
  assert.match(problems(dec), /x\.yaml:7:\d+: decompression\.lzo\.source: /);
  // both budgets
  assert.match(
    problems(ok.replace('flash_bytes: 1000', 'flash_bytes: 1000\nkernel_partition_bytes: 900')),
    /kernel_partition_bytes: give flash_bytes or kernel_partition_bytes, not both/,
  );
  // syntax
  assert.match(problems('name: [x\n'), /x\.yaml:\d+:\d+: /);
});

test('name must match the file name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kzb-boards-'));
  writeFileSync(join(dir, 'y.yaml'), ok);
  assert.throws(() => loadBoard('y', dir), /name "x" differs from the file name "y"/);
});
