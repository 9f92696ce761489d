// A tiny bzImage and suite files for the suite, shard and merge tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallKernel } from './fixtures/images.js';

export const bin = new URL('../../bin/kzbench.js', import.meta.url).pathname;

export function kz(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

/** A temporary directory holding a small x86 bzImage (3 sections) as `bzImage`. */
export function fixtureDir(prefix: string): { dir: string; image: string } {
  const dir = mkdtempSync(join(tmpdir(), `kzbench-${prefix}-`));
  const image = join(dir, 'bzImage');
  writeFileSync(image, smallKernel().bzImage);
  return { dir, image };
}

export function writeSuite(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
