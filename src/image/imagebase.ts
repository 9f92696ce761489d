// Recover a raw kernel Image's base address (the virtual address of its
// byte 0, i.e. _text) from the Image itself, with no section table.
//
// kallsyms gives symbol addresses, but distribution kernels are built
// without CONFIG_KALLSYMS_ALL, so _text itself is not among them (only the
// text symbols are, _stext included, and _stext is not byte 0: 0x10000 into
// an arm64 Image, 0x2f8000 into Debian's armhf one). The exported-symbol
// table ties symbol addresses to name strings that are both in the Image:
//
//   __ksymtab entry (include/linux/export.h up to 6.4, export-internal.h
//   since; 5.4+ add the namespace field, older ones have two fields):
//
//   CONFIG_HAVE_ARCH_PREL32_RELOCATIONS (arm64, x86_64, riscv, ppc64, ...):
//     { int32 value_offset; int32 name_offset; int32 namespace_offset; }
//     each relative to the field's own address, entries 4-aligned.
//   otherwise (32-bit ARM, ...):
//     { unsigned long value; const char *name; [const char *namespace;] }
//     absolute, entries word-aligned.
//
//   The name points at "S\0" in __ksymtab_strings, which always follows a
//   NUL (the previous string's terminator; since 6.5 each name is followed
//   by its namespace string, "" when none).
//
// PREL32: for a word-aligned offset E, the name field at E+4 points at file
// offset E+4+name_offset, whatever the base; when that is a NUL-preceded
// string equal to a kallsyms name S, the value field says S is at file
// offset E+value_offset, so base = address(S) - (E + value_offset).
//
// Absolute: a word v equal to the address of a kallsyms symbol S, followed
// by a word n: when the entry is real, n is the virtual address of the
// string "S\0", so base = n - o for o the file offset of that string.
//
// Each entry votes for one base (one per candidate string offset in the
// absolute layout); the winner needs MIN_VOTES votes, half the entries that
// voted at all, RUNNER_UP times the votes of any other base, and must place
// the kallsyms text markers (_stext, _etext, ...) inside the Image.
// Everything else returns null: the base is exact or absent. Entries are
// taken at word alignment from the start of `image` (true of a raw Image,
// whose base is page-aligned, and of an ELF file's load segments).
//
// Speed: the Image is not scanned word by word. The first 24 bytes of every
// BLOCK-byte block are probed (two entries at least, whatever their size
// and phase); blocks where an entry checks out are scanned in full, and so
// are their neighbours while they hold entries too (a flood fill), which
// covers the contiguous __ksymtab/__ksymtab_gpl and little else. Only the
// absolute layout then searches the Image for the names of a few entries
// (the longest, among those whose name pointers cluster where
// __ksymtab_strings must be) to get candidate bases, and checks every
// entry against each.
//
// The pieces live in imagebase/: scan.ts (probe and flood), prel32.ts,
// pairs.ts and absolute.ts (the two layouts), vote.ts (the decision).

import { scanAbsolute } from './imagebase/absolute.js';
import { scanPrel32 } from './imagebase/prel32.js';
import type { ImageBase, ImageBaseHints, Symbols } from './imagebase/types.js';
import { decide, uniqueNames, type Tally } from './imagebase/vote.js';

export { MIN_VOTES, type ImageBase, type ImageBaseHints } from './imagebase/types.js';

/**
 * The virtual address of image[0], found from the exported-symbol table
 * (__ksymtab + __ksymtab_strings) and the kallsyms `symbols`; null when the
 * image does not determine it beyond doubt. Never throws on bad input.
 */
export function findImageBase(image: Uint8Array, symbols: Symbols, hints: ImageBaseHints): ImageBase | null {
  const ws = hints.wordSize;
  if ((ws !== 4 && ws !== 8) || image.length < 16 || !symbols.length) return null;
  const good = symbols.filter((s) => typeof s.address === 'bigint' && typeof s.name === 'string' && s.name.length > 0);
  const le = hints.littleEndian;
  let addrOf: Map<string, bigint> | undefined;
  const names = (): Map<string, bigint> => (addrOf ??= uniqueNames(good));
  const tries: [string, () => Tally][] = [
    ['PREL32', () => scanPrel32(image, names(), le)],
    ['absolute', () => scanAbsolute(image, good, ws, le)],
  ];
  // 32-bit kernels mostly lack PREL32 relocations; 64-bit ones mostly have them.
  if (ws === 4) tries.reverse();
  for (const [what, scan] of tries) {
    const r = decide(scan(), image, good, ws, what);
    if (r) return r;
  }
  return null;
}
