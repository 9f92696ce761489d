// lz4: the kernel's legacy frame (`lz4 -l`: 8 MiB independent blocks, no end
// mark) or the normal LZ4 frame, from liblz4.
import { defineCodec, levelOf } from './descriptor.js';
import { CodecError } from './errors.js';
import { addon, call } from './native.js';
import { bool, flag, formatBytes, intIn, levelToken, MiB, num, numberParam, parseBytes, unknown, type CodecSetting, type ParamValue } from './spec.js';

/** LZ4F block size IDs. */
export const LZ4_BLOCK_IDS: Record<string, number> = { '64KiB': 4, '256KiB': 5, '1MiB': 6, '4MiB': 7 };

const LZ4F_MAGIC = [0x04, 0x22, 0x4d, 0x18];

export const lz4 = defineCodec({
  name: 'lz4',
  levels: [1, 12],
  // the legacy frame's magic (lz4 -l), what the kernel build writes
  magic: [0x02, 0x21, 0x4c, 0x18],
  backends: [{ name: 'liblz4', version: () => addon().lz4Version }],

  parse(ts): CodecSetting {
    const allowed =
      'a level 1-12 (3+ is HC; or level=N), fast=N (acceleration, frame only), frame=legacy|lz4f (or the flag legacy), ' +
      'block=64KiB|256KiB|1MiB|4MiB, linked, content_size, no_checksum, block_checksum, favor_dec_speed (lz4f only), size_append';
    let level = 1;
    let fast = 0;
    let frame: 'legacy' | 'lz4f' = 'lz4f';
    let block = '4MiB';
    let linked = false;
    let contentSize = false;
    let checksum = true;
    let blockChecksum = false;
    let favor = false;
    let sizeAppend = false;
    for (const t of ts) {
      const v = t.value;
      const l = levelToken(t, 1, 12);
      if (l !== undefined) level = l;
      else if (t.name === 'fast' && v !== undefined) fast = intIn('fast', v, 1, 65537);
      else if (t.name === 'legacy') frame = bool('legacy', v) ? 'legacy' : 'lz4f';
      else if (t.name === 'frame' && v !== undefined) {
        if (v !== 'legacy' && v !== 'lz4f') throw new CodecError(`lz4: frame=${v}: allowed: legacy (kernel, lz4 -l), lz4f (lz4 frame)`);
        frame = v;
      } else if (t.name === 'block' && v !== undefined) {
        const b = formatBytes(parseBytes('block', v));
        if (!(b in LZ4_BLOCK_IDS)) throw new CodecError(`lz4: block=${v}: allowed: ${Object.keys(LZ4_BLOCK_IDS).join(', ')}`);
        block = b;
      } else if (t.name === 'linked') linked = bool('linked', v);
      else if (t.name === 'content_size') contentSize = bool('content_size', v);
      else if (t.name === 'no_checksum') checksum = !bool('no_checksum', v);
      else if (t.name === 'checksum') checksum = bool('checksum', v);
      else if (t.name === 'block_checksum') blockChecksum = bool('block_checksum', v);
      else if (t.name === 'favor_dec_speed') favor = bool('favor_dec_speed', v);
      else if (t.name === 'size_append') sizeAppend = bool('size_append', v);
      else unknown('lz4', t, allowed);
    }
    if (fast) level = 1;
    if (frame === 'legacy') {
      const bad = [
        fast && 'fast',
        block !== '4MiB' && 'block',
        linked && 'linked',
        contentSize && 'content_size',
        !checksum && 'no_checksum',
        blockChecksum && 'block_checksum',
        favor && 'favor_dec_speed',
      ].filter(Boolean);
      if (bad.length)
        throw new CodecError(
          `lz4: ${bad.join(', ')} cannot be used with frame=legacy (8 MiB independent blocks, no checksums; lz4 ignores --favor-decSpeed there)`,
        );
    }
    const parts = [fast ? `fast=${fast}` : `level=${level}`, `frame=${frame}`];
    if (frame === 'lz4f') {
      if (block !== '4MiB') parts.push(`block=${block}`);
      if (linked) parts.push('linked');
      if (contentSize) parts.push('content_size');
      if (!checksum) parts.push('no_checksum');
      if (blockChecksum) parts.push('block_checksum');
      if (favor) parts.push('favor_dec_speed');
    }
    if (sizeAppend) parts.push('size_append');
    const params: Record<string, ParamValue> = { level: fast ? -fast : level, frame };
    if (frame === 'lz4f') Object.assign(params, { block, linked, content_size: contentSize, checksum, block_checksum: blockChecksum, favor_dec_speed: favor });
    params.size_append = sizeAppend;
    return { algorithm: 'lz4', key: `lz4:${parts.join(',')}`, params, backend: 'liblz4' };
  },

  encode(s, input) {
    const p = s.params;
    const a = addon();
    if (p.frame === 'legacy') return call(() => a.lz4CompressLegacy(input, num(p, 'level')));
    return call(() =>
      a.lz4CompressFrame(
        input,
        num(p, 'level'),
        LZ4_BLOCK_IDS[String(p.block)],
        flag(p, 'linked'),
        flag(p, 'checksum'),
        flag(p, 'block_checksum'),
        flag(p, 'content_size'),
        flag(p, 'favor_dec_speed'),
      ),
    );
  },
  decodeInto: (s, stream, out) => call(() => addon().lz4DecompressInto(stream, out, s.params.frame === 'legacy')),
  decodeStream(input, maxOutput) {
    // The kernel writes the legacy frame; an LZ4F frame is read too.
    const frame = input.length >= 4 && LZ4F_MAGIC.every((b, i) => input[i] === b);
    return call(() => addon().lz4DecodeStream(input, maxOutput, !frame));
  },

  kernel: {
    arches: ['x86', 'arm', 'arm64', 'riscv', 's390', 'mips'],
    spec: (t) => `lz4:9,frame=legacy${t.sizeAppend}`,
    decompressor: 'lib/decompress_unlz4.c',
    tool: {
      tool: 'lz4',
      toolPackage: 'lz4',
      library: 'liblz4',
      libPackage: 'liblz4-1',
      args: (p) => [...(p.frame === 'legacy' ? ['-l'] : []), `-${levelOf(p)}`, '-c'],
    },
  },

  // HC state is ~256 KiB; a legacy-frame writer may stage 8 MiB blocks.
  stateBytes: () => 2 * 8 * MiB + 1 * MiB,
  msPerMB: (p) => ((numberParam(p, 'level') ?? 1) >= 3 ? 50 : 5),
});
