// A tiny bzImage and suite files for the suite, shard and merge tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compress, parseSetting } from '../src/codecs/index.js';
import { buildBzImage, buildElf, codeLike } from './fixtures/images.js';

export const bin = new URL('../../bin/kzbench.js', import.meta.url).pathname;

export function kz(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

/** A temporary directory holding a small x86 bzImage (3 sections) as `bzImage`. */
export function fixtureDir(prefix: string): { dir: string; image: string } {
  const dir = mkdtempSync(join(tmpdir(), `kzbench-${prefix}-`));
  const vmlinux = buildElf({
    bits: 64,
    littleEndian: true,
    machine: 62,
    sections: [
      { name: '.text', address: 0xffffffff81000000n, data: codeLike(120_000, 11), flags: 'ax' },
      { name: '.rodata', address: 0xffffffff82000000n, data: codeLike(60_000, 12), flags: 'a' },
      { name: '.data', address: 0xffffffff83000000n, data: codeLike(30_000, 13), flags: 'wa' },
    ],
    symbols: [{ name: 'start_kernel', address: 0xffffffff81000000n, size: 100, kind: 'func', bind: 'global', section: 0 }],
  });
  const image = join(dir, 'bzImage');
  writeFileSync(image, buildBzImage({ stream: compress(parseSetting('xz:preset=6,bcj=x86'), vmlinux), sizeTrailer: vmlinux.length }));
  return { dir, image };
}

export function writeSuite(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
