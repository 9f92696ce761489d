// The corpus: manifest (packages, never binaries), the cache, fetching with
// apt (faked here: a PATH of scripts standing in for apt-cache, apt-get and
// dpkg, and a .deb built with the real dpkg-deb), offline fallback to the cache.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cachedKernels, fetchDebianKernel, metapackageOf } from '../src/corpus/debian.js';
import { sha256File } from '../src/files.js';
import { defaultManifestPath, loadManifest } from '../src/corpus/manifest.js';
import { YamlFileError } from '../src/located.js';
import { bin, fixtureDir } from './suite-fixture.js';

const haveDpkgDeb = spawnSync('dpkg-deb', ['--version']).status === 0;

describe('corpus manifest', () => {
  it('names at least four kernels on three architectures, by package only', () => {
    const entries = loadManifest();
    assert.ok(entries.length >= 4);
    assert.ok(new Set(entries.map((e) => e.arch)).size >= 3);
    assert.deepEqual(entries.map((e) => `${e.package}:${e.arch}`).slice(0, 4), [
      'linux-image-amd64:amd64',
      'linux-image-cloud-amd64:amd64',
      'linux-image-armmp:armhf',
      'linux-image-arm64:arm64',
    ]);
    const dir = join(defaultManifestPath(), '..');
    for (const f of readdirSync(dir)) {
      assert.match(f, /\.(ya?ml|md)$/, `corpora/ holds manifests only, not ${f}`);
      assert.ok(statSync(join(dir, f)).size < 100_000);
    }
  });

  it('a manifest with mistakes: each with its location', () => {
    const d = mkdtempSync(join(tmpdir(), 'kzbench-manifest-'));
    const p = join(d, 'm.yaml');
    writeFileSync(
      p,
      'kernels:\n  ok:\n    package: linux-image-amd64\n    arch: amd64\n  Bad Name:\n    package: linux-image-arm64\n    arch: arm64\n  x:\n    arch: armhf\n    pakage: y\n',
    );
    try {
      loadManifest(p);
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof YamlFileError);
      assert.deepEqual(
        e.problems.map((x) => `${x.line}:${x.col} ${x.path}`),
        ['5:3 kernels.Bad Name', '9:5 kernels.x.package', '10:5 kernels.x.pakage'],
      );
    }
  });

  it('metapackage of an image package', () => {
    assert.equal(metapackageOf('linux-image-6.1.0-56-cloud-amd64'), 'linux-image-cloud-amd64');
    assert.equal(metapackageOf('linux-image-6.1.0-50-armmp'), 'linux-image-armmp');
  });
});

describe('corpus cache and fetch (apt faked)', () => {
  const root = mkdtempSync(join(tmpdir(), 'kzbench-corpus-'));
  const cache = join(root, 'cache');
  const fakeBin = join(root, 'bin');
  const tree = join(root, 'tree');
  const saved = { PATH: process.env.PATH, KZBENCH_CACHE: process.env.KZBENCH_CACHE, FAKE_APT: process.env.FAKE_APT };
  const { image } = fixtureDir('corpus');

  before(() => {
    mkdirSync(fakeBin, { recursive: true });
    mkdirSync(join(tree, 'boot'), { recursive: true });
    mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
    copyFileSync(image, join(tree, 'boot', 'vmlinuz-6.1.0-99-amd64'));
    writeFileSync(join(tree, 'boot', 'config-6.1.0-99-amd64'), 'CONFIG_X86_64=y\n');
    writeFileSync(
      join(tree, 'DEBIAN', 'control'),
      'Package: linux-image-6.1.0-99-amd64\nVersion: 6.1.999-1\nArchitecture: amd64\nMaintainer: test <t@example.org>\nDescription: test kernel\n',
    );
    const script = (name: string, body: string) => {
      writeFileSync(join(fakeBin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(fakeBin, name), 0o755);
    };
    // FAKE_APT=online: apt resolves and downloads; resolve-only: resolves, download fails; offline: nothing resolves.
    script('dpkg', 'if [ "$1" = --print-architecture ]; then echo amd64; exit 0; fi; echo "fake dpkg: $*" >&2; exit 1');
    script(
      'apt-cache',
      `[ "$FAKE_APT" = offline ] && exit 0
case "$3" in
  linux-image-amd64:amd64) printf 'Package: linux-image-amd64\\nVersion: 6.1.999-1\\nDepends: linux-image-6.1.0-99-amd64 (= 6.1.999-1)\\n' ;;
  linux-image-6.1.0-99-amd64:amd64) printf 'Package: linux-image-6.1.0-99-amd64\\nVersion: 6.1.999-1\\n' ;;
esac`,
    );
    script(
      'apt-get',
      `if [ "$1" = update ]; then echo "W: Failed to fetch http://deb.debian.org/debian-security/dists/bookworm-security/main/binary-armhf/Packages.xz  File has unexpected size (1 != 2)"; echo "E: Some index files failed to download." >&2; exit 100; fi
if [ "$1" = download ] && [ "$FAKE_APT" = online ]; then exec dpkg-deb --build "${tree}" linux-image-6.1.0-99-amd64_6.1.999-1_amd64.deb >/dev/null; fi
echo "E: Failed to fetch http://deb.debian.org/...  Temporary failure resolving 'deb.debian.org'" >&2; exit 100`,
    );
    process.env.PATH = `${fakeBin}:${process.env.PATH}`;
    process.env.KZBENCH_CACHE = cache;
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('offline with an empty cache: says what apt said', { skip: !haveDpkgDeb && 'dpkg-deb not installed' }, () => {
    process.env.FAKE_APT = 'offline';
    assert.throws(() => fetchDebianKernel('linux-image-amd64', 'amd64'), /apt knows no package linux-image-amd64:amd64/);
  });

  it(
    'fetches: resolves the version, downloads, extracts /boot, records version and sha256; then it is cached',
    { skip: !haveDpkgDeb && 'dpkg-deb not installed' },
    () => {
      process.env.FAKE_APT = 'online';
      const lines: string[] = [];
      const k = fetchDebianKernel('linux-image-amd64', 'amd64', (s) => lines.push(s));
      assert.equal(k.outcome, 'fetched');
      assert.equal(k.package, 'linux-image-6.1.0-99-amd64');
      assert.equal(k.version, '6.1.999-1');
      assert.equal(k.image_sha256, sha256File(image));
      assert.ok(readFileSync(k.image).equals(readFileSync(image)));
      assert.ok(k.config && existsSync(k.config));
      assert.equal(k.deb_sha256, sha256File(k.deb));
      assert.ok(lines.some((l) => /apt-get download/.test(l)) && lines.some((l) => /dpkg-deb -x/.test(l)), lines.join('\n'));
      const meta = JSON.parse(readFileSync(join(cache, 'kernels', 'linux-image-6.1.0-99-amd64_6.1.999-1_amd64', 'kzbench.json'), 'utf8'));
      assert.equal(meta.version, '6.1.999-1');
      assert.equal(fetchDebianKernel('linux-image-amd64', 'amd64').outcome, 'cached');
    },
  );

  it('offline or download failing: the cached kernel serves, and the reason is said', { skip: !haveDpkgDeb && 'dpkg-deb not installed' }, () => {
    for (const mode of ['offline', 'resolve-only']) {
      process.env.FAKE_APT = mode;
      const lines: string[] = [];
      const k = fetchDebianKernel('linux-image-amd64', 'amd64', (s) => lines.push(s));
      if (mode === 'offline') {
        assert.equal(k.outcome, 'stale-cache');
        assert.match(k.note!, /using the cached linux-image-6\.1\.0-99-amd64 6\.1\.999-1/);
        assert.ok(
          lines.some((l) => /apt-get update had problems/.test(l)),
          lines.join('\n'),
        );
        assert.ok(
          lines.some((l) => /unexpected size/.test(l)),
          lines.join('\n'),
        );
      } else assert.equal(k.outcome, 'cached'); // resolves to what is cached: no download needed
    }
  });

  it('adopts a cache directory extracted by hand (no kzbench.json)', () => {
    const d = join(cache, 'kernels', 'linux-image-6.1.0-7-armmp_6.1.20-2_armhf', 'boot');
    mkdirSync(d, { recursive: true });
    copyFileSync(image, join(d, 'vmlinuz-6.1.0-7-armmp'));
    const k = cachedKernels().find((x) => x.package === 'linux-image-6.1.0-7-armmp');
    assert.ok(k);
    assert.equal(k.request, 'linux-image-armmp');
    assert.equal(k.arch, 'armhf');
    assert.equal(k.version, '6.1.20-2');
    assert.equal(k.image_sha256, sha256File(image));
    assert.ok(existsSync(join(d, '..', 'kzbench.json')));
  });

  it('kzbench corpus list and fetch', { skip: !haveDpkgDeb && 'dpkg-deb not installed' }, () => {
    const env = { ...process.env, FAKE_APT: 'offline' };
    const list = spawnSync(process.execPath, [bin, 'corpus', 'list'], { encoding: 'utf8', env });
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /debian12-amd64 +linux-image-amd64 +amd64 +linux-image-6\.1\.0-99-amd64 6\.1\.999-1/);
    assert.match(list.stdout, /debian12-cloud-amd64 .*not cached: kzbench corpus fetch debian12-cloud-amd64/);
    const json = JSON.parse(spawnSync(process.execPath, [bin, 'corpus', 'list', '--json'], { encoding: 'utf8', env }).stdout);
    assert.equal(json.manifest[0].kernel.version, '6.1.999-1');
    const unknown = spawnSync(process.execPath, [bin, 'corpus', 'fetch', 'nosuch'], { encoding: 'utf8', env });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no corpus kernel named "nosuch"; known: debian12-amd64/);
    const fetch = spawnSync(process.execPath, [bin, 'corpus', 'fetch', 'debian12-amd64', 'debian12-cloud-amd64'], { encoding: 'utf8', env });
    assert.equal(fetch.status, 1, fetch.stderr);
    assert.match(fetch.stdout, /debian12-amd64: linux-image-6\.1\.0-99-amd64 6\.1\.999-1 amd64 \(could not get the current version; older cached one kept\)/);
    assert.match(fetch.stdout, /debian12-cloud-amd64: FAILED: apt knows no package linux-image-cloud-amd64:amd64/);
  });
});
