// Recover the kernel's symbol table from its own kallsyms tables.
//
// scripts/kallsyms.c emits these tables into .rodata with no header; each
// label is aligned to the word size (".balign 8" on 64-bit, 4 on 32-bit):
//
//   5.x .. 6.1   [addresses | offsets, relative_base] num_syms names markers
//                token_table token_index
//   6.2 .. 6.3   [addresses | offsets, relative_base] num_syms names markers
//                seqs_of_names token_table token_index
//   6.4+         num_syms names markers token_table token_index
//                [addresses | offsets, relative_base] seqs_of_names
//
//   kallsyms_num_syms      .long n
//   kallsyms_names         n entries: length (ULEB128, 1 or 2 bytes since
//                          6.1; 1 byte before) then that many token indexes
//   kallsyms_markers       ceil(n/256) .long: offset in names of every 256th
//   kallsyms_seqs_of_names n entries, 3 bytes big-endian each (a .long each
//                          in the first 6.2 development versions)
//   kallsyms_token_table   256 NUL-terminated strings
//   kallsyms_token_index   256 .short offsets into token_table
//   kallsyms_addresses     n words (absolute)
//   kallsyms_offsets       n .long, plus kallsyms_relative_base (a word):
//                          address = base + (u32)off, or with
//                          --absolute-percpu: off >= 0 ? off : base - 1 - off
//
// The 6.2 order also appears in 6.1.y stable kernels that carry the
// seqs_of_names backport (Debian 12's 6.1.176/6.1.192 do), so the era in
// KallsymsResult.layout names the table order, not the kernel version.
// Since 6.4 the order is the one of commit 404bad70fcf7 ("scripts/kallsyms:
// change the output order"). Not handled: the place-relative offsets with
// no relative_base proposed in 2026 ("kallsyms: Get rid of kallsyms
// relative base"), which need the tables' own virtual address.
//
// Layout is found, not told: we anchor on token_table + token_index (256
// NUL-terminated strings whose one-character entries sit in their own
// slots, and 256 offsets that match them); markers end right before
// token_table (or, 6.2-6.3, before seqs_of_names, whose size gives n);
// names end right before markers, num_syms right before names, and every
// marker must agree with the name lengths; the address table is then
// tried after token_index (6.4+, with seqs_of_names after it as a checked
// permutation) and before num_syms, relative (plain or absolute_percpu,
// told apart by the first offset being 0 or the first negative one -1)
// before absolute, and must be ascending (98% of neighbours at least).
// Offsets are taken as word-aligned from the start of `image` (true of an
// ELF file's .rodata and of raw Images).
//
// The steps live in kallsyms/: tokens.ts (1), markers.ts and name-tables.ts
// (2), names.ts (3), addresses.ts and rela.ts (4), layout.ts (together).

import { ByteView } from './bytes.js';
import { findTokenTables } from './kallsyms/tokens.js';
import { locate } from './kallsyms/layout.js';
import { KallsymsError, type KallsymsHints, type KallsymsResult } from './kallsyms/types.js';

export { KallsymsError, type KallsymsHints, type KallsymsResult, type KallsymsSymbol } from './kallsyms/types.js';

/**
 * Find and decode the kallsyms tables in a decompressed kernel (ELF vmlinux
 * contents or a raw Image). Returns null when no token table is found at
 * all; throws KallsymsError when tables are found but are inconsistent.
 */
export function readKallsyms(image: Uint8Array, hints: KallsymsHints): KallsymsResult | null {
  if (hints.wordSize !== 4 && hints.wordSize !== 8) {
    throw new KallsymsError(`word size must be 4 or 8, not ${String(hints.wordSize)}`);
  }
  const r = new ByteView(image, hints.littleEndian, hints.wordSize);
  const anchors = findTokenTables(r);
  if (anchors.length === 0) return null;
  // Each anchor is a full 256-entry token table; more than a few is not a kernel.
  if (anchors.length > 16) anchors.length = 16;
  let firstError: KallsymsError | undefined;
  for (const tt of anchors) {
    try {
      return locate(r, tt);
    } catch (e) {
      if (e instanceof KallsymsError) {
        firstError ??= e;
        continue;
      }
      // A bug, not bad input: still report it as a kallsyms failure, labelled.
      const msg = e instanceof Error ? e.message : String(e);
      firstError ??= new KallsymsError(`internal error while reading kallsyms: ${msg}`);
    }
  }
  throw firstError!;
}
