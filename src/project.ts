// Where this checkout is: the nearest ancestor of this module (src/ or
// dist/src/) holding kzbench's package.json. Data files (data/, corpora/),
// the codec addon and the version are found from here, whatever the cwd.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: { dir: string; version: string } | null | undefined;

function findRoot(): { dir: string; version: string } | null {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const p = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (p.name === 'kzbench') return (root = { dir, version: p.version ?? 'unknown' });
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) return (root = null);
    dir = up;
  }
}

/** The checkout's root directory, or null when this module is not inside one. */
export function projectRoot(): string | null {
  return findRoot()?.dir ?? null;
}

/** A path inside the checkout (relative to the cwd when no checkout is found). */
export function projectPath(...parts: string[]): string {
  return join(projectRoot() ?? process.cwd(), ...parts);
}

/** kzbench's version from its package.json. */
export function kzbenchVersion(): string {
  return findRoot()?.version ?? 'unknown';
}
