// Fetch the real Debian 12 kernels the tests check against: every kernel of
// corpora/manifest.yaml (what `kzbench corpus fetch` does), plus the real
// System.map of the cloud kernel from its -dbg package. A kernel that cannot
// be had is reported and skipped, so the rest still serve.
import { fetchDebugSystemMap } from '../src/corpus/debian.js';
import { corpusKernel, loadManifest } from '../src/corpus/manifest.js';

const entries = loadManifest();
let failures = 0;
for (const e of entries) {
  try {
    const k = corpusKernel(e, (s) => console.error(s));
    console.log(`${e.name} (${e.package}:${e.arch}) -> ${k.package} ${k.version} ${k.image} sha256 ${k.image_sha256}${k.note ? ` [${k.note}]` : ''}`);
    if (e.package === 'linux-image-cloud-amd64') console.log(`  real System.map: ${fetchDebugSystemMap(k, (s) => console.error(s))}`);
  } catch (err) {
    failures++;
    console.error(`fetch-test-kernels: ${e.name} (${e.package}:${e.arch}): ${(err as Error).message}`);
  }
}
process.exit(failures === entries.length ? 1 : 0);
