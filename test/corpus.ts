// Where the real Debian kernels are when a session or CI fetched them
// (apt-get download + dpkg-deb -x into the cache, never into the repo).
// Tests that use them skip with a reason when they are absent.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../src/corpus/debian.js';

export { cacheDir };

/** First file under the cache's kernels/ whose path matches, or undefined. */
export function corpusFile(pattern: RegExp): string | undefined {
  const root = join(cacheDir(), 'kernels');
  if (!existsSync(root)) return undefined;
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (pattern.test(p)) return p;
    }
  }
  return undefined;
}
