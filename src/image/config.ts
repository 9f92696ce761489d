// A kernel .config: the options that decide how an image is compressed and
// started (arch, KERNEL_* compressor, THUMB2_KERNEL, XIP_KERNEL, PAGE_OFFSET
// and friends). Found beside the image in the /boot layout or given by path.
import { excerpt } from '../errors.js';
import { fail } from './errors.js';

export interface KernelConfig {
  /** "x86", "arm", "arm64", "riscv", ... from the header line, or inferred from options. */
  arch: string | null;
  /** Version from the "# Linux/ARCH VERSION Kernel Configuration" header. */
  version: string | null;
  /** The KERNEL_* image compressor chosen, lower case ("xz"), or null. */
  compression: string | null;
  thumb2: boolean;
  xip: boolean;
  bigEndian: boolean;
  is64bit: boolean;
  pageOffset: bigint | null;
  physOffset: bigint | null;
  xipPhysAddr: bigint | null;
  options: Map<string, string>;
}

const COMPRESSORS = ['GZIP', 'BZIP2', 'LZMA', 'XZ', 'LZO', 'LZ4', 'ZSTD', 'UNCOMPRESSED'];

/** Kconfig's SRCARCH from the option that only that arch sets. */
const ARCH_OPTIONS: [string, string][] = [
  ['CONFIG_X86', 'x86'],
  ['CONFIG_ARM64', 'arm64'],
  ['CONFIG_ARM', 'arm'],
  ['CONFIG_RISCV', 'riscv'],
  ['CONFIG_PPC', 'powerpc'],
  ['CONFIG_MIPS', 'mips'],
  ['CONFIG_S390', 's390'],
  ['CONFIG_SPARC', 'sparc'],
  ['CONFIG_XTENSA', 'xtensa'],
  ['CONFIG_LOONGARCH', 'loongarch'],
];

function num(v: string | undefined): bigint | null {
  // an address has at most 20 digits (64 bits in decimal); a longer string is not one, and BigInt of it would be slow
  if (v === undefined || v.length > 24) return null;
  try {
    return BigInt(v);
  } catch {
    return null;
  }
}

export function parseConfig(text: string): KernelConfig {
  const options = new Map<string, string>();
  let headerArch: string | null = null;
  let version: string | null = null;
  let lines = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const header = /^# Linux\/(\S+) (\S+) Kernel Configuration/.exec(line);
    if (header) {
      headerArch = header[1]!;
      version = header[2]!;
      continue;
    }
    const off = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (off) {
      options.set(off[1]!, 'n');
      lines++;
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (!m) fail(`not a kernel .config: unexpected line ${excerpt(line, 60)}`);
    let value = m[2]!;
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    options.set(m[1]!, value);
    lines++;
  }
  if (lines === 0) fail('not a kernel .config: no CONFIG_ options');
  const on = (k: string) => options.get(k) === 'y';
  // The header names the ARCH the tree was configured with, which may be an alias of its SRCARCH
  // ("Linux/x86_64" from make ARCH=x86_64; "Linux/x86" otherwise): kept as its SRCARCH.
  const arch = (headerArch ? srcArch(headerArch) : null) ?? ARCH_OPTIONS.find(([k]) => on(k))?.[1] ?? null;
  const compression = COMPRESSORS.find((c) => on(`CONFIG_KERNEL_${c}`))?.toLowerCase() ?? null;
  return {
    arch,
    version,
    compression,
    thumb2: on('CONFIG_THUMB2_KERNEL'),
    xip: on('CONFIG_XIP_KERNEL'),
    bigEndian: on('CONFIG_CPU_BIG_ENDIAN'),
    is64bit: on('CONFIG_64BIT'),
    pageOffset: num(options.get('CONFIG_PAGE_OFFSET')),
    physOffset: num(options.get('CONFIG_PHYS_OFFSET')),
    xipPhysAddr: num(options.get('CONFIG_XIP_PHYS_ADDR')),
    options,
  };
}

/** The SRCARCH an image's arch name belongs to ("x86_64" -> "x86"). */
export function srcArch(arch: string): string {
  if (arch === 'x86_64' || arch === 'i386' || arch === 'x86') return 'x86';
  if (arch.startsWith('riscv')) return 'riscv';
  if (arch.startsWith('powerpc')) return 'powerpc';
  if (arch.startsWith('sparc')) return 'sparc';
  return arch;
}
