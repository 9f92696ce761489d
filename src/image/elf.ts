// ELF32/ELF64, little and big endian: sections, program headers, .symtab,
// and the loadable image as a boot loader sees it (objcopy -O binary).
import { ByteView, latin1 } from './bytes.js';
import { fail } from './errors.js';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

const SHT_NOBITS = 8;
const SHT_SYMTAB = 2;
const SHF_WRITE = 1;
const SHF_ALLOC = 2;
const SHF_EXECINSTR = 4;
const PT_LOAD = 1;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  address: bigint;
  offset: number;
  /** Size in memory; for NOBITS sections no file bytes back it. */
  size: number;
  link: number;
  entsize: number;
  nobits: boolean;
  alloc: boolean;
  exec: boolean;
  write: boolean;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: number;
}

export interface ElfSymbol {
  name: string;
  address: bigint;
  size: number;
  /** STT_* */
  kind: 'func' | 'object' | 'notype' | 'section' | 'file' | 'other';
  binding: 'local' | 'global' | 'weak' | 'other';
  sectionIndex: number;
}

export interface Elf {
  bits: 32 | 64;
  littleEndian: boolean;
  machine: number;
  entry: bigint;
  sections: ElfSection[];
  segments: ElfSegment[];
  /** Bytes the ELF file itself occupies (headers, data, section table); anything after is not ELF. */
  extent: number;
}

/** e_machine numbers of kernel arches (elf.h). */
const MACHINES: Record<number, string> = {
  3: 'x86',
  62: 'x86_64',
  40: 'arm',
  183: 'arm64',
  243: 'riscv',
  8: 'mips',
  20: 'powerpc',
  21: 'powerpc64',
  22: 's390',
  2: 'sparc',
  43: 'sparc64',
  94: 'xtensa',
  258: 'loongarch',
};

export function elfArch(elf: Elf): string {
  const a = MACHINES[elf.machine] ?? `e_machine ${elf.machine}`;
  if (a === 'riscv') return elf.bits === 64 ? 'riscv64' : 'riscv32';
  return a;
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

export function parseElf(bytes: Uint8Array): Elf {
  if (!isElf(bytes)) fail('not an ELF file (no \\x7fELF magic)');
  const head = new ByteView(bytes);
  const cls = head.u8(4, 'ELF class');
  const data = head.u8(5, 'ELF data encoding');
  if (cls !== 1 && cls !== 2) fail(`ELF class ${cls} is neither ELF32 nor ELF64`);
  if (data !== 1 && data !== 2) fail(`ELF data encoding ${data} is neither little nor big endian`);
  const bits = cls === 2 ? 64 : 32;
  const v = new ByteView(bytes, data === 1);
  const w = bits === 64 ? 8 : 4;
  const addr = (o: number, what: string) => v.word(o, w, what);
  const off = (o: number, what: string): number => {
    const x = v.word(o, w, what);
    if (x > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} is absurd (${x})`);
    return Number(x);
  };

  const machine = v.u16(18, 'e_machine');
  const entry = addr(24, 'e_entry');
  const phoff = off(bits === 64 ? 32 : 28, 'e_phoff');
  const shoff = off(bits === 64 ? 40 : 32, 'e_shoff');
  const base = bits === 64 ? 52 : 40;
  const phentsize = v.u16(base + 2, 'e_phentsize');
  const phnum = v.u16(base + 4, 'e_phnum');
  const shentsize = v.u16(base + 6, 'e_shentsize');
  const shnum = v.u16(base + 8, 'e_shnum');
  const shstrndx = v.u16(base + 10, 'e_shstrndx');
  let extent = base + 12;

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < (bits === 64 ? 56 : 32)) fail(`e_phentsize ${phentsize} is too small`);
    v.need(phoff, phnum * phentsize, 'program header table');
    extent = Math.max(extent, phoff + phnum * phentsize);
    for (let i = 0; i < phnum; i++) {
      const p = phoff + i * phentsize;
      const s: ElfSegment =
        bits === 64
          ? {
              type: v.u32(p, 'p_type'),
              flags: v.u32(p + 4, 'p_flags'),
              offset: off(p + 8, 'p_offset'),
              vaddr: v.u64(p + 16, 'p_vaddr'),
              paddr: v.u64(p + 24, 'p_paddr'),
              filesz: off(p + 32, 'p_filesz'),
              memsz: off(p + 40, 'p_memsz'),
            }
          : {
              type: v.u32(p, 'p_type'),
              offset: v.u32(p + 4, 'p_offset'),
              vaddr: BigInt(v.u32(p + 8, 'p_vaddr')),
              paddr: BigInt(v.u32(p + 12, 'p_paddr')),
              filesz: v.u32(p + 16, 'p_filesz'),
              memsz: v.u32(p + 20, 'p_memsz'),
              flags: v.u32(p + 24, 'p_flags'),
            };
      if (s.filesz > 0) {
        v.need(s.offset, s.filesz, `segment ${i} data`);
        extent = Math.max(extent, s.offset + s.filesz);
      }
      segments.push(s);
    }
  }

  const raw: Omit<ElfSection, 'name'>[] = [];
  const nameOffsets: number[] = [];
  if (shnum > 0) {
    if (shentsize < (bits === 64 ? 64 : 40)) fail(`e_shentsize ${shentsize} is too small`);
    v.need(shoff, shnum * shentsize, 'section header table');
    extent = Math.max(extent, shoff + shnum * shentsize);
    for (let i = 0; i < shnum; i++) {
      const p = shoff + i * shentsize;
      nameOffsets.push(v.u32(p, 'sh_name'));
      const type = v.u32(p + 4, 'sh_type');
      const flags = bits === 64 ? v.u64(p + 8, 'sh_flags') : BigInt(v.u32(p + 8, 'sh_flags'));
      const s = {
        index: i,
        type,
        flags,
        address: addr(bits === 64 ? p + 16 : p + 12, 'sh_addr'),
        offset: off(bits === 64 ? p + 24 : p + 16, 'sh_offset'),
        size: off(bits === 64 ? p + 32 : p + 20, 'sh_size'),
        link: v.u32(bits === 64 ? p + 40 : p + 24, 'sh_link'),
        entsize: off(bits === 64 ? p + 56 : p + 36, 'sh_entsize'),
        nobits: type === SHT_NOBITS,
        alloc: (flags & BigInt(SHF_ALLOC)) !== 0n,
        exec: (flags & BigInt(SHF_EXECINSTR)) !== 0n,
        write: (flags & BigInt(SHF_WRITE)) !== 0n,
      };
      if (i > 0 && !s.nobits && s.size > 0) {
        v.need(s.offset, s.size, `section ${i} data`);
        extent = Math.max(extent, s.offset + s.size);
      }
      raw.push(s);
    }
  }
  let names: (o: number) => string = () => '';
  if (shnum > 0) {
    if (shstrndx >= shnum) fail(`e_shstrndx ${shstrndx} is out of range (${shnum} sections)`);
    const strtab = raw[shstrndx]!;
    names = (o) =>
      o < strtab.size ? v.cstring(strtab.offset + o, strtab.offset + strtab.size, 'section name') : fail(`section name offset ${o} is outside .shstrtab`);
  }
  const sections = raw.map((s, i) => ({ ...s, name: names(nameOffsets[i]!) }));
  return { bits, littleEndian: data === 1, machine, entry, sections, segments, extent };
}

/** The .symtab of an unstripped vmlinux, or [] when stripped. */
export function elfSymbols(bytes: Uint8Array, elf: Elf): ElfSymbol[] {
  const symtab = elf.sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return [];
  const v = new ByteView(bytes, elf.littleEndian);
  const strtab = elf.sections[symtab.link];
  if (!strtab) fail(`.symtab links to string table ${symtab.link}, which does not exist`);
  const entsize = elf.bits === 64 ? 24 : 16;
  if (symtab.entsize !== 0 && symtab.entsize !== entsize) fail(`.symtab entry size ${symtab.entsize} is not ${entsize}`);
  const count = Math.floor(symtab.size / entsize);
  const strings = v.slice(strtab.offset, strtab.size, 'symbol string table');
  const out: ElfSymbol[] = [];
  for (let i = 1; i < count; i++) {
    const p = symtab.offset + i * entsize;
    const nameOff = v.u32(p, 'st_name');
    let info: number, shndx: number, address: bigint, size: number;
    if (elf.bits === 64) {
      info = v.u8(p + 4, 'st_info');
      shndx = v.u16(p + 6, 'st_shndx');
      address = v.u64(p + 8, 'st_value');
      size = v.u64Number(p + 16, 'st_size');
    } else {
      address = BigInt(v.u32(p + 4, 'st_value'));
      size = v.u32(p + 8, 'st_size');
      info = v.u8(p + 12, 'st_info');
      shndx = v.u16(p + 14, 'st_shndx');
    }
    if (nameOff >= strings.length) fail(`symbol ${i} name offset ${nameOff} is outside the string table`);
    let end = nameOff;
    while (end < strings.length && strings[end] !== 0) end++;
    const t = info & 0xf;
    const b = info >> 4;
    out.push({
      name: latin1(strings.subarray(nameOff, end)),
      address,
      size,
      kind: t === 2 ? 'func' : t === 1 ? 'object' : t === 0 ? 'notype' : t === 3 ? 'section' : t === 4 ? 'file' : 'other',
      binding: b === 0 ? 'local' : b === 1 ? 'global' : b === 2 ? 'weak' : 'other',
      sectionIndex: shndx,
    });
  }
  return out;
}

/** A section's load address: its address translated through the PT_LOAD that holds it (vaddr -> paddr). */
export function loadAddress(elf: Elf, s: ElfSection): bigint {
  for (const p of elf.segments) {
    if (p.type !== PT_LOAD || p.filesz === 0) continue;
    if (s.offset >= p.offset && s.offset + s.size <= p.offset + p.filesz) {
      return p.paddr + BigInt(s.offset - p.offset);
    }
  }
  return s.address;
}

export interface LoadImage {
  /** Load address of the first byte. */
  base: bigint;
  bytes: Uint8Array;
}

/**
 * The image a boot loader sees: every allocated section with file contents,
 * placed at its load address, gaps zero-filled, from the lowest to the highest
 * loaded byte (what `objcopy -O binary` writes).
 */
export function elfLoadImage(bytes: Uint8Array, elf: Elf, maxBytes = 1 << 30): LoadImage {
  const loaded = elf.sections.filter((s) => s.alloc && !s.nobits && s.size > 0);
  if (loaded.length === 0) return { base: 0n, bytes: new Uint8Array(0) };
  const placed = loaded.map((s) => ({ s, lma: loadAddress(elf, s) }));
  let lo = placed[0]!.lma;
  let hi = lo;
  for (const { s, lma } of placed) {
    if (lma < lo) lo = lma;
    const end = lma + BigInt(s.size);
    if (end > hi) hi = end;
  }
  const span = hi - lo;
  if (span > BigInt(maxBytes)) fail(`loadable sections span ${span} bytes, more than the ${maxBytes}-byte limit`);
  const out = new Uint8Array(Number(span));
  for (const { s, lma } of placed) out.set(bytes.subarray(s.offset, s.offset + s.size), Number(lma - lo));
  return { base: lo, bytes: out };
}
