// XIP split (issue 5, part 3): what an execute-in-place kernel costs in flash
// and in RAM, from its sections, following the arm xipImage layout
// (arch/arm/kernel/vmlinux-xip.lds.S) as measured for stm32_defconfig in
// data/xip-stm32.csv (see data/stubs.md, "data/xip-stm32.csv"):
//
//   flash = text + rodata + ex_table/unwind + init kept in flash (init text,
//           init rodata, vectors) + the data load image (initial .data and
//           init data, copied to RAM at boot)
//   RAM   = data + init data (freed after boot) + bss
//
// No figure lives here: the sizes come from the kernel's sections, and the
// check against a real build reads data/xip-stm32.csv.

import { KzError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { parseCsvTable } from '../results/table.js';
import { z } from 'zod';
import { projectPath } from '../project.js';

/** The parts of an XIP kernel, named as in data/xip-stm32.csv. */
export const XIP_FLASH_PARTS = ['text', 'rodata', 'ex_table_unwind', 'init_rom', 'data_load_image'] as const;
export const XIP_RAM_PARTS = ['data', 'init_data', 'bss'] as const;
export type XipFlashPart = (typeof XIP_FLASH_PARTS)[number];
export type XipRamPart = (typeof XIP_RAM_PARTS)[number];
/** Where one section goes; `none` for sections not in the image (notes, debug). */
export type XipPlace = 'text' | 'rodata' | 'ex_table_unwind' | 'init_rom' | 'data' | 'init_data' | 'bss' | 'none';

/** What xip.ts needs of a section: KernelImage.sections and elfSections give it. */
export interface XipSectionInput {
  name: string;
  kind: string;
  /** Bytes in memory. */
  bytes: number;
  /** Bytes stored (0 for bss). */
  fileBytes: number;
}

export interface XipPrediction {
  flash: Record<XipFlashPart, number>;
  ram: Record<XipRamPart, number>;
  /** Sum of the flash parts: the xipImage's size. */
  flashBytes: number;
  /** data + init data + bss, alignment gaps not counted. */
  ramBytes: number;
  /** RAM still held after boot, when the init data is freed: data + bss. */
  ramAfterBootBytes: number;
  /** Which part each section went to. */
  placed: { name: string; place: XipPlace; bytes: number }[];
}

export class XipError extends KzError {
  override name = 'XipError';
}

const EX_TABLE_UNWIND = /^(__ex_table|\.ARM\.(exidx|extab|unwind_idx|unwind_tab))/;
/** Init sections whose contents are written at run time, so they live in RAM. */
const INIT_RAM = /^\.(init|exit)\.data|^\.data\.\.percpu|^\.init\.ramfs|^\.init\.bss/;

/** Where a section of an XIP kernel goes. */
export function xipPlace(s: XipSectionInput): XipPlace {
  if (s.bytes === 0) return 'none';
  if (EX_TABLE_UNWIND.test(s.name)) return 'ex_table_unwind';
  switch (s.kind) {
    case 'text':
      return 'text';
    case 'rodata':
      return 'rodata';
    case 'data':
      return 'data';
    case 'bss':
      return 'bss';
    case 'init':
      return INIT_RAM.test(s.name) ? 'init_data' : 'init_rom';
    case 'unknown':
      throw new XipError(`section ${s.name} (${s.bytes} bytes) is of unknown kind: its place in an XIP image cannot be told`);
    default:
      return 'none';
  }
}

/** Predict the flash and RAM of an XIP kernel from its sections. */
export function predictXip(sections: readonly XipSectionInput[]): XipPrediction {
  const flash: Record<XipFlashPart, number> = { text: 0, rodata: 0, ex_table_unwind: 0, init_rom: 0, data_load_image: 0 };
  const ram: Record<XipRamPart, number> = { data: 0, init_data: 0, bss: 0 };
  const placed: XipPrediction['placed'] = [];
  for (const s of sections) {
    const place = xipPlace(s);
    placed.push({ name: s.name, place, bytes: s.bytes });
    switch (place) {
      case 'text':
      case 'rodata':
      case 'ex_table_unwind':
      case 'init_rom':
        flash[place] += s.fileBytes;
        break;
      case 'data':
      case 'init_data':
        ram[place] += s.bytes;
        flash.data_load_image += s.fileBytes;
        break;
      case 'bss':
        ram.bss += s.bytes;
        break;
      case 'none':
        break;
    }
  }
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  return { flash, ram, flashBytes: sum(flash), ramBytes: sum(ram), ramAfterBootBytes: ram.data + ram.bss, placed };
}

// --- data/xip-stm32.csv: a measured xipImage ---------------------------------

export interface XipTableRow {
  region: 'flash' | 'ram';
  part: string;
  start: string;
  end: string;
  bytes: number;
  definition: string;
  image: string;
  imageBytes: number;
  kernelVersion: string;
  config: string;
  compiler: string;
  date: string;
  source: string;
  /** 1-based line in the file (header is line 1). */
  line: number;
}

const count = z
  .string()
  .regex(/^\d+$/, 'expected a whole number of bytes')
  .transform((s) => Number(s));
const nonEmpty = z.string().min(1, 'must not be empty');
const xipRowSchema = z.object({
  region: z.enum(['flash', 'ram']),
  part: nonEmpty,
  start: z.string(),
  end: z.string(),
  bytes: count,
  definition: nonEmpty,
  image: nonEmpty,
  image_bytes: count,
  kernel_version: nonEmpty,
  config: nonEmpty,
  compiler: nonEmpty,
  date: nonEmpty,
  source: nonEmpty,
});

export function defaultXipTablePath(): string {
  return projectPath('data', 'xip-stm32.csv');
}

/** Parse an XIP measurement table; errors name the line and the column. */
export function parseXipTable(csvText: string, where = 'xip-stm32.csv'): XipTableRow[] {
  return parseCsvTable(csvText, where, xipRowSchema, { trim: false }).map((d) => {
    const line = d.line;
    return {
      region: d.region,
      part: d.part,
      start: d.start,
      end: d.end,
      bytes: d.bytes,
      definition: d.definition,
      image: d.image,
      imageBytes: d.image_bytes,
      kernelVersion: d.kernel_version,
      config: d.config,
      compiler: d.compiler,
      date: d.date,
      source: d.source,
      line,
    };
  });
}

export function loadXipTable(path = defaultXipTablePath()): XipTableRow[] {
  return parseXipTable(readFileSync(path, 'utf8'), path);
}

/** The section a measured part stands for: a name and kind that xipPlace puts back in that part. */
const PART_SECTION: Record<XipFlashPart | XipRamPart, { name: string; kind: string } | null> = {
  text: { name: '.text', kind: 'text' },
  rodata: { name: '.rodata', kind: 'rodata' },
  ex_table_unwind: { name: '__ex_table+.ARM.unwind', kind: 'rodata' },
  init_rom: { name: '.init.text+.init.rodata', kind: 'init' },
  data_load_image: null, // the stored copy of data + init data, not a section of its own
  data: { name: '.data', kind: 'data' },
  init_data: { name: '.init.data', kind: 'init' },
  bss: { name: '.bss', kind: 'bss' },
};

/**
 * The sections a measured XIP table describes (one per part; the data load
 * image and the totals are left out, being what the model predicts).
 */
export function xipSectionsFromTable(rows: readonly XipTableRow[]): XipSectionInput[] {
  const out: XipSectionInput[] = [];
  for (const r of rows) {
    if (!(r.part in PART_SECTION)) continue; // totals
    const s = PART_SECTION[r.part as XipFlashPart | XipRamPart];
    if (!s) continue;
    out.push({ name: s.name, kind: s.kind, bytes: r.bytes, fileBytes: s.kind === 'bss' ? 0 : r.bytes });
  }
  return out;
}
