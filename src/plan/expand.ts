// A suite to cells: images (corpus kernels fetched or taken from the cache,
// or files) x units x settings, in a deterministic order: images as listed,
// then unit kinds as listed, units in image order, settings entries as
// listed, sweeps with levels outermost. A setting key met twice for the same
// unit runs once.
import { isAbsolute, resolve } from 'node:path';
import { kernelAlgorithms, parseSetting } from '../codecs/index.js';
import { resolveSpec } from '../run/settings.js';
import type { Algorithm } from '../codecs/types.js';
import { sha256File } from '../files.js';
import { corpusKernel, findEntry } from '../corpus/manifest.js';
import { openKernelImage, type KernelImage } from '../image/index.js';
import { cellId } from '../results/schema.js';
import type { Cell } from '../run/index.js';
import { units, type UnitKind } from '../units/index.js';
import { SuiteError, type LoadedSuite } from '../suite/load.js';
import { messageAbout, type Problem } from '../located.js';
import { KzError } from '../errors.js';
import { cellLimitText, DEFAULT_MAX_CELLS } from '../suite/schema.js';
import { archBcj, sweepSpecs, type SettingEntry } from '../suite/schema.js';
import { coldRequestText, SUITE_COLD_NAMING } from '../suite/cold.js';
import { checkColdRequest, type ColdChoices, type ColdRequestText } from '../units/cold.js';
import { planColdRequest } from './cold.js';
import { formatRules, xipDataLoadImage, XIP_DATA_UNIT } from '../model/index.js';

/** What a loaded suite's `cold:` block chose (the schema has refused whatever checkColdRequest refuses). */
function coldChoices(text: ColdRequestText): ColdChoices {
  const { choices, problems } = checkColdRequest(text, SUITE_COLD_NAMING);
  if (problems.length) throw new Error(`cold: ${problems[0]!.message}`);
  return choices;
}

/** The cold cells of one image (units: [..., cold]): the cold planner's, as `kzbench cold` builds them. */
export function coldCells(text: ColdRequestText, choices: ColdChoices, img: SuiteImage, settings: readonly string[]): Cell[] {
  const files = { trace: text.trace, holdout: text.holdout, layoutTrace: text.layoutTrace };
  return planColdRequest({ image: { name: img.ref, path: img.path, sha256: img.sha256, image: img.image }, files, choices, settings }).plan.cells;
}

export interface SuiteImage {
  /** As the suite names it (corpus name or path). */
  ref: string;
  path: string;
  sha256: string;
  /** "corpus debian12-amd64: linux-image-6.1.0-56-amd64 6.1.192-2 amd64" or "file". */
  source: string;
  corpus?: { name: string; package: string; version: string; arch: string; deb_sha256: string };
  config?: string;
  image: KernelImage;
}

/** Open (and for corpus names, fetch or take from the cache) every image of a suite. */
export function resolveImages(s: LoadedSuite, log: (s: string) => void = () => {}): SuiteImage[] {
  const out: SuiteImage[] = [];
  for (const entry of s.suite.images) {
    const ref = entry.ref ?? entry.corpus ?? entry.path!;
    const isCorpus = entry.corpus !== undefined || (entry.ref !== undefined && s.corpus.some((c) => c.name === entry.ref));
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(s.baseDir, p));
    if (isCorpus) {
      const c = findEntry(s.corpus, ref);
      const k = corpusKernel(c, log);
      log(
        `${ref}: ${k.package} ${k.version} (${k.arch}, ${k.outcome === 'fetched' ? 'fetched now' : k.outcome === 'cached' ? 'cached' : 'older cached version'}) ${k.image}`,
      );
      const image = openKernelImage(k.image, { configPath: k.config ?? undefined });
      out.push({
        ref,
        path: k.image,
        sha256: k.image_sha256,
        source: `corpus ${ref}: ${k.package} ${k.version} ${k.arch}`,
        corpus: { name: ref, package: k.package, version: k.version, arch: k.arch, deb_sha256: k.deb_sha256 },
        ...(k.config ? { config: k.config } : {}),
        image,
      });
    } else {
      const path = abs(ref);
      const config = entry.config ? abs(entry.config) : undefined;
      const image = openKernelImage(path, { ...(config ? { configPath: config } : {}), ...(entry.system_map ? { systemMapPath: abs(entry.system_map) } : {}) });
      out.push({ ref, path, sha256: sha256File(path), source: 'file', ...(config ? { config } : {}), image });
    }
  }
  return out;
}

/** The canonical setting keys one entry gives for an image. */
export function entrySettings(e: SettingEntry, img: KernelImage): string[] {
  if (e.profile !== undefined) {
    const algs: Algorithm[] = e.algorithms ?? kernelAlgorithms(img.arch);
    return algs.map((a) => resolveSpec(a, img, e.profile!));
  }
  const specs =
    e.setting !== undefined ? (Array.isArray(e.setting) ? e.setting : [e.setting as string]) : sweepSpecs(e, archBcj(img.arch, img.config?.thumb2 ?? false));
  return specs.map((spec) => parseSetting(spec).key);
}

type SuiteUnitKind = UnitKind | 'cold' | typeof XIP_DATA_UNIT;

interface KindContext {
  cold: { text: ColdRequestText; choices: ColdChoices; variants: number } | null;
}

/**
 * Each unit kind's cells for one image and its settings, and how many there
 * will be (counted before any is built). Every kind of unit a command
 * measures is planned here and measured by runCells.
 */
const UNIT_PLANNERS: Record<
  SuiteUnitKind,
  { count(img: SuiteImage, settings: number, ctx: KindContext): number; cells(img: SuiteImage, settings: readonly string[], ctx: KindContext): Cell[] }
> = {
  whole: imageUnits('whole'),
  sections: imageUnits('sections'),
  // the cold partition's blocks, with the block settings coldSetting makes of each setting
  cold: {
    count: (_img, n, ctx) => n * (ctx.cold?.variants ?? 0),
    cells: (img, settings, ctx) => coldCells(ctx.cold!.text, ctx.cold!.choices, img, settings),
  },
  // XIP_DEFLATED_DATA: the data load image, with the kernel's own setting for it (whatever the suite's settings)
  [XIP_DATA_UNIT]: {
    count: () => 1,
    cells: (img) => {
      const bytes = xipDataLoadImage(img.image);
      if (!bytes) return [];
      const unit = { name: XIP_DATA_UNIT, kind: XIP_DATA_UNIT, offset: 0, bytes, image: { path: img.path, sha256: img.sha256 } };
      return [{ unit, setting: formatRules().xipDataSetting }];
    },
  },
};

function imageUnits(kind: UnitKind): (typeof UNIT_PLANNERS)['whole'] {
  return {
    count: (img, n) => n * units(img.image, kind).length,
    cells: (img, settings) =>
      units(img.image, kind).flatMap((u) =>
        settings.map((setting) => ({
          unit: { name: u.name, bytes: u.bytes, kind: u.kind, offset: u.offset, image: { path: img.path, sha256: img.sha256 } },
          setting,
        })),
      ),
  };
}

export interface ExpandedCell extends Cell {
  id: string;
  /** Position in the suite's full cell order. */
  index: number;
}

export interface Expansion {
  cells: ExpandedCell[];
  /** Settings per image, for messages. */
  perImage: { ref: string; units: number; settings: string[] }[];
}

/**
 * Every cell of a suite, deterministic; settings an image cannot take are
 * SuiteErrors located at their entry. Linear in the cells (sets, not list
 * searches), and refused with a KzError naming the count as soon as the
 * cells pass the limit (the suite's, or OPTIONS.maxCells), before they fill
 * memory.
 */
export function expandSuite(s: LoadedSuite, images: readonly SuiteImage[], options: { maxCells?: number } = {}): Expansion {
  const maxCells = options.maxCells ?? s.maxCells ?? DEFAULT_MAX_CELLS;
  const problems: Problem[] = [];
  const cells: ExpandedCell[] = [];
  const seen = new Set<string>();
  const perImage: Expansion['perImage'] = [];
  const tooMany = (count: number, atLeast = false) => new KzError(cellLimitText(`the suite expands to${atLeast ? ' at least' : ''}`, count, maxCells), s.file);
  const add = (cell: Cell, id: string) => {
    if (seen.has(id)) return;
    // the count before building says the cells fit; this holds to it whatever a plan adds
    if (cells.length >= maxCells) throw tooMany(cells.length + 1, true);
    seen.add(id);
    cells.push({ ...cell, id, index: cells.length });
  };
  const cold = s.suite.cold ? coldRequestText(s.suite.cold, s.baseDir) : null;
  const choices = cold ? coldChoices(cold) : null;
  const coldVariants = choices ? choices.layouts.length * choices.blockSizes.length : 0;

  // Each image's settings, without repeats; every setting is at least one cell.
  const settingsOf = images.map((img) => {
    const keys = new Set<string>();
    for (const [si, e] of s.suite.settings.entries()) {
      // one entry is at most the limit (the schema counts every sweep)
      let list: string[] = [];
      try {
        list = entrySettings(e, img.image);
      } catch (err) {
        problems.push(s.doc.problem(['settings', si], `for image ${img.ref} (${img.image.arch}): ${messageAbout(err, '')}`));
      }
      for (const k of list) keys.add(k);
      if (keys.size > maxCells) throw new KzError(cellLimitText(`${img.ref}'s settings alone make at least`, keys.size, maxCells), s.file);
    }
    return [...keys];
  });

  const kinds = s.suite.units as SuiteUnitKind[];
  const ctx: KindContext = { cold: cold && choices ? { text: cold, choices, variants: coldVariants } : null };

  // The count before any cell is built: images (each file once) x units x settings.
  let planned = 0;
  const counted = new Set<string>();
  for (const [ii, img] of images.entries()) {
    if (counted.has(img.sha256)) continue;
    counted.add(img.sha256);
    for (const kind of kinds) planned += UNIT_PLANNERS[kind].count(img, settingsOf[ii]!.length, ctx);
  }
  if (planned > maxCells) throw tooMany(planned);

  for (const [ii, img] of images.entries()) {
    let unitCount = 0;
    for (const kind of kinds) {
      let list: Cell[] = [];
      try {
        list = UNIT_PLANNERS[kind].cells(img, settingsOf[ii]!, ctx);
        if (list.length === 0 && kind !== 'cold') problems.push(s.doc.problem(['images', ii], `${img.ref}: no ${kind} units to compress`));
      } catch (err) {
        problems.push(s.doc.problem([kind === 'cold' ? 'cold' : 'units'], `for image ${img.ref}: ${messageAbout(err, '')}`));
      }
      unitCount += new Set(list.map((x) => x.unit.name)).size;
      for (const cell of list) add(cell, cellId(img.sha256, cell.unit.name, cell.setting));
    }
    perImage.push({ ref: img.ref, units: unitCount, settings: settingsOf[ii]! });
  }
  if (problems.length) throw new SuiteError(s.file, problems);
  return { cells, perImage };
}
