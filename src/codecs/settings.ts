// Setting syntax: "ALGO" or "ALGO:TOKEN,TOKEN,...". A token is a bare level
// ("9", "9e"), a flag ("size_append", "legacy", "long", ...) or key=value.
// A bare algorithm means that tool's own default (gzip -6, bzip2 -9, xz -6,
// lzma -6, lz4 -1 frame, zstd -3, lzop -3). The canonical key spells every
// field that decides the bytes (fields equal to a preset's value are left
// out), and parseSetting(key) gives the same setting back. What each
// algorithm accepts is its codec row's parse().
import { CodecError } from './errors.js';
import { tokens, type CodecSetting } from './spec.js';
import { codecRow, codecRows } from './table.js';

export { findTool, formatBytes, parseBytes, type CodecSetting, type ParamValue } from './spec.js';
export { availableBcj, BCJ_FILTERS, LZMA_MFS, LZMA_MODES, presetFields, XZ_CHECKS, type LzmaFields } from './lzma.js';
export { LZ4_BLOCK_IDS } from './lz4.js';
export { lzoMethod } from './lzo.js';

export function parseSetting(spec: string): CodecSetting {
  if (typeof spec !== 'string') throw new CodecError('a codec setting must be a string like "xz:9e" or "zstd:19"');
  const colon = spec.indexOf(':');
  const name = (colon < 0 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  const rest = colon < 0 ? '' : spec.slice(colon + 1);
  const row = codecRow(name);
  if (!row)
    throw new CodecError(
      `unknown algorithm "${name}"; allowed: ${codecRows()
        .map((r) => r.name)
        .join(', ')}`,
    );
  return row.parse(tokens(rest));
}
