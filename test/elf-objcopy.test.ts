// The loadable image must be what `objcopy -O binary` writes, and the
// sections what readelf lists: checked against binutils on built fixtures
// (skipped when binutils is absent). The generic elfNN-little/big input
// target lets the host's binutils read other arches' ELF.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { elfLoadImage, parseElf } from '../src/image/elf.js';
import { buildElf, codeLike, type ElfSpec } from './fixtures/images.js';

const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const skip = have('objcopy') && have('readelf') ? false : 'binutils (objcopy, readelf) not installed';
const dir = mkdtempSync(join(tmpdir(), 'kzbench-objcopy-'));

function spec(bits: 32 | 64, littleEndian: boolean): ElfSpec {
  const base = bits === 64 ? 0xffffffff81000000n : 0xc0008000n;
  const phys = bits === 64 ? 0x1000000n : 0x8000n;
  return {
    bits,
    littleEndian,
    machine: bits === 64 ? 62 : 40,
    sections: [
      { name: '.text', address: base, lma: phys, data: codeLike(5000, 1), flags: 'ax' },
      { name: '.rodata', address: base + 0x2000n, lma: phys + 0x2000n, data: codeLike(3000, 2), flags: 'a' },
      { name: '.data..percpu', address: 0n, lma: phys + 0x3000n, data: codeLike(700, 3), flags: 'wa' },
      { name: '.data', address: base + 0x4000n, lma: phys + 0x4000n, data: codeLike(900, 4), flags: 'wa' },
      { name: '.bss', address: base + 0x5000n, size: 8192, flags: 'bss' },
      { name: '.comment', address: 0n, data: Buffer.from('GCC: (Debian 12.2.0-14) 12.2.0\0'), flags: 'none' },
    ],
  };
}

describe('ELF reader against binutils', { skip }, () => {
  for (const [bits, le] of [
    [64, true],
    [32, true],
    [32, false],
    [64, false],
  ] as const) {
    it(`ELF${bits} ${le ? 'LE' : 'BE'}: load image = objcopy -O binary, sections = readelf -S`, () => {
      const bytes = buildElf(spec(bits, le));
      const path = join(dir, `vmlinux${bits}${le ? 'le' : 'be'}`);
      writeFileSync(path, bytes);
      const bin = `${path}.bin`;
      const r = spawnSync('objcopy', ['-I', `elf${bits}-${le ? 'little' : 'big'}`, '-O', 'binary', path, bin], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const elf = parseElf(bytes);
      assert.deepEqual(Buffer.from(elfLoadImage(bytes, elf).bytes), readFileSync(bin));
      const listed = spawnSync('readelf', ['-SW', path], { encoding: 'utf8' }).stdout;
      const rows = [...listed.matchAll(/\]\s+(\S+)\s+\w+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/g)].map((m) => [
        m[1],
        BigInt('0x' + m[2]),
        Number('0x' + m[3]),
        Number('0x' + m[4]),
      ]);
      assert.deepEqual(
        elf.sections.slice(1).map((s) => [s.name, s.address, s.offset, s.size]),
        rows.slice(1), // readelf's [0] is the NULL section
      );
    });
  }
});
