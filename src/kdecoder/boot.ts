// The real boot decompressor's instructions, counted under qemu-system with
// the same plugin as the kernel decoders' (count.ts): an x86 bzImage booted
// with nokaslr from its 32-bit entry (the boot header's code32_start) to the
// first instruction of the decompressed kernel (LOAD_PHYSICAL_ADDR, where
// the decompressor jumps with KASLR off). That span is the boot
// decompressor's whole work: its relocation, page tables, the decompression,
// the ELF layout and the relocations; the decompression is by far the most.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelDecodeError } from './run.js';
import type { InsnCounter } from './count.js';

export interface BootCount {
  instructions: number;
  begin: string;
  end: string;
}

/** code32_start of an x86 boot header (0x214), the protected-mode entry the setup code jumps to. */
export function code32Start(image: Uint8Array): number {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image.length < 0x260 || dv.getUint32(0x202, true) !== 0x53726448) throw new KernelDecodeError('not an x86 bzImage (no HdrS boot header)');
  return dv.getUint32(0x214, true);
}

/**
 * Count the instructions from IMAGE's 32-bit entry to the jump into the
 * decompressed kernel at LOAD_ADDR (CONFIG_PHYSICAL_START; 0x1000000 by default).
 */
export function countBootDecompressor(counter: InsnCounter, image: string, loadAddr = 0x1000000, timeoutMs = 300_000): BootCount {
  const begin = `0x${code32Start(readFileSync(image)).toString(16)}`;
  const end = `0x${loadAddr.toString(16)}`;
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-boot-'));
  try {
    const log = join(dir, 'plugin.log');
    // The kernel may run on (or hang) after the mark: the count is read from the mark's line, not the exit.
    spawnSync(
      'qemu-system-x86_64',
      [
        '-kernel',
        image,
        '-append',
        'nokaslr console=ttyS0 panic=-1',
        '-nographic',
        '-no-reboot',
        '-m',
        '1024',
        '-plugin',
        `${counter.plugin},begin=${begin},end=${end}`,
        '-d',
        'plugin',
        '-D',
        log,
      ],
      { timeout: timeoutMs, stdio: 'ignore', killSignal: 'SIGKILL' },
    );
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      // no log: said below
    }
    const m = /kzcount-mark (\d+) 1\b/.exec(text);
    if (!m) throw new KernelDecodeError(`the boot never reached ${end} from ${begin} (is qemu-system-x86 installed? apt-get install qemu-system-x86)`, image);
    return { instructions: Number(m[1]), begin, end };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
