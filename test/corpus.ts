// Where the real Debian kernels are when a session or CI fetched them
// (apt-get download + dpkg-deb -x into the cache, never into the repo).
// Tests that use them skip with a reason when they are absent.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../src/corpus/debian.js';
import { filesUnder } from '../src/files.js';

export { cacheDir };

/** First file under the cache's kernels/ whose path matches, or undefined. */
export function corpusFile(pattern: RegExp): string | undefined {
  const root = join(cacheDir(), 'kernels');
  if (!existsSync(root)) return undefined;
  for (const e of filesUnder(root)) if (pattern.test(e.path)) return e.path;
  return undefined;
}

import { readFileSync } from 'node:fs';
import { openKernelImage, type KernelImage } from '../src/image/index.js';

/** The real Debian kernels the tests know, by short name. */
export const REAL_KERNELS = {
  amd64: /\/boot\/vmlinuz-[\d.]+-\d+-amd64$/,
  'cloud-amd64': /\/boot\/vmlinuz-[\d.]+-\d+-cloud-amd64$/,
  armhf: /\/boot\/vmlinuz-[\d.]+-\d+-armmp$/,
  arm64: /\/boot\/vmlinuz-[\d.]+-\d+-arm64$/,
  marvell: /\/boot\/vmlinuz-[\d.]+-\d+-marvell$/,
  // Debian 13's (kzbench corpus fetch debian13-...): the +deb13 in the name keeps them apart from Debian 12's.
  'debian13-amd64': /\/boot\/vmlinuz-[\d.]+\+deb13-amd64$/,
  'debian13-arm64': /\/boot\/vmlinuz-[\d.]+\+deb13-arm64$/,
  'debian13-armmp': /\/boot\/vmlinuz-[\d.]+\+deb13-armmp$/,
} as const;
export type RealKernelName = keyof typeof REAL_KERNELS;

export interface RealKernel {
  path: string;
  image: KernelImage;
  /** The stored payload as the distribution shipped it (stream + size trailer), or null. */
  shippedPayload: Uint8Array | null;
}

const opened = new Map<string, RealKernel>();

/** A real kernel from the cache, opened once per test process; undefined when absent. */
export function realKernel(name: RealKernelName): RealKernel | undefined {
  const path = corpusFile(REAL_KERNELS[name]);
  if (!path) return undefined;
  let k = opened.get(path);
  if (!k) {
    const image = openKernelImage(path);
    const file = readFileSync(path);
    const p = image.payload;
    k = { path, image, shippedPayload: p ? file.subarray(p.offset, p.offset + p.storedBytes) : null };
    opened.set(path, k);
  }
  return k;
}

/** The real System.map of a kernel from its -dbg package, when cached. */
export function realSystemMap(name: RealKernelName): string | undefined {
  const debian13 = /^debian13-(.+)$/.exec(name)?.[1];
  if (debian13) return corpusFile(new RegExp(`/usr/lib/debug/boot/System\\.map-[\\d.]+\\+deb13-${debian13}$`));
  const release = { amd64: '-amd64', 'cloud-amd64': '-cloud-amd64', armhf: '-armmp', arm64: '-arm64', marvell: '-marvell' }[name as 'amd64'];
  return corpusFile(new RegExp(`/usr/lib/debug/boot/System\\.map-[\\d.]+-\\d+${release}$`));
}

/** A fake command: an executable shell script NAME in BIN running BODY. */
export function fakeCommand(bin: string, name: string, body: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

/**
 * Shell for a fake apt-get/apt-cache: drops apt's -o and -q options, keeps
 * the private state's sources.list in SRC (Dir::Etc::SourceList) and the
 * other arguments as $@.
 */
export const APT_OPTIONS = `SRC=; ARGS=
while [ $# -gt 0 ]; do
  case "$1" in
    -o) case "$2" in Dir::Etc::SourceList=*) SRC="\${2#*=}";; esac; shift 2;;
    -q) shift;;
    *) ARGS="$ARGS $1"; shift;;
  esac
done
set -- $ARGS`;
