// kzbench inspect IMAGE [--config FILE] [--system-map FILE] [--json]
import { backendVersions } from '../codecs/index.js';
import { libraryNote } from '../corpus/libraries.js';
import { openKernelImage } from '../image/index.js';
import { inspectSummary, type InspectSummary } from '../image/summary.js';
import { bytesText, table } from './format.js';

export interface InspectOptions {
  config?: string;
  systemMap?: string;
  json?: boolean;
}

export function inspectCommand(image: string, opts: InspectOptions): void {
  const img = openKernelImage(image, { configPath: opts.config, systemMapPath: opts.systemMap });
  const s = inspectSummary(img);
  const libs = libraryNote(img.release, img.payload?.algorithm, backendVersions());
  if (libs) s.notes = [...s.notes, libs];
  process.stdout.write(opts.json ? JSON.stringify(s, null, 2) + '\n' : renderInspect(s));
}

export function renderInspect(s: InspectSummary): string {
  const out: string[] = [];
  const kv = (k: string, v: string) => out.push(`${(k + ':').padEnd(14)} ${v}`);
  kv('file', s.file);
  kv('format', `${s.format} (${s.kernel_format === 'elf' ? 'ELF vmlinux' : 'raw Image'} inside)`);
  kv('arch', `${s.arch}, ${s.bits}-bit ${s.endian} endian`);
  if (s.release) kv('release', s.release);
  kv('file', bytesText(s.file_bytes));
  if (s.payload) {
    const p = s.payload;
    kv(
      'payload',
      `${p.algorithm} at offset ${p.offset}: ${bytesText(p.compressed_bytes)} compressed` +
        (p.stored_bytes !== p.compressed_bytes ? ` (+${p.stored_bytes - p.compressed_bytes} size trailer)` : '') +
        ` -> ${bytesText(p.decompressed_bytes)} (ratio ${(p.decompressed_bytes / p.compressed_bytes).toFixed(3)})`,
    );
    kv('stub', bytesText(s.stub_bytes) + (s.header.setup_bytes !== undefined ? ` (setup ${bytesText(Number(s.header.setup_bytes))})` : ''));
  } else kv('payload', 'none (uncompressed)');
  if (s.signature_bytes) kv('signature', bytesText(s.signature_bytes));
  kv('kernel', bytesText(s.kernel_bytes) + (s.trailing_bytes ? `, of which ${bytesText(s.trailing_bytes)} after the ELF (relocations)` : ''));
  if (s.config)
    kv(
      'config',
      `${s.config.path} (${s.config.arch ?? '?'} ${s.config.version ?? ''}, ${s.config.compression ? 'KERNEL_' + s.config.compression.toUpperCase() : 'no KERNEL_* choice'}${s.config.thumb2 ? ', THUMB2' : ''}${s.config.xip ? ', XIP' : ''})`,
    );
  kv(
    'symbols',
    `${s.symbols.source} (${s.symbols.detail}): ${s.symbols.count} symbols, ${s.symbols.text_count} text symbols covering ${bytesText(s.symbols.text_bytes)}`,
  );
  for (const n of s.notes) kv('note', n);
  if (s.sections.length) {
    out.push('', 'sections:');
    out.push(
      table(
        ['name', 'kind', 'address', 'offset', 'bytes'],
        s.sections.map((x) => [x.name, x.kind, x.address, x.offset === null ? '-' : String(x.offset), x.bytes.toLocaleString('en-US')]),
        [false, false, false, true, true],
      ),
    );
  }
  if (s.largest_functions.length) {
    out.push('', 'largest functions:');
    out.push(
      table(
        ['name', 'section', 'address', 'bytes'],
        s.largest_functions.map((f) => [f.name, f.section, f.address, f.bytes.toLocaleString('en-US')]),
        [false, false, false, true],
      ),
    );
  }
  return out.join('\n') + '\n';
}
