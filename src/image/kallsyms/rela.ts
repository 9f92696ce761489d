// arm64 Images leave kallsyms_relative_base to a relocation: recover its
// value from .rela.dyn.

import { ByteView } from '../bytes.js';

/**
 * arm64 Images are linked -pie with relocations left unapplied: the word at
 * kallsyms_relative_base is 0 in the file and its value is the addend of an
 * R_AARCH64_RELATIVE entry in .rela.dyn whose r_offset is the word's link
 * address. The image's link address B is unknown: a candidate B comes from
 * each RELATIVE entry whose r_offset - baseOff is page-aligned, and the true
 * B is the one for which the targets of the other entries are also zero
 * words in the file (they are all unapplied).
 */
export function relaAddend(r: ByteView, baseOff: number): bigint | undefined {
  if (r.wordSize !== 8 || !r.littleEndian) return undefined;
  const b = r.bytes;
  const len = BigInt(b.length);
  const entries: number[] = [];
  for (let o = 0; o + 24 <= b.length; o += 8) {
    // r_info == R_AARCH64_RELATIVE (1027), symbol 0
    if (b[o + 8] !== 0x03 || b[o + 9] !== 0x04) continue;
    if (r.u32At(o + 8) !== 0x403 || r.u32At(o + 12) !== 0) continue;
    entries.push(o);
  }
  if (entries.length === 0) return undefined;
  const sample: bigint[] = [];
  const step = Math.max(1, Math.floor(entries.length / 64));
  for (let i = 0; i < entries.length; i += step) sample.push(r.wordAt(entries[i])!);
  const answers = new Set<bigint>();
  const bo = BigInt(baseOff);
  for (const o of entries) {
    if (((r.u32At(o) - baseOff) & 0xfff) !== 0) continue; // r_offset - baseOff is not page-aligned
    const rOff = r.wordAt(o)!;
    const imgBase = rOff - bo;
    if (imgBase < 0n || (imgBase & 0xfffn) !== 0n) continue;
    const addend = r.wordAt(o + 16)!;
    if (addend < imgBase || addend >= imgBase + len) continue;
    // Stray byte patterns can look like entries: ask that most, not all, fit.
    let good = 0;
    for (const s of sample) {
      const t = s - imgBase;
      if (t >= 0n && t + 8n <= len && r.wordAt(Number(t)) === 0n) good++;
    }
    if (good >= 0.9 * sample.length) answers.add(addend);
  }
  return answers.size === 1 ? [...answers][0] : undefined;
}
