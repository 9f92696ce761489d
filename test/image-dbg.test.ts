// The real check of where inspect puts a function: for 1,000 text symbols
// sampled across the image, the bytes at the offset the reader gives (from
// kallsyms and marker symbols only) must be the bytes the -dbg package's
// vmlinux holds at that symbol's address (through its own section table):
// an independent source that fails on any shift, however small. Text
// symbols from kallsyms must also be the real System.map's, address for
// address. Runs under KZBENCH_SLOW=1 on every pair cached under ~/.cache/kzbench/kernels (skips
// with the reason when one is absent).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseElf } from '../src/image/elf.js';
import { openKernelImage } from '../src/image/index.js';
import { parseSystemMap } from '../src/image/systemmap.js';
import { corpusFile } from './corpus.js';

const PAIRS: { name: string; image: RegExp; flavour: string }[] = [
  { name: 'riscv64 (Debian 13)', image: /\/boot\/vmlinux-[\d.]+\+deb13-riscv64$/, flavour: 'riscv64' },
  { name: 'arm64', image: /\/boot\/vmlinuz-[\d.]+-\d+-arm64$/, flavour: 'arm64' },
  { name: 'armhf', image: /\/boot\/vmlinuz-[\d.]+-\d+-armmp$/, flavour: 'armmp' },
  { name: 'amd64 (cloud)', image: /\/boot\/vmlinuz-[\d.]+-\d+-cloud-amd64$/, flavour: 'cloud-amd64' },
  { name: 's390x (big endian)', image: /\/boot\/vmlinuz-[\d.]+-\d+-s390x$/, flavour: 's390x' },
  { name: 'mipsel (32-bit MIPS)', image: /\/boot\/vmlinuz-[\d.]+-\d+-4kc-malta$/, flavour: '4kc-malta' },
  { name: 'mips64el (64-bit MIPS)', image: /\/boot\/vmlinuz-[\d.]+-\d+-5kc-malta$/, flavour: '5kc-malta' },
];

const SAMPLES = 1000;

function dbgFile(kind: 'vmlinux' | 'System.map', release: string): string | undefined {
  const esc = release.replace(/[.+]/g, (c) => `\\${c}`);
  return corpusFile(new RegExp(`/usr/lib/debug/boot/${kind === 'vmlinux' ? 'vmlinux' : 'System\\.map'}-${esc}$`));
}

describe('function offsets against the -dbg vmlinux', () => {
  for (const pair of PAIRS) {
    const path = corpusFile(pair.image);
    const release = path?.replace(/^.*\/vmlinu[xz]-/, '');
    const vmlinux = release ? dbgFile('vmlinux', release) : undefined;
    const map = release ? dbgFile('System.map', release) : undefined;
    // reading a -dbg vmlinux (300-700 MB) per kernel is slow: KZBENCH_SLOW=1
    const skip = !process.env.KZBENCH_SLOW
      ? 'set KZBENCH_SLOW=1'
      : !path
        ? `no ${pair.flavour} kernel cached`
        : !vmlinux || !map
          ? `no ${pair.flavour} -dbg package cached`
          : false;

    it(`${pair.name}: ${SAMPLES} sampled functions begin where inspect says`, { skip }, () => {
      const img = openKernelImage(path!, { findBeside: false });
      assert.equal(img.symbols.source, 'kallsyms');
      const dbg = readFileSync(vmlinux!);
      const elf = parseElf(dbg);
      const stored = img.functions.filter((f) => f.offset !== null && f.extent >= 2);
      assert.ok(stored.length >= SAMPLES, `${stored.length} functions with bytes`);
      // the init text must be there too (start_kernel is in it)
      assert.ok(
        img.functions.some((f) => f.name === 'start_kernel' && f.offset !== null),
        'start_kernel listed with bytes',
      );
      let checked = 0;
      const bad: string[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        const f = stored[Math.floor((i * stored.length) / SAMPLES)]!;
        const sec = elf.sections.find((s) => s.alloc && !s.nobits && f.address >= s.address && f.address < s.address + BigInt(s.size));
        if (!sec) {
          bad.push(`${f.name}: not in any section of the -dbg vmlinux`);
          continue;
        }
        const at = sec.offset + Number(f.address - sec.address);
        const n = Math.min(8, f.extent, sec.size - Number(f.address - sec.address));
        const want = Buffer.from(dbg.subarray(at, at + n)).toString('hex');
        const got = Buffer.from(img.kernel.subarray(f.offset!, f.offset! + n)).toString('hex');
        checked++;
        if (want !== got) bad.push(`${f.name}@${f.offset}: ${got} != ${want}`);
      }
      assert.equal(checked, SAMPLES);
      assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${SAMPLES} differ`);
    });

    it(`${pair.name}: kallsyms text symbols are the System.map's`, { skip }, () => {
      const img = openKernelImage(path!, { findBeside: false });
      const real = parseSystemMap(readFileSync(map!, 'latin1'));
      // a 32-bit MIPS System.map prints addresses sign-extended to 64 bits (ffffffff80100000 T _text)
      const mask = img.bits === 32 ? 0xffffffffn : (1n << 64n) - 1n;
      const key = (s: { name: string; address: bigint }) => `${(s.address & mask).toString(16)} ${s.name}`;
      const text = (t: string) => /^[tTwW]$/.test(t);
      const want = new Set(real.symbols.filter((s) => text(s.type)).map(key));
      const got = img.symbols.list.filter((s) => text(s.type)).map(key);
      const missing = got.filter((k) => !want.has(k));
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${got.length} kallsyms text symbols are not in ${map}`);
      // kallsyms leaves out only what scripts/kallsyms.c drops (local labels, __crc_, ...)
      assert.ok(got.length >= 0.95 * want.size, `${got.length} kallsyms text symbols, ${want.size} in the System.map`);
    });
  }
});
