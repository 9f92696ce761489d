// The image reader on real Debian kernels, when the cache has them
// (scripts/fetch-test-kernels). Expected figures come from data/kernels.csv,
// each row with its source; a newer package version than the table knows is
// checked for consistency only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { openKernelImage } from '../src/image/index.js';
import { corpusFile } from './corpus.js';

interface Expected {
  package: string;
  version: string;
  image_file: string;
  file_bytes: string;
  format: string;
  algorithm: string;
  payload_offset: string;
  compressed_bytes: string;
  decompressed_bytes: string;
}
const table = parse(readFileSync(new URL('../../data/kernels.csv', import.meta.url)), { columns: true }) as Expected[];

const kernels: [string, RegExp, string][] = [
  ['amd64', /\/boot\/vmlinuz-[\d.]+-\d+-amd64$/, 'x86_64'],
  ['cloud-amd64', /\/boot\/vmlinuz-[\d.]+-\d+-cloud-amd64$/, 'x86_64'],
  ['armhf armmp', /\/boot\/vmlinuz-[\d.]+-\d+-armmp$/, 'arm'],
  ['arm64', /\/boot\/vmlinuz-[\d.]+-\d+-arm64$/, 'arm64'],
  // issue 13: the rest of Debian's architectures (docs/architectures.md)
  ['i386 686-pae', /\/boot\/vmlinuz-[\d.]+-\d+-686-pae$/, 'x86'],
  ['s390x', /\/boot\/vmlinuz-[\d.]+-\d+-s390x$/, 's390'],
  ['mipsel 4kc-malta', /\/boot\/vmlinuz-[\d.]+-\d+-4kc-malta$/, 'mips'],
  ['mips64el 5kc-malta', /\/boot\/vmlinuz-[\d.]+-\d+-5kc-malta$/, 'mips'],
  ['ppc64el', /\/boot\/vmlinux-[\d.]+-\d+-powerpc64le$/, 'powerpc64'],
  ['riscv64 (Debian 13)', /\/boot\/vmlinux-[\d.]+\+deb13-riscv64$/, 'riscv64'],
];

describe('real Debian kernels', () => {
  for (const [name, pattern, arch] of kernels) {
    const path = corpusFile(pattern);
    it(`${name}: format, payload and symbols`, { skip: path ? false : 'not in the cache: run scripts/fetch-test-kernels' }, () => {
      const img = openKernelImage(path!);
      assert.equal(img.arch, arch);
      assert.ok(img.release, 'Linux version banner found');
      // Debian ships a stub System.map: symbols come from kallsyms (ppc64el's vmlinux keeps its .symtab)
      assert.equal(img.symbols.source, arch === 'powerpc64' ? 'symtab' : 'kallsyms');
      assert.ok(
        img.functions.some((f) => f.name === 'start_kernel' && f.offset !== null),
        'start_kernel (init text) is a function with bytes',
      );
      assert.ok(img.functions.length > 10000, `${img.functions.length} text symbols`);
      assert.ok(img.sections.some((s) => s.kind === 'text'));
      if (img.payload) assert.notEqual(img.payload.sizeTrailer, null, 'trailing size matches');
      const row = table.find((r) => r.image_file === basename(path!));
      if (row) {
        assert.equal(img.fileBytes, Number(row.file_bytes));
        assert.equal(img.format, row.format);
        if (row.algorithm) {
          assert.equal(img.payload!.algorithm, row.algorithm);
          assert.equal(img.payload!.offset, Number(row.payload_offset));
          assert.equal(img.payload!.compressedBytes, Number(row.compressed_bytes));
          assert.equal(img.payload!.decompressedBytes, Number(row.decompressed_bytes));
        } else {
          assert.equal(img.payload, null);
          assert.equal(img.kernel.length, Number(row.decompressed_bytes));
        }
      }
      console.log(`# ${name}: ${basename(path!)} ${img.symbols.list.length} symbols (${img.symbols.detail})`);
    });
  }

  const amd64 = corpusFile(kernels[0]![1]);
  it(
    'kzbench inspect --json on the amd64 kernel: the JSON contract (time printed, not asserted: unit tests assert no wall clock)',
    { skip: amd64 ? false : 'not in the cache' },
    () => {
      const r = spawnSync(process.execPath, [new URL('../../bin/kzbench.js', import.meta.url).pathname, 'inspect', '--json', amd64!], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      for (const k of ['format', 'arch', 'file_bytes', 'payload', 'stub_bytes', 'sections', 'symbols']) assert.ok(k in j, k);
      for (const k of ['algorithm', 'offset', 'compressed_bytes', 'decompressed_bytes']) assert.ok(k in j.payload, k);
      for (const k of ['name', 'address', 'offset', 'bytes', 'kind']) assert.ok(k in j.sections[0], k);
      for (const k of ['source', 'count', 'text_count', 'text_bytes']) assert.ok(k in j.symbols, k);
    },
  );
});
