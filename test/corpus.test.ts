// The corpus: manifest (packages, never binaries), the cache, fetching with
// apt (faked here: a PATH of scripts standing in for apt-cache, apt-get and
// dpkg, and a .deb built with the real dpkg-deb), offline fallback to the cache.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APT_OPTIONS, fakeCommand } from './corpus.js';
import { after, before, describe, it } from 'node:test';
import { cachedKernel, cachedKernels, fetchDebianKernel, metapackageOf, resolvePackage } from '../src/corpus/debian.js';
import { AptState, findRelease } from '../src/corpus/apt.js';
import { compareDebianVersions } from '../src/corpus/common.js';
import { sha256File } from '../src/files.js';
import { defaultManifestPath, loadManifest } from '../src/corpus/manifest.js';
import { YamlFileError } from '../src/located.js';
import { bin, fixtureDir } from './suite-fixture.js';

const D12 = { release: 'debian-12' };
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

  it('Debian version order', () => {
    const ordered = ['1.0~rc1', '1.0', '1.0-1', '1.0a', '1.5.7+dfsg-1', '1.5.7+dfsg-1+deb13u1', '6.12.99-1', '6.12.118-1', '1:0.1'];
    for (let i = 0; i + 1 < ordered.length; i++) {
      assert.ok(compareDebianVersions(ordered[i]!, ordered[i + 1]!) < 0, `${ordered[i]} < ${ordered[i + 1]}`);
      assert.ok(compareDebianVersions(ordered[i + 1]!, ordered[i]!) > 0, `${ordered[i + 1]} > ${ordered[i]}`);
    }
    assert.equal(compareDebianVersions('6.1.192-3', '6.1.192-3'), 0);
    assert.ok(compareDebianVersions('1.0~', '1.0') < 0);
  });

  it('entries pin a release and, when asked, a version; a release kzbench does not know is an error at its line', () => {
    const d = mkdtempSync(join(tmpdir(), 'kzbench-manifest-'));
    const p = join(d, 'm.yaml');
    writeFileSync(p, 'kernels:\n  a:\n    distribution: debian-13\n    package: linux-image-amd64\n    arch: amd64\n    version: 6.12.118-1\n');
    assert.deepEqual(loadManifest(p)[0], { name: 'a', distribution: 'debian-13', package: 'linux-image-amd64', arch: 'amd64', version: '6.12.118-1' });
    for (const [text, where, message] of [
      ['    distribution: debian-99\n', '3:19 kernels.a.distribution', /unknown Debian release "debian-99"/],
      ['    distribution: trixie\n', '3:19 kernels.a.distribution', /expected a Debian release such as debian-13/],
      ['    distribution: debian-13\n    version: latest\n', '4:14 kernels.a.version', /expected a Debian package version/],
    ] as const) {
      writeFileSync(p, `kernels:\n  a:\n${text}    package: linux-image-amd64\n    arch: amd64\n`);
      try {
        loadManifest(p);
        assert.fail('accepted');
      } catch (e) {
        assert.ok(e instanceof YamlFileError, String(e));
        assert.equal(`${e.problems[0]!.line}:${e.problems[0]!.col} ${e.problems[0]!.path}`, where);
        assert.match(e.problems[0]!.message, message);
      }
    }
    assert.ok(
      loadManifest().every((e) => e.distribution),
      'every entry of corpora/manifest.yaml names its release',
    );
    assert.ok(loadManifest().some((e) => e.distribution === 'debian-13'));
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
  const aptLog = join(root, 'apt.log');
  const saved = { PATH: process.env.PATH, KZBENCH_CACHE: process.env.KZBENCH_CACHE, FAKE_APT: process.env.FAKE_APT };
  const { image } = fixtureDir('corpus');

  before(() => {
    mkdirSync(fakeBin, { recursive: true });
    // Two kernel packages: one of Debian 12 (bookworm), one of Debian 13 (trixie).
    const debTree = (dir: string, pkg: string, version: string, release: string) => {
      mkdirSync(join(dir, 'boot'), { recursive: true });
      mkdirSync(join(dir, 'DEBIAN'), { recursive: true });
      copyFileSync(image, join(dir, 'boot', `vmlinuz-${release}`));
      writeFileSync(join(dir, 'boot', `config-${release}`), 'CONFIG_X86_64=y\n');
      writeFileSync(
        join(dir, 'DEBIAN', 'control'),
        `Package: ${pkg}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: test <t@example.org>\nDescription: test kernel\n`,
      );
    };
    debTree(tree, 'linux-image-6.1.0-99-amd64', '6.1.999-1', '6.1.0-99-amd64');
    debTree(`${tree}13`, 'linux-image-6.12.999+deb13-amd64', '6.12.999-1', '6.12.999+deb13-amd64');
    const script = (name: string, body: string) => fakeCommand(fakeBin, name, body);
    // Each fake logs its arguments (FAKE_LOG), strips apt's -o options and
    // serves the release its private sources.list names (Dir::Etc::SourceList).
    const prelude = `echo "$(basename "$0") $*" >> "${aptLog}"
${APT_OPTIONS}
REL=none; [ -n "$SRC" ] && grep -q ' trixie ' "$SRC" && REL=trixie; [ -n "$SRC" ] && grep -q ' bookworm ' "$SRC" && REL=bookworm`;
    // FAKE_APT=online: apt resolves and downloads; resolve-only: resolves, download fails; offline: nothing resolves.
    script('dpkg', `echo "dpkg $*" >> "${aptLog}"; if [ "$1" = --print-architecture ]; then echo amd64; exit 0; fi; echo "fake dpkg: $*" >&2; exit 1`);
    script(
      'apt-cache',
      `${prelude}
[ "$FAKE_APT" = offline ] && exit 0
case "$REL $1 $2" in
  "bookworm madison linux-image-amd64") printf 'linux-image-amd64 | 6.1.999-1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\\nlinux-image-amd64 | 6.1.998-1 | http://deb.debian.org/debian bookworm/main amd64 Packages\\n' ;;
  "bookworm madison linux-image-6.1.0-99-amd64") printf 'linux-image-6.1.0-99-amd64 | 6.1.999-1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\\n' ;;
  "bookworm madison linux-image-6.1.0-98-amd64") printf 'linux-image-6.1.0-98-amd64 | 6.1.998-1 | http://deb.debian.org/debian bookworm/main amd64 Packages\\n' ;;
  "bookworm show linux-image-amd64=6.1.999-1") printf 'Package: linux-image-amd64\\nVersion: 6.1.999-1\\nDepends: linux-image-6.1.0-99-amd64 (= 6.1.999-1)\\n' ;;
  "bookworm show linux-image-amd64=6.1.998-1") printf 'Package: linux-image-amd64\\nVersion: 6.1.998-1\\nDepends: linux-image-6.1.0-98-amd64 (= 6.1.998-1)\\n' ;;
  "trixie madison linux-image-amd64") printf 'linux-image-amd64 | 6.12.999-1 | http://deb.debian.org/debian trixie/main amd64 Packages\\n' ;;
  "trixie madison linux-image-6.12.999+deb13-amd64") printf 'linux-image-6.12.999+deb13-amd64 | 6.12.999-1 | http://deb.debian.org/debian trixie/main amd64 Packages\\n' ;;
  "trixie show linux-image-amd64=6.12.999-1") printf 'Package: linux-image-amd64\\nVersion: 6.12.999-1\\nDepends: linux-image-6.12.999+deb13-amd64 (= 6.12.999-1)\\n' ;;
esac`,
    );
    script(
      'apt-get',
      `${prelude}
if [ "$1" = update ]; then
  mkdir -p "$(dirname "$SRC")/state/lists" && : > "$(dirname "$SRC")/state/lists/fake_\${REL}_main_binary-amd64_Packages"
  echo "W: Failed to fetch http://deb.debian.org/debian-security/dists/bookworm-security/main/binary-armhf/Packages.xz  File has unexpected size (1 != 2)"; echo "E: Some index files failed to download." >&2; exit 100; fi
if [ "$1" = download ] && [ "$FAKE_APT" = online ]; then
  case "$REL $2" in
    "bookworm linux-image-6.1.0-99-amd64=6.1.999-1") exec dpkg-deb --build "${tree}" linux-image-6.1.0-99-amd64_6.1.999-1_amd64.deb >/dev/null ;;
    "trixie linux-image-6.12.999+deb13-amd64=6.12.999-1") exec dpkg-deb --build "${tree}13" linux-image-6.12.999+deb13-amd64_6.12.999-1_amd64.deb >/dev/null ;;
  esac
  echo "E: Version '\${2#*=}' for '\${2%=*}' was not found" >&2; exit 100
fi
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
    const lines: string[] = [];
    assert.throws(
      () => fetchDebianKernel('linux-image-amd64', 'amd64', (s) => lines.push(s), D12),
      /apt knows no package linux-image-amd64:amd64 in debian-12 \(bookworm\) amd64/,
    );
    // The private lists were fetched first, and an index that failed is said, not fatal.
    assert.ok(
      lines.some((l) => /apt-get update \(kzbench's private bookworm amd64 state/.test(l)),
      lines.join('\n'),
    );
    assert.ok(lines.some((l) => /apt-get update had problems/.test(l)) && lines.some((l) => /unexpected size/.test(l)), lines.join('\n'));
  });

  it(
    'fetches: resolves the version, downloads, extracts /boot, records version and sha256; then it is cached',
    { skip: !haveDpkgDeb && 'dpkg-deb not installed' },
    () => {
      process.env.FAKE_APT = 'online';
      const lines: string[] = [];
      const k = fetchDebianKernel('linux-image-amd64', 'amd64', (s) => lines.push(s), D12);
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
      assert.equal(fetchDebianKernel('linux-image-amd64', 'amd64', undefined, D12).outcome, 'cached');
    },
  );

  it('offline or download failing: the cached kernel serves, and the reason is said', { skip: !haveDpkgDeb && 'dpkg-deb not installed' }, () => {
    for (const mode of ['offline', 'resolve-only']) {
      process.env.FAKE_APT = mode;
      const lines: string[] = [];
      const k = fetchDebianKernel('linux-image-amd64', 'amd64', (s) => lines.push(s), D12);
      if (mode === 'offline') {
        assert.equal(k.outcome, 'stale-cache');
        assert.match(k.note!, /using the cached linux-image-6\.1\.0-99-amd64 6\.1\.999-1/);
      } else assert.equal(k.outcome, 'cached'); // resolves to what is cached: no download needed
    }
  });

  it(
    'pinned to its release: Debian 13 resolves in trixie only, and never falls back to the cached Debian 12 kernel',
    { skip: !haveDpkgDeb && 'dpkg-deb not installed' },
    () => {
      const D13 = { release: 'debian-13' };
      process.env.FAKE_APT = 'offline';
      assert.ok(cachedKernel('linux-image-amd64', 'amd64', D12), 'the Debian 12 kernel is cached by the tests above');
      assert.throws(
        () => fetchDebianKernel('linux-image-amd64', 'amd64', undefined, D13),
        /apt knows no package linux-image-amd64:amd64 in debian-13 \(trixie\) amd64/,
      );
      process.env.FAKE_APT = 'online';
      const k = fetchDebianKernel('linux-image-amd64', 'amd64', undefined, D13);
      assert.equal(k.outcome, 'fetched');
      assert.equal(k.package, 'linux-image-6.12.999+deb13-amd64');
      assert.equal(k.version, '6.12.999-1');
      assert.equal(k.release, 'debian-13');
      assert.equal(k.suite, 'trixie');
      const meta = JSON.parse(readFileSync(join(cache, 'kernels', 'linux-image-6.12.999+deb13-amd64_6.12.999-1_amd64', 'kzbench.json'), 'utf8'));
      assert.deepEqual([meta.release, meta.suite, meta.deb_sha256], ['debian-13', 'trixie', sha256File(k.deb)]);
      // Offline, each release gets its own kernel from the cache.
      process.env.FAKE_APT = 'offline';
      assert.equal(fetchDebianKernel('linux-image-amd64', 'amd64', undefined, D13).package, 'linux-image-6.12.999+deb13-amd64');
      assert.equal(fetchDebianKernel('linux-image-amd64', 'amd64', undefined, D12).package, 'linux-image-6.1.0-99-amd64');
      assert.equal(cachedKernel('linux-image-amd64', 'amd64', D12)?.release, 'debian-12');
    },
  );

  it('pinned to an exact version: taken when the release serves it, refused saying what it has otherwise', () => {
    process.env.FAKE_APT = 'online';
    assert.deepEqual(resolvePackage('linux-image-amd64', 'amd64', undefined, { release: 'debian-12', version: '6.1.998-1' }), {
      package: 'linux-image-6.1.0-98-amd64',
      version: '6.1.998-1',
      release: 'debian-12',
      suite: 'bookworm',
    });
    assert.equal(resolvePackage('linux-image-amd64', 'amd64', undefined, D12).version, '6.1.999-1', 'the newest when no version is pinned');
    assert.throws(
      () => resolvePackage('linux-image-amd64', 'amd64', undefined, { release: 'bookworm', version: '6.1.997-1' }),
      /linux-image-amd64:amd64 6\.1\.997-1 is not in debian-12 \(bookworm\) amd64: it has 6\.1\.999-1 \(bookworm-security\), 6\.1\.998-1 \(bookworm\)/,
    );
    assert.throws(() => resolvePackage('linux-image-amd64', 'mipsel', undefined, { release: 'debian-13' }), /debian-13 \(trixie\) has no mipsel architecture/);
    assert.throws(
      () => resolvePackage('linux-image-amd64', 'amd64', undefined, { release: 'debian-99' }),
      /unknown Debian release "debian-99"; known: debian-12 \(bookworm\), debian-13 \(trixie\)/,
    );
  });

  it("apt runs only in kzbench's private state: never the system's sources, status or architectures", () => {
    const calls = readFileSync(aptLog, 'utf8').trim().split('\n');
    const apt = calls.filter((l) => /^apt-(get|cache) /.test(l));
    assert.ok(apt.length > 5, calls.join('\n'));
    for (const l of apt) {
      assert.ok(l.includes(`Dir::Etc::SourceList=${join(cache, 'apt')}/`), l);
      assert.ok(l.includes(`Dir::State::status=${join(cache, 'apt')}/`), l);
      assert.match(l, /APT::Architectures=\w+ /);
    }
    assert.ok(!calls.some((l) => /add-architecture/.test(l)), 'dpkg --add-architecture was run');
    const list = readFileSync(join(cache, 'apt', 'trixie', 'amd64', 'sources.list'), 'utf8');
    assert.match(list, /^deb \[signed-by=\/usr\/share\/keyrings\/debian-archive-keyring\.gpg\] \S+\/debian trixie main$/m);
    assert.match(list, /^deb \[signed-by=\S+\] \S+\/debian-security trixie-security main$/m);
    assert.doesNotMatch(list, /bookworm/);
    assert.equal(readFileSync(join(cache, 'apt', 'trixie', 'amd64', 'state', 'status'), 'utf8'), '', 'an empty dpkg status');
  });

  it('the lists are fetched when missing or past the Valid-Until of their own InRelease', () => {
    const s = new AptState(findRelease('debian-13'), 'arm64', join(root, 'stale'));
    s.prepare();
    assert.equal(s.stale(), true, 'no lists yet');
    const lists = join(s.dir, 'state', 'lists');
    writeFileSync(join(lists, 'm_dists_trixie_main_binary-arm64_Packages.lz4'), '');
    writeFileSync(join(lists, 'm_dists_trixie-security_InRelease'), 'Origin: Debian\nValid-Until: Sat, 12 Dec 2026 03:33:30 UTC\n');
    assert.equal(s.stale(Date.parse('2026-12-07T00:00:00Z')), false);
    assert.equal(s.stale(Date.parse('2026-12-13T00:00:00Z')), true);
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
