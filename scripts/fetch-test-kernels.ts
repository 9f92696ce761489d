// Fetch the real Debian 12 kernels the tests check against (issue 2), by
// package name into the cache: amd64, cloud-amd64 (+ its -dbg System.map),
// armhf armmp, arm64. Prints what it got; a package that cannot be had is
// reported and skipped, so the rest still serve.
import { fetchDebianKernel, fetchDebugSystemMap } from '../src/corpus/debian.js';

const wanted: [string, string][] = [
  ['linux-image-amd64', 'amd64'],
  ['linux-image-cloud-amd64', 'amd64'],
  ['linux-image-armmp', 'armhf'],
  ['linux-image-arm64', 'arm64'],
];
let failures = 0;
for (const [request, arch] of wanted) {
  try {
    const k = fetchDebianKernel(request, arch, (s) => console.error(s));
    console.log(`${request}:${arch} -> ${k.package} ${k.version} ${k.image} sha256 ${k.image_sha256}`);
    if (request === 'linux-image-cloud-amd64') console.log(`  real System.map: ${fetchDebugSystemMap(k, (s) => console.error(s))}`);
  } catch (e) {
    failures++;
    console.error(`fetch-test-kernels: ${request}:${arch}: ${(e as Error).message}`);
  }
}
process.exit(failures === wanted.length ? 1 : 0);
