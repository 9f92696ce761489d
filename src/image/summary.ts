// The JSON form of `kzbench inspect`: a contract for scripts (field names in
// issue 2 must not be renamed; new fields may be added).
import { hex } from './bytes.js';
import type { KernelImage } from './index.js';

export interface InspectSummary {
  file: string;
  format: string;
  arch: string;
  bits: number;
  endian: 'little' | 'big';
  release: string | null;
  version: string | null;
  file_bytes: number;
  payload: {
    algorithm: string;
    offset: number;
    compressed_bytes: number;
    stored_bytes: number;
    size_trailer: number | null;
    decompressed_bytes: number;
  } | null;
  stub_bytes: number;
  signature_bytes: number;
  kernel_format: 'elf' | 'raw';
  kernel_bytes: number;
  trailing_bytes: number;
  sections: { name: string; address: string; offset: number | null; bytes: number; file_bytes: number; kind: string }[];
  /** text_bytes: code of the functions (extents); hole_bytes: the alignment padding after them. */
  symbols: { source: string; detail: string; count: number; text_count: number; text_bytes: number; hole_bytes: number };
  /** bytes: the function's code; hole_bytes: padding up to the next symbol. */
  largest_functions: { name: string; address: string; bytes: number; hole_bytes: number; offset: number | null; section: string }[];
  config: {
    path: string;
    arch: string | null;
    version: string | null;
    compression: string | null;
    thumb2: boolean;
    xip: boolean;
    big_endian: boolean;
    page_offset: string | null;
  } | null;
  system_map: string | null;
  header: Record<string, unknown>;
  notes: string[];
}

function jsonable(v: unknown): unknown {
  if (typeof v === 'bigint') return hex(v);
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonable(x)]));
  return v;
}

export function inspectSummary(img: KernelImage, top = 10): InspectSummary {
  const largest = [...img.functions].sort((a, b) => b.extent - a.extent).slice(0, top);
  return {
    file: img.path,
    format: img.format,
    arch: img.arch,
    bits: img.bits,
    endian: img.littleEndian ? 'little' : 'big',
    release: img.release,
    version: img.version,
    file_bytes: img.fileBytes,
    payload: img.payload && {
      algorithm: img.payload.algorithm,
      offset: img.payload.offset,
      compressed_bytes: img.payload.compressedBytes,
      stored_bytes: img.payload.storedBytes,
      size_trailer: img.payload.sizeTrailer,
      decompressed_bytes: img.payload.decompressedBytes,
    },
    stub_bytes: img.stubBytes,
    signature_bytes: img.signatureBytes,
    kernel_format: img.kernelFormat,
    kernel_bytes: img.kernel.length,
    trailing_bytes: img.trailingBytes,
    sections: img.sections.map((s) => ({ name: s.name, address: hex(s.address), offset: s.offset, bytes: s.bytes, file_bytes: s.fileBytes, kind: s.kind })),
    symbols: {
      source: img.symbols.source,
      detail: img.symbols.detail,
      count: img.symbols.list.length,
      text_count: img.functions.length,
      text_bytes: img.functions.reduce((n, f) => n + f.extent, 0),
      hole_bytes: img.functions.reduce((n, f) => n + (f.hole ?? 0), 0),
    },
    largest_functions: largest.map((f) => ({
      name: f.name,
      address: hex(f.address),
      bytes: f.extent,
      hole_bytes: f.hole ?? 0,
      offset: f.offset,
      section: f.section,
    })),
    config: img.config && {
      path: img.configPath!,
      arch: img.config.arch,
      version: img.config.version,
      compression: img.config.compression,
      thumb2: img.config.thumb2,
      xip: img.config.xip,
      big_endian: img.config.bigEndian,
      page_offset: img.config.pageOffset === null ? null : hex(img.config.pageOffset),
    },
    system_map: img.systemMapPath,
    header: jsonable(img.header) as Record<string, unknown>,
    notes: img.notes,
  };
}
