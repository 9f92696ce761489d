// Where a function's code ends inside its extent when the symbols carry no
// size (kallsyms, System.map, or an st_size of 0): the trailing run of the
// bytes the arch's toolchain puts between functions is fill, not code.
// docs/cold.md says which patterns and why, with their sources.
//
// x86 (i386, x86_64): the linker fills .text gaps with int3
// (arch/x86/kernel/vmlinux.lds.S: `} :text = 0xcccccccc`); the assembler pads
// -falign-functions (CONFIG_FUNCTION_ALIGNMENT, Makefile) with the
// recommended multi-byte NOPs (Intel SDM vol. 2B, NOP: 0f 1f /0 with the
// modrm forms below, optionally prefixed by 66 and 2e); -mharden-sls=all
// (CONFIG_MITIGATION_SLS) puts an int3 after ret/jmp, never executed.
// Zero bytes are stripped only as a run of at least 4: the last instruction
// of a function is often a call or jmp whose rel32 ends in 1-3 zero bytes.
//
// arm64: the linker fills gaps with zeros (no fill in arch/arm64/kernel/
// vmlinux.lds.S), the assembler pads code alignment with NOP (d503201f);
// DYNAMIC_FTRACE_WITH_CALL_OPS (-fpatchable-function-entry=4,2,
// arch/arm64/Makefile) puts two NOPs before each function. Units are whole
// 4-byte words at 4-byte offsets from the function start. A64 instructions
// are little-endian whatever the data endianness.
//
// arm (32-bit): zero words and the ARM NOPs mov r0,r0 (e1a00000,
// arch/arm/include/asm/insn.h) and the v6K+ NOP (e320f000); a Thumb-2 kernel
// (CONFIG_THUMB2_KERNEL) is stripped in halfwords: 0000, bf00 (nop), 46c0
// (mov r8,r8). riscv: nop (addi x0,x0,0 = 00000013), c.nop (0001) and zero
// halfwords, stripped by decoding forward from the function start (the low
// two bits of each halfword give the instruction's length, RISC-V unprivileged
// ISA, "Expanded Instruction-Length Encoding"), so the zero upper half of a
// 4-byte instruction (an uncompressed ret is 00008067) is never taken for
// fill. s390: the linker fills .text with 0x0700 (arch/s390/kernel/
// vmlinux.lds.S has no fill; gas pads code alignment with nopr %r7 = 0707 and
// nop = 47000000, and bcr 0,0 = 0700), stripped in halfwords. mips: zero words
// (the MIPS nop is sll $0,$0,0 = 00000000). powerpc: zero words and nop
// (ori 0,0,0 = 60000000) in either byte order. Other arches: zero bytes only.
//
// Never more than extent - 1 bytes are stripped: every function keeps at
// least one byte of code.

export type FillArch = 'x86' | 'arm64' | 'arm' | 'arm-thumb2' | 'riscv' | 's390' | 'mips' | 'powerpc' | 'other';

export function fillArch(arch: string, thumb2 = false): FillArch {
  const a = arch.toLowerCase();
  if (/^(x86|x86_64|amd64|i[3-6]86)$/.test(a)) return 'x86';
  if (/^(arm64|aarch64)$/.test(a)) return 'arm64';
  if (/^arm/.test(a)) return thumb2 ? 'arm-thumb2' : 'arm';
  if (/^riscv/.test(a)) return 'riscv';
  if (/^s390/.test(a)) return 's390';
  if (/^mips/.test(a)) return 'mips';
  if (/^(powerpc|ppc)/.test(a)) return 'powerpc';
  return 'other';
}

/** Every x86 NOP encoding the assembler pads with, longest first. */
function x86Nops(): Uint8Array[] {
  const bodies = [
    [0x0f, 0x1f, 0x00],
    [0x0f, 0x1f, 0x40, 0x00],
    [0x0f, 0x1f, 0x44, 0x00, 0x00],
    [0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00],
    [0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
  ];
  const out: number[][] = [[0x90], [0x66, 0x90]];
  for (const b of bodies) {
    for (let p66 = 0; p66 <= 5; p66++) {
      for (const cs of [false, true]) {
        const seq = [...Array(p66).fill(0x66), ...(cs ? [0x2e] : []), ...b];
        if (seq.length <= 15) out.push(seq);
      }
    }
  }
  return out.sort((a, b) => b.length - a.length).map((s) => Uint8Array.from(s));
}

const X86_NOPS = x86Nops();
const le32 = (v: number) => Uint8Array.from([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
const le16 = (v: number) => Uint8Array.from([v & 0xff, v >>> 8]);

/** Units stripped as whole patterns, with the alignment (from the function start) each must sit at. */
const UNITS: Record<Exclude<FillArch, 'x86' | 'riscv'>, { align: number; patterns: Uint8Array[] }> = {
  arm64: { align: 4, patterns: [le32(0), le32(0xd503201f)] },
  arm: { align: 4, patterns: [le32(0), le32(0xe1a00000), le32(0xe320f000)] },
  'arm-thumb2': { align: 2, patterns: [le16(0), le16(0xbf00), le16(0x46c0)] },
  s390: { align: 2, patterns: [Uint8Array.of(0x47, 0, 0, 0), Uint8Array.of(0x07, 0x07), Uint8Array.of(0x07, 0x00)] },
  mips: { align: 4, patterns: [le32(0)] },
  powerpc: { align: 4, patterns: [le32(0), le32(0x60000000), Uint8Array.of(0x60, 0, 0, 0)] },
  other: { align: 1, patterns: [Uint8Array.of(0)] },
};

function endsWith(b: Uint8Array, end: number, p: Uint8Array): boolean {
  if (end < p.length) return false;
  for (let i = 0; i < p.length; i++) if (b[end - p.length + i] !== p[i]) return false;
  return true;
}

/**
 * Bytes of code in `bytes` (one function's extent): its length minus the
 * trailing fill, at least 1 (0 only for an empty extent).
 */
export function codeLength(bytes: Uint8Array, arch: FillArch): number {
  if (bytes.length === 0) return 0;
  let end = bytes.length;
  if (arch === 'x86') {
    outer: while (end > 1) {
      if (bytes[end - 1] === 0xcc) {
        end--;
        continue;
      }
      for (const p of X86_NOPS) {
        if (end - p.length >= 1 && endsWith(bytes, end, p)) {
          end -= p.length;
          continue outer;
        }
      }
      if (bytes[end - 1] === 0x00) {
        let z = end;
        while (z > 1 && bytes[z - 1] === 0x00) z--;
        if (end - z >= 4) {
          end = z;
          continue;
        }
      }
      break;
    }
    return end;
  }
  if (arch === 'riscv') return riscvCodeLength(bytes);
  const { align, patterns } = UNITS[arch];
  outer: while (end > 1) {
    for (const p of patterns) {
      const start = end - p.length;
      if (start >= 1 && start % align === 0 && endsWith(bytes, end, p)) {
        end = start;
        continue outer;
      }
    }
    break;
  }
  return end;
}

/** RISC-V padding instructions: c.nop, a zero halfword (illegal, the linker's fill) and nop. */
function riscvPadding(bytes: Uint8Array, at: number, len: number): boolean {
  const h = bytes[at]! | (bytes[at + 1]! << 8);
  if (len === 2) return h === 0x0001 || h === 0x0000;
  return h === 0x0013 && bytes[at + 2] === 0 && bytes[at + 3] === 0;
}

/** Decode instruction lengths from the start; code ends after the last non-padding instruction. */
function riscvCodeLength(bytes: Uint8Array): number {
  let end = 0;
  let at = 0;
  while (at + 2 <= bytes.length) {
    const len = (bytes[at]! & 3) === 3 ? 4 : 2;
    if (at + len > bytes.length) break;
    if (!riscvPadding(bytes, at, len) || at === 0) end = at + len;
    at += len;
  }
  // a truncated last instruction right after code is code too
  if (at < bytes.length && end === at) return bytes.length;
  return Math.max(end, 1);
}
