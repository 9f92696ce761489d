// The image reader's API: open a kernel file of any supported format and
// get one KernelImage: what it is, its payload, the decompressed kernel, its
// sections and its symbols.
import { existsSync } from 'node:fs';
import { excerpt } from '../errors.js';
import { checkInputFile, MiB, readInputFile } from '../files.js';
import { basename, dirname, join } from 'node:path';
import { latin1 } from './bytes.js';
import { parseConfig, srcArch, type KernelConfig } from './config.js';
import { elfArch, elfSymbols, isElf, parseElf, type Elf } from './elf.js';
import { unwrap } from './unwrap.js';
import { fail, ImageError } from './errors.js';
import { fillArch } from './fill.js';
import { findImageBase } from './imagebase.js';
import { readKallsyms, KallsymsError } from './kallsyms.js';
import { MAX_DECOMPRESSED, type Payload } from './payload.js';
import { elfSections, markerSections, type Section } from './sections.js';
import { functionExtents, type KernelFunction, type KernelSymbol, type SymbolSource } from './symbols.js';
import { parseSystemMap } from './systemmap.js';

export { ImageError } from './errors.js';
export type { Section, SectionKind } from './sections.js';
export type { KernelFunction, KernelSymbol, SymbolSource } from './symbols.js';
export type { Payload } from './payload.js';
export type { KernelConfig } from './config.js';

import type { ImageFormat } from './unwrap.js';
export type { ImageFormat } from './unwrap.js';

export interface KernelImage {
  path: string;
  format: ImageFormat;
  /** Linux arch name: x86_64, x86, arm, arm64, riscv64, ... */
  arch: string;
  bits: 32 | 64;
  littleEndian: boolean;
  fileBytes: number;
  /** The compressed kernel inside the file, or null for an uncompressed image. */
  payload: Omit<Payload, 'data'> | null;
  /** Everything in the file that is neither payload nor signature (setup, decompressor, headers, padding). */
  stubBytes: number;
  signatureBytes: number;
  /** The decompressed kernel: an ELF vmlinux (+ relocations on x86) or a raw Image. */
  kernel: Uint8Array;
  /** Bytes of `kernel` after the ELF (x86 relocations), 0 otherwise. */
  trailingBytes: number;
  kernelFormat: 'elf' | 'raw';
  /** Kernel release from the "Linux version" banner ("6.1.0-56-amd64"), or null. */
  release: string | null;
  /** major.minor.patch parsed from the release, or null. */
  version: string | null;
  sections: Section[];
  symbols: { source: SymbolSource; list: KernelSymbol[]; detail: string };
  functions: KernelFunction[];
  config: KernelConfig | null;
  configPath: string | null;
  systemMapPath: string | null;
  /** Format-specific header fields, as read. */
  header: Record<string, unknown>;
  /** Things a user should know that are not errors (stub System.map, ignored files). */
  notes: string[];
}

export interface OpenOptions {
  configPath?: string;
  systemMapPath?: string;
  /** Look for config-* and System.map-* beside the image (default true). */
  findBeside?: boolean;
}

/**
 * Largest kernel image file read: the reader's own cap on a decompressed
 * kernel (MAX_DECOMPRESSED, 1 GiB). An uncompressed vmlinux is the largest
 * form a kernel takes, and a decompressed payload larger than this is refused
 * anyway, so a bigger file cannot be a kernel the reader handles; refusing it
 * by its size costs a stat, not reading gigabytes first.
 */
export const MAX_IMAGE_FILE = MAX_DECOMPRESSED;

/**
 * Largest .config read: a real one is about 300 KiB (Debian's amd64 has
 * ~10,000 options); 16 MiB is fifty times that, still parsed in well under
 * a second.
 */
export const MAX_CONFIG_FILE = 16 * MiB;

/**
 * Largest System.map read: Debian's amd64 one is ~6 MiB (~150,000 symbols),
 * an allyesconfig build's some 30 MiB; 128 MiB is four times that. Each line
 * becomes a symbol object, so the memory is several times the file's size.
 */
export const MAX_SYSTEM_MAP_FILE = 128 * MiB;

/** The banner init/version.c prints: "Linux version RELEASE (...". */
export function findRelease(kernel: Uint8Array): string | null {
  const buf = Buffer.from(kernel.buffer, kernel.byteOffset, kernel.byteLength);
  let at = buf.indexOf('Linux version ');
  while (at !== -1) {
    const end = buf.indexOf(0x20, at + 14);
    if (end > at + 14 && end - at < 80) {
      const release = latin1(kernel.subarray(at + 14, end));
      if (/^\d+\.\d+/.test(release)) return release;
    }
    at = buf.indexOf('Linux version ', at + 1);
  }
  return null;
}

export function releaseVersion(release: string | null): string | null {
  const m = release ? /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release) : null;
  return m ? `${m[1]}.${m[2]}.${m[3] ?? '0'}` : null;
}

/** config-REL / System.map-REL beside vmlinuz-REL (the /boot layout), or .config/System.map at a build tree's top. */
function besideFile(imagePath: string, kind: 'config' | 'System.map'): string | null {
  const dir = dirname(imagePath);
  const base = basename(imagePath);
  const m = /^(?:vmlinuz|vmlinux|zImage|Image|bzImage)-(.+?)(?:\.(?:gz|bz2|lzma|lzo|lz4|zst|xz))?$/.exec(base);
  const candidates: string[] = [];
  if (m) candidates.push(join(dir, `${kind}-${m[1]}`));
  const top = /\/arch\/[^/]+\/boot$/.test(dir) ? join(dir, '..', '..', '..') : dir;
  candidates.push(join(top, kind === 'config' ? '.config' : 'System.map'));
  return candidates.find((c) => existsSync(c)) ?? null;
}

export function openKernelImage(path: string, options: OpenOptions = {}): KernelImage {
  // a System.map given by name is checked even when the image's own symbols make it unneeded
  if (options.systemMapPath) checkInputFile(options.systemMapPath, 'System.map', MAX_SYSTEM_MAP_FILE);
  return readKernelImage(readInputFile(path, 'kernel image', MAX_IMAGE_FILE), path, options);
}

/** The same, for bytes already in memory; `path` names them in messages and locates side files. */
export function readKernelImage(bytes: Uint8Array, path: string, options: OpenOptions = {}): KernelImage {
  if (bytes.length < 64) fail(`only ${bytes.length} bytes: too small to be a kernel image`);
  const notes: string[] = [];
  const u = unwrap(bytes);
  const findBeside = options.findBeside ?? true;

  // The decompressed kernel: ELF (vmlinux, maybe followed by relocations) or raw Image.
  let elf: Elf | null = null;
  let trailingBytes = 0;
  if (isElf(u.kernel)) {
    elf = parseElf(u.kernel);
    trailingBytes = u.kernel.length - elf.extent;
  }
  const kernelFormat: 'elf' | 'raw' = elf ? 'elf' : 'raw';
  let arch = elf ? elfArch(elf) : (u.archHint ?? 'unknown');
  let bits: 32 | 64 = elf ? elf.bits : (u.bits ?? 64);
  let littleEndian = elf ? elf.littleEndian : (u.littleEndian ?? true);
  const release = findRelease(u.kernel);
  const version = releaseVersion(release);

  // .config: given, or beside the image.
  const configPath = options.configPath ?? (findBeside ? besideFile(path, 'config') : null);
  let config: KernelConfig | null = null;
  if (configPath) {
    config = withFile(configPath, () => parseConfig(readInputFile(configPath, '.config', MAX_CONFIG_FILE).toString('latin1')));
    if (config.arch && arch !== 'unknown' && config.arch !== srcArch(arch)) {
      fail(`${configPath} is a .config for ${config.arch}, but the image is ${arch}`);
    }
    const cv = releaseVersion(config.version);
    if (cv && version && cv.split('.').slice(0, 2).join('.') !== version.split('.').slice(0, 2).join('.')) {
      fail(`${configPath} is a .config for Linux ${config.version}, but the image is ${release}`);
    }
    if (arch === 'unknown' && config.arch) {
      arch = config.arch === 'x86' ? (config.is64bit ? 'x86_64' : 'x86') : config.arch === 'riscv' ? (config.is64bit ? 'riscv64' : 'riscv32') : config.arch;
      bits = config.is64bit || config.arch === 'arm64' ? 64 : 32;
      littleEndian = !config.bigEndian;
    }
  }

  // Symbols: .symtab, else a real System.map, else kallsyms.
  const systemMapPath = options.systemMapPath ?? (findBeside ? besideFile(path, 'System.map') : null);
  let symbols: KernelImage['symbols'] = { source: 'none', list: [], detail: 'no symbol table, System.map or kallsyms found' };
  const symtab = elf ? elfSymbols(u.kernel, elf) : [];
  if (symtab.length > 0) {
    symbols = {
      source: 'symtab',
      list: symtab
        .filter((s) => s.kind !== 'section' && s.kind !== 'file' && s.name !== '')
        .map((s) => ({ name: s.name, type: nmType(s, elf!), address: s.address, size: s.size })),
      detail: '.symtab',
    };
  }
  if (symbols.source === 'none' && systemMapPath) {
    const map = withFile(systemMapPath, () => parseSystemMap(readInputFile(systemMapPath, 'System.map', MAX_SYSTEM_MAP_FILE).toString('latin1')));
    if (map.stub !== null) notes.push(`${systemMapPath} is a stub (${excerpt(map.stub, 80)}); symbols come from elsewhere`);
    else {
      symbols = { source: 'system.map', list: map.symbols.map((s) => ({ ...s, size: null })), detail: systemMapPath };
      if (!options.systemMapPath) notes.push(`using ${systemMapPath} found beside the image`);
    }
  }
  if (symbols.source === 'none') {
    try {
      const k = readKallsyms(u.kernel, { wordSize: bits === 64 ? 8 : 4, littleEndian });
      // s390 relocates kallsyms_relative_base at boot (it reads 0 in vmlinux.bin):
      // the decompressor's vmlinux_info gives the address the image was linked at.
      const lma = typeof u.header.default_lma === 'bigint' && / reads 0/.test(k?.layout ?? '') ? u.header.default_lma : null;
      if (k && lma !== null)
        symbols = {
          source: 'kallsyms',
          list: k.symbols.map((s) => ({ ...s, address: s.address + lma, size: null })),
          detail: `${k.layout.replace(/ \(relative_base reads 0[^)]*\)/, '')}, based at vmlinux_info.default_lma`,
        };
      else if (k) symbols = { source: 'kallsyms', list: k.symbols.map((s) => ({ ...s, size: null })), detail: k.layout };
    } catch (e) {
      if (e instanceof KallsymsError) fail(`kallsyms tables: ${e.message}`);
      throw e;
    }
  }
  if (symbols.source === 'none' && u.format === 'raw-image' && !systemMapPath) {
    fail('not a kernel image: no ELF, bzImage, zImage, arm64 or RISC-V Image header, no compressor magic, and no symbols (give --system-map for a raw Image)');
  }

  // Sections: the ELF's, or recovered from marker symbols for a raw Image.
  let sections: Section[];
  if (elf) sections = elfSections(elf);
  else {
    const byName = new Map<string, bigint>();
    for (const s of symbols.list) if (!byName.has(s.name)) byName.set(s.name, s.address);
    // The Image starts at _text (arm64: arch/arm64/kernel/vmlinux.lds.S; arm:
    // arch/arm/kernel/vmlinux.lds.S), but a RISC-V Image at _start, 8 KiB of
    // head text before _text = _stext (arch/riscv/kernel/vmlinux.lds.S). Without
    // it (kallsyms lacks _text unless KALLSYMS_ALL) the exported-symbol table
    // ties addresses to file offsets exactly.
    let base = byName.get(arch.startsWith('riscv') ? '_start' : '_text');
    if (base === undefined && symbols.list.length > 0) {
      const found = findImageBase(u.kernel, symbols.list, { wordSize: bits === 64 ? 8 : 4, littleEndian });
      if (found) {
        base = found.base;
        u.header.image_base = base;
        u.header.image_base_method = `${found.method}, ${found.votes} votes`;
      } else notes.push('no _text symbol and no __ksymtab to place the raw Image: sections and function offsets are unknown');
    }
    sections = base === undefined ? [] : markerSections((n) => byName.get(n), base, u.kernel.length);
  }
  if (symbols.source === 'system.map' && elf) checkMapAgainstElf(symbols.list, sections, systemMapPath!);

  const functions = functionExtents(symbols.list, sections, { kernel: u.kernel, fill: fillArch(arch, config?.thumb2 ?? false) });
  const payload = u.payload ? (({ data: _d, ...rest }) => rest)(u.payload) : null;
  const signatureBytes = u.signature?.bytes ?? 0;
  const stubBytes = u.payload ? bytes.length - u.payload.storedBytes - signatureBytes : 0;
  return {
    path,
    format: u.format,
    arch,
    bits,
    littleEndian,
    fileBytes: bytes.length,
    payload,
    stubBytes,
    signatureBytes,
    kernel: u.kernel,
    trailingBytes,
    kernelFormat,
    release,
    version,
    sections,
    symbols,
    functions,
    config,
    configPath,
    systemMapPath: symbols.source === 'system.map' ? systemMapPath : null,
    header: u.header,
    notes,
  };
}

/** Prefix errors from a side file with its name, so the message names the right file. */
function withFile<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ImageError && !e.message.startsWith(path)) throw new ImageError(`${path}: ${e.message}`);
    throw e;
  }
}

function nmType(s: { kind: string; binding: string; sectionIndex: number }, elf: Elf): string {
  const sec = elf.sections[s.sectionIndex];
  let c = 'a';
  if (s.binding === 'weak') c = s.kind === 'object' ? 'v' : 'w';
  else if (sec) c = sec.nobits ? 'b' : sec.exec ? 't' : sec.write ? 'd' : sec.alloc ? 'r' : 'n';
  return s.binding === 'local' ? c : c.toUpperCase();
}

/** A System.map for another build: its _text must be where the ELF's text starts. */
function checkMapAgainstElf(list: KernelSymbol[], sections: Section[], path: string): void {
  const text = list.find((s) => s.name === '_text' || s.name === '_stext');
  const sec = sections.find((s) => s.name === '.text');
  if (text && sec && text.address !== sec.address && !(text.name === '_stext' && text.address > sec.address)) {
    fail(
      `${path}: ${text.name} is at 0x${text.address.toString(16)} but the image's .text starts at 0x${sec.address.toString(16)}: a System.map for another kernel`,
    );
  }
}
