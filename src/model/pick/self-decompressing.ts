// Strategy self-decompressing: bzImage / zImage / vmlinuz.efi. Flash = the
// predicted image (setup + stub + payload, src/model/image-size.ts); RAM =
// what the decompression needs (x86: the header's init_size rule; arm: the
// Image, the zImage, the decompressor's stack and heap; EFI zboot: image +
// kernel); boot = read the image + decompress.

import { formatProblem, kernelDecompressorFormats } from '../formats.js';
import { predictImageBytes } from '../image-size.js';
import { rule } from '../rules.js';
import { blankCandidate, bootTime } from './candidate.js';
import { boardDecompressMs } from './decompress-time.js';
import { chooseStub, minExtractOffset, type StubChoice } from './stub-choice.js';
import type { Candidate, KernelFacts, MeasuredPayload, PickStrategy, StrategyContext } from './types.js';

export const selfDecompressing: PickStrategy = {
  name: 'self-decompressing',
  forPayload({ board, facts, measured, stubs }: StrategyContext, m: MeasuredPayload): Candidate[] {
    const c = blankCandidate(board, 'self-decompressing', m.algorithm, m.setting);
    const stub = chooseStub(facts, stubs, m.algorithm, m.payloadBytes);
    const unreadable =
      typeof stub !== 'string' && (stub.parts.kind === 'bzImage' || stub.parts.kind === 'zImage')
        ? formatProblem(m.setting, kernelDecompressorFormats(), "the kernel's boot decompressor")
        : null;
    if (typeof stub === 'string') {
      c.reason = stub;
    } else if (unreadable) {
      c.reason = `${m.algorithm}: ${unreadable}`;
    } else {
      const pred = predictImageBytes(stub.parts);
      c.flash_bytes = pred.imageBytes;
      c.basis = `${pred.rule}; stub: ${stub.basis}`;
      c.ram_bytes = selfDecompressingRam(facts, stub, m, pred.imageBytes);
      bootTime(c, board, pred.imageBytes, boardDecompressMs(board, m.algorithm, m, measured));
    }
    return [c];
  },
  forBoard: () => [],
};

/** RAM a self-decompressing image needs while it starts. */
function selfDecompressingRam(facts: KernelFacts, stub: StubChoice, m: MeasuredPayload, imageBytes: number): number | null {
  switch (stub.parts.kind) {
    case 'bzImage': {
      // The image's own payload: its header says what it needs.
      const own = facts.own;
      if (own && own.initSize !== null && own.algorithm === m.algorithm && own.parts.payloadBytes === m.payloadBytes && own.outputBytes === m.outputBytes)
        return own.initSize;
      // arch/x86/boot/header.S: init_size = max(ZO_INIT_SIZE, VO_INIT_SIZE),
      // ZO_INIT_SIZE = (ZO__end - startup_32) + min_extract_offset.
      if (stub.zoOverhead === null) return null;
      const zo = stub.zoOverhead + m.payloadBytes + minExtractOffset(m.outputBytes, m.payloadBytes);
      return Math.max(zo, facts.kernelMemoryBytes);
    }
    case 'zImage':
      // arch/arm/boot/compressed/head.S: the decompressed Image and the
      // zImage (moved above it when they overlap) with its stack and heap.
      return Math.max(m.outputBytes + imageBytes + rule('arm_stack_bytes') + rule('arm_malloc_bytes'), facts.kernelMemoryBytes);
    case 'vmlinuz.efi':
      return imageBytes + Math.max(m.outputBytes, facts.kernelMemoryBytes);
    case 'Image':
      return m.payloadBytes + Math.max(m.outputBytes, facts.kernelMemoryBytes);
  }
}
