// Fetch the real Debian kernels the tests check against: every kernel of
// corpora/manifest.yaml (what `kzbench corpus fetch` does; Debian 12's and
// 13's, each from its own release through kzbench's private apt state), or
// the names given as arguments, plus the real System.map of the Debian 12
// cloud kernel from its -dbg package. A kernel that cannot be had is
// reported and skipped, so the rest still serve.
import { fetchDebugSystemMap } from '../src/corpus/debian.js';
import { corpusKernel, loadManifest } from '../src/corpus/manifest.js';

const all = loadManifest();
const names = process.argv.slice(2);
const unknown = names.filter((n) => !all.some((e) => e.name === n));
if (unknown.length) {
  console.error(`fetch-test-kernels: no corpus kernel named ${unknown.join(', ')}; known: ${all.map((e) => e.name).join(', ')}`);
  process.exit(2);
}
const entries = names.length ? all.filter((e) => names.includes(e.name)) : all;
let failures = 0;
for (const e of entries) {
  try {
    const k = corpusKernel(e, (s) => console.error(s));
    console.log(`${e.name} (${e.package}:${e.arch}) -> ${k.package} ${k.version} ${k.image} sha256 ${k.image_sha256}${k.note ? ` [${k.note}]` : ''}`);
    if (e.package === 'linux-image-cloud-amd64' && k.release === 'debian-12')
      console.log(`  real System.map: ${fetchDebugSystemMap(k, (s) => console.error(s))}`);
  } catch (err) {
    failures++;
    console.error(`fetch-test-kernels: ${e.name} (${e.package}:${e.arch}): ${(err as Error).message}`);
  }
}
process.exit(failures === entries.length ? 1 : 0);
