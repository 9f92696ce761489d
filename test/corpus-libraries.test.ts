// Library versions as data: a release's tool and library fetched by package
// name (apt faked: scripts on PATH, .debs built with the real dpkg-deb), the
// kernel build's command lines, data/libraries.csv rows, and what
// `corpus reproduce` concludes. With KZBENCH_SLOW=1: Debian 13's amd64
// kernel fetched for real and its zstd payload reproduced byte for byte by
// trixie's own zstd and libzstd.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decompress, kernelProfile, parseSetting } from '../src/codecs/index.js';
import { findEntry, corpusKernel, loadManifest } from '../src/corpus/manifest.js';
import { builtByRelease, kernelToolArgs, libraryNote, recordLibraries, releaseTool, runReleaseTool, TOOL_PACKAGES } from '../src/corpus/libraries.js';
import { hostRelease } from '../src/corpus/apt.js';
import { reproduce, systemCompressor, type Compressor } from '../src/corpus/reproduce.js';
import { bin } from './suite-fixture.js';

const haveDpkgDeb = spawnSync('dpkg-deb', ['--version']).status === 0;
const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const SLOW = process.env.KZBENCH_SLOW === '1';
/** The real fetches record their rows in a file of the test's own, not the repository's data/libraries.csv. */
const slowEnv = { ...process.env, KZBENCH_LIBRARIES_CSV: join(mkdtempSync(join(tmpdir(), 'kzbench-libs-slow-')), 'libraries.csv') };

/** Something kernel-like to compress: text with repeats, a few hundred KiB. */
function sample(): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < 20000; i++) parts.push(`func_${i % 977} mov r${i % 13}, #${(i * 2654435761) % 65536}\n`);
  return new TextEncoder().encode(parts.join(''));
}

describe('the kernel build command lines', () => {
  it('each kernel profile becomes the arguments Makefile.lib / xz_wrap.sh give the tool', () => {
    assert.deepEqual(kernelToolArgs(kernelProfile('zstd', { arch: 'x86_64', kernelVersion: '6.12.118' })), ['-22', '--ultra', '-c']);
    assert.deepEqual(kernelToolArgs(kernelProfile('zstd', { arch: 'arm64', kernelVersion: '6.12.118' })), ['-19', '-c']);
    assert.deepEqual(kernelToolArgs(kernelProfile('lz4', { arch: 'x86_64' })), ['-l', '-9', '-c']);
    assert.deepEqual(kernelToolArgs(parseSetting('gzip:9')), ['-n', '-f', '-9', '-c']);
    assert.deepEqual(kernelToolArgs(kernelProfile('bzip2', { arch: 'x86_64' })), ['-9', '-c']);
    assert.deepEqual(kernelToolArgs(kernelProfile('lzo', { arch: 'x86_64' })), ['-9', '-c']);
    const xz = kernelToolArgs(kernelProfile('xz', { arch: 'x86_64', kernelVersion: '6.1.0' }));
    assert.deepEqual(xz.slice(0, 3), ['--check=crc32', '--threads=1', '--x86']);
    assert.match(xz[3]!, /^--lzma2=preset=6,dict=33554432,lc=3,lp=0,pb=2$/);
  });

  it('the system tools run with those arguments make streams kzbench decodes back to the input', () => {
    const input = sample();
    for (const [alg, spec] of [
      ['zstd', 'zstd:19'],
      ['xz', 'xz:6,dict=1MiB,bcj=x86,check=crc32'],
      ['lzma', 'lzma:9'],
      ['lz4', 'lz4:9,frame=legacy'],
      ['gzip', 'gzip:9'],
      ['bzip2', 'bzip2:9'],
      ['lzo', 'lzo:9'],
    ] as const) {
      const tool = TOOL_PACKAGES[alg]!.tool;
      if (!have(tool)) continue;
      const setting = parseSetting(spec);
      const out = runReleaseTool(
        { path: spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), libDir: '/nonexistent' },
        kernelToolArgs(setting),
        input,
      );
      assert.ok(out.length > 0 && out.length < input.length, `${alg}: ${out.length} bytes`);
      assert.ok(Buffer.from(decompress(setting, out, input.length)).equals(Buffer.from(input)), `${alg}: round trip`);
    }
  });
});

describe('corpus reproduce: what the comparison concludes', () => {
  const input = sample();
  const shipped = new Uint8Array([1, 2, 3, 4, 5]);
  const setting = parseSetting('zstd:19');
  const c = (by: string, release: boolean, out: Uint8Array): Compressor => ({ by, command: by, release, run: () => out });

  it("the release's library reproduces and the system's does not: the library version, not the setting", () => {
    const r = reproduce(input, shipped, setting, [c('system libzstd 1.5.4', false, new Uint8Array([1, 2, 9])), c('debian-13 zstd 1.5.7', true, shipped)]);
    assert.deepEqual(
      r.attempts.map((a) => [a.identical, a.firstDifference, a.bytes]),
      [
        [false, 2, 3],
        [true, -1, 5],
      ],
    );
    assert.match(
      r.verdict,
      /^reproduced byte for byte by debian-13 zstd 1\.5\.7; system libzstd 1\.5\.4 makes 3 bytes against the shipped 5: the difference is the library version, not the setting$/,
    );
  });

  it('neither reproduces: another setting; only the system tried: says the release library was not tried', () => {
    assert.match(
      reproduce(input, shipped, setting, [c('s', false, new Uint8Array([1])), c('r', true, new Uint8Array([1, 2, 3, 4, 6]))]).verdict,
      /another setting/,
    );
    assert.match(reproduce(input, shipped, setting, [c('s', false, new Uint8Array([1]))]).verdict, /release's own library was not tried \(--libs release\)/);
    assert.match(reproduce(input, shipped, setting, [c('s', false, shipped)]).verdict, /^reproduced byte for byte by s$/);
    assert.match(reproduce(input, shipped, setting, [c('s', false, shipped), c('r', true, shipped)]).verdict, /^reproduced byte for byte by r, and by s$/);
  });

  it("kzbench's backend as a compressor leaves out the appended size: the stream alone is compared", () => {
    const s = systemCompressor(parseSetting('zstd:19,size_append'), '1.5.4');
    const out = s.run(input);
    assert.ok(Buffer.from(decompress(parseSetting('zstd:19'), out, input.length)).equals(Buffer.from(input)));
    assert.match(s.by, /^system libzstd 1\.5\.4/);
  });
});

describe("a release's tool and library, fetched by package name (apt faked)", { skip: !haveDpkgDeb && 'dpkg-deb not installed' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'kzbench-libs-'));
  const fakeBin = join(root, 'bin');
  const csv = join(root, 'libraries.csv');
  const saved = { PATH: process.env.PATH, KZBENCH_CACHE: process.env.KZBENCH_CACHE, KZBENCH_LIBRARIES_CSV: process.env.KZBENCH_LIBRARIES_CSV };
  const deb = (name: string, version: string, files: Record<string, string>) => {
    const t = join(root, 'trees', name);
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(t, p, '..'), { recursive: true });
      writeFileSync(join(t, p), text);
      chmodSync(join(t, p), 0o755);
    }
    mkdirSync(join(t, 'DEBIAN'), { recursive: true });
    writeFileSync(join(t, 'DEBIAN', 'control'), `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: t <t@example.org>\nDescription: t\n`);
    return t;
  };

  before(() => {
    mkdirSync(fakeBin, { recursive: true });
    // The "release's" zstd: says its version and which library directory it was given, then copies stdin.
    const zstd = deb('zstd', '1.5.7+dfsg-1', {
      'usr/bin/zstd': '#!/bin/sh\n[ "$1" = --version ] && { echo "*** Zstandard CLI (64-bit) v1.5.7 lib=$LD_LIBRARY_PATH"; exit 0; }\nexec cat\n',
    });
    const lib = deb('libzstd1', '1.5.7+dfsg-1', { 'usr/lib/x86_64-linux-gnu/libzstd.so.1.5.7': 'not really a library' });
    const lz4 = deb('lz4', '1.10.0-4', {
      'usr/bin/lz4': "#!/bin/sh\nprintf 'lz4: /lib/x86_64-linux-gnu/libc.so.6: version \\140GLIBC_2.99\\047 not found\\n' >&2\nexit 1\n",
    });
    const liblz4 = deb('liblz4-1', '1.10.0-4', { 'usr/lib/x86_64-linux-gnu/liblz4.so.1': 'x' });
    const refused = "#!/bin/sh\nprintf 'bzip2: /lib/x86_64-linux-gnu/libc.so.6: version \\140GLIBC_2.99\\047 not found\\n' >&2\nexit 1\n";
    const bzip2 = deb('bzip2', '1.0.8-6', { 'usr/bin/bzip2': refused });
    const libbz2 = deb('libbz2-1.0', '1.0.8-6', { 'usr/lib/x86_64-linux-gnu/libbz2.so.1.0': 'x' });
    // lz4's "source package": a Makefile and a C program that says it was built, and copies stdin.
    const lz4src = join(root, 'lz4-src');
    mkdirSync(lz4src, { recursive: true });
    writeFileSync(join(lz4src, 'Makefile'), 'lz4: main.c\n\tcc -O1 -o lz4 main.c\n');
    writeFileSync(
      join(lz4src, 'main.c'),
      '#include <stdio.h>\n#include <string.h>\nint main(int c, char **v) {\n  if (c > 1 && !strcmp(v[1], "--version")) { puts("lz4 1.10.0 built here"); return 0; }\n' +
        '  int ch; while ((ch = getchar()) != EOF) putchar(ch); return 0;\n}\n',
    );
    const script = (name: string, body: string) => {
      writeFileSync(join(fakeBin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(fakeBin, name), 0o755);
    };
    const strip = `ARGS=; while [ $# -gt 0 ]; do case "$1" in -o) shift 2;; -q) shift;; *) ARGS="$ARGS $1"; shift;; esac; done; set -- $ARGS`;
    script(
      'apt-cache',
      `${strip}
case "$2" in
  zstd|libzstd1) echo "$2 | 1.5.7+dfsg-1 | http://deb.debian.org/debian trixie/main amd64 Packages" ;;
  lz4|liblz4-1) echo "$2 | 1.10.0-4 | http://deb.debian.org/debian trixie/main amd64 Packages" ;;
  bzip2|libbz2-1.0) echo "$2 | 1.0.8-6 | http://deb.debian.org/debian trixie/main amd64 Packages" ;;
esac`,
    );
    script(
      'apt-get',
      `${strip}
if [ "$1" = update ]; then exit 0; fi
if [ "$1" = source ]; then
  case "$2" in lz4=1.10.0-4) cp -r "${lz4src}" lz4-1.10.0 && exit 0 ;; esac
  echo "E: Unable to find a source package for \${2%=*}" >&2; exit 100
fi
case "$2" in
  zstd=*) exec dpkg-deb --build "${zstd}" zstd.deb >/dev/null ;;
  libzstd1=*) exec dpkg-deb --build "${lib}" libzstd1.deb >/dev/null ;;
  lz4=*) exec dpkg-deb --build "${lz4}" lz4.deb >/dev/null ;;
  liblz4-1=*) exec dpkg-deb --build "${liblz4}" liblz4-1.deb >/dev/null ;;
  bzip2=*) exec dpkg-deb --build "${bzip2}" bzip2.deb >/dev/null ;;
  libbz2-1.0=*) exec dpkg-deb --build "${libbz2}" libbz2-1.0.deb >/dev/null ;;
esac
exit 100`,
    );
    process.env.PATH = `${fakeBin}:${process.env.PATH}`;
    process.env.KZBENCH_CACHE = join(root, 'cache');
    process.env.KZBENCH_LIBRARIES_CSV = csv;
    // The lists count as fetched: the fake update writes nothing.
    mkdirSync(join(root, 'cache', 'apt', 'trixie', 'amd64', 'state', 'lists'), { recursive: true });
    writeFileSync(join(root, 'cache', 'apt', 'trixie', 'amd64', 'state', 'lists', 'x_trixie_main_binary-amd64_Packages'), '');
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("fetched into the cache, run with the release's library first on LD_LIBRARY_PATH, recorded in libraries.csv", () => {
    const t = releaseTool('debian-13', 'zstd', 'amd64');
    assert.equal(t.tool.version, '1.5.7+dfsg-1');
    assert.equal(t.library.package, 'libzstd1');
    assert.equal(t.library.suite, 'trixie');
    assert.ok(t.path.startsWith(join(root, 'cache', 'libs', 'trixie', 'amd64', 'zstd_1.5.7+dfsg-1_amd64')), t.path);
    assert.equal(t.libDir, join(root, 'cache', 'libs', 'trixie', 'amd64', 'libzstd1_1.5.7+dfsg-1_amd64', 'usr', 'lib', 'x86_64-linux-gnu'));
    assert.match(t.versionLine, new RegExp(`v1\\.5\\.7 lib=${t.libDir.replace(/[.+]/g, '\\$&')}`));
    assert.deepEqual([...runReleaseTool(t, ['-22', '--ultra', '-c'], new Uint8Array([7, 8, 9]))], [7, 8, 9]);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(rows[0], 'release,library,package,version,arch,suite,sha256,source');
    assert.deepEqual(
      rows.slice(1).map((r) => r.split(',').slice(0, 6).join(',')),
      ['debian-13,libzstd,libzstd1,1.5.7+dfsg-1,amd64,trixie', 'debian-13,zstd (tool),zstd,1.5.7+dfsg-1,amd64,trixie'],
    );
    assert.match(rows[1]!.split(',')[6]!, /^[0-9a-f]{64}$/);
    // Fetched once: a second ask is served by the cache and adds no row.
    releaseTool('debian-13', 'zstd', 'amd64');
    assert.equal(readFileSync(csv, 'utf8').trim().split('\n').length, 3);
  });

  it(
    "a release's tool that cannot run here is built from the release's source package with this machine's compiler",
    { skip: !have('cc') && 'no C compiler' },
    () => {
      const lines: string[] = [];
      const t = releaseTool('debian-13', 'lz4', 'amd64', (s) => lines.push(s));
      assert.ok(
        lines.some((l) => /it needs GLIBC_2\.99, newer than this glibc.*building it from debian-13's source package instead/.test(l)),
        lines.join('\n'),
      );
      assert.equal(t.path, join(root, 'cache', 'libs', 'trixie', 'amd64', 'build', 'lz4_1.10.0-4', 'lz4'));
      assert.equal(t.versionLine, 'lz4 1.10.0 built here');
      assert.deepEqual([...runReleaseTool(t, ['-l', '-9', '-c'], new Uint8Array([1, 2, 3]))], [1, 2, 3]);
      const row = readFileSync(csv, 'utf8')
        .split('\n')
        .find((r) => r.startsWith('debian-13,lz4 (tool),lz4,1.10.0-4,'));
      assert.match(
        row ?? '',
        /its binary needs a newer glibc: built from source package lz4 1\.10\.0-4 \(apt-get source; checked against the signed Sources\) with /,
      );
      // Built once: the second ask takes the cached build without calling apt-get source.
      const n = lines.length;
      releaseTool('debian-13', 'lz4', 'amd64', (s) => lines.push(s));
      assert.ok(!lines.slice(n).some((l) => /\(apt-get source\)/.test(l)), lines.slice(n).join('\n'));
    },
  );

  it("a release's tool that cannot run here and cannot be built: the error says which glibc it needs, and why the build failed", () => {
    assert.throws(
      () => releaseTool('debian-13', 'bzip2', 'amd64'),
      /debian-13's bzip2 \(bzip2 1\.0\.8-6\) does not run on this machine: it needs GLIBC_2\.99, newer than this glibc: .*; building it from the source package failed too: apt-get source -q bzip2=1\.0\.8-6 failed: E: Unable to find a source package for bzip2/,
    );
  });

  it('inspect and run say plainly when a kernel was built by another release, with the library version recorded for it', () => {
    let host: string | undefined;
    try {
      host = hostRelease().release;
    } catch {
      host = undefined;
    }
    assert.equal(builtByRelease('6.12.118+deb13-amd64'), 'debian-13');
    assert.equal(builtByRelease('6.1.0-57-amd64'), undefined);
    assert.equal(libraryNote('6.1.0-57-amd64', 'zstd', { libzstd: '1.5.4' }), undefined, 'a release string that does not say: no note');
    const other = host === 'debian-12' ? ['6.12.118+deb13-amd64', 'debian-13'] : ['6.1.999+deb12-amd64', 'debian-12'];
    const note = libraryNote(other[0]!, 'zstd', { libzstd: '1.5.4' });
    // The fake fetch above recorded debian-13's libzstd1 1.5.7+dfsg-1 in this test's libraries.csv.
    if (other[1] === 'debian-13')
      assert.match(note ?? '', /^built by debian-13, whose libzstd1 is 1\.5\.7\+dfsg-1; kzbench's libzstd backend is 1\.5\.4 .*may differ .*--libs release/);
    else assert.match(note ?? '', /^built by debian-12; kzbench's libzstd backend is 1\.5\.4/);
    if (host)
      assert.equal(
        libraryNote(host === 'debian-12' ? '6.1.0+deb12-amd64' : '6.12.0+deb13-amd64', 'zstd', {}),
        undefined,
        "this machine's own release: no note",
      );
  });

  it('libraries.csv keeps one row per release, package and arch', () => {
    const f = join(root, 'rows.csv');
    const pk = TOOL_PACKAGES.zstd!;
    const p = { release: 'debian-13', package: 'libzstd1', version: '1', arch: 'amd64', suite: 'trixie', deb: '', deb_sha256: 'a', dir: '' };
    recordLibraries([p], 'zstd', pk, f);
    recordLibraries(
      [
        { ...p, version: '2', suite: 'trixie-security', deb_sha256: 'b' },
        { ...p, release: 'debian-12', version: '0' },
      ],
      'zstd',
      pk,
      f,
    );
    assert.deepEqual(
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((r) => r.split(',').slice(0, 7).join(',')),
      ['debian-12,libzstd,libzstd1,0,amd64,trixie,a', 'debian-13,libzstd,libzstd1,2,amd64,trixie-security,b'],
    );
  });
});

describe(
  'real kernels reproduced (KZBENCH_SLOW=1: fetches Debian 13 amd64, 109 MB, and compresses 58 MB at zstd -22)',
  { skip: !SLOW && 'set KZBENCH_SLOW=1' },
  () => {
    it('debian13-amd64 is fetched from trixie, and its payload reproduced byte for byte by trixie zstd and libzstd', { timeout: 900_000 }, () => {
      const e = findEntry(loadManifest(), 'debian13-amd64');
      const k = corpusKernel(e, (s) => console.error(s));
      assert.equal(k.release, 'debian-13');
      assert.match(k.suite ?? '', /^trixie/);
      assert.match(k.package, /^linux-image-6\.12\.\d+\+deb13-amd64$/);
      assert.ok(existsSync(k.image));
      const r = spawnSync(process.execPath, [bin, 'corpus', 'reproduce', 'debian13-amd64', '--libs', 'release', '--json'], {
        encoding: 'utf8',
        timeout: 900_000,
        env: slowEnv,
      });
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.attempts[0].identical, true, r.stdout);
      assert.equal(j.attempts[0].bytes, j.shippedBytes);
      assert.match(j.attempts[0].by, /^debian-13 zstd 1\.5\.7/);
    });

    it(
      "debian12-cloud-amd64's lz4 and debian12-amd64's xz payloads: the release's own tools give the shipped bytes with kzbench's command lines",
      { timeout: 900_000 },
      () => {
        for (const name of ['debian12-cloud-amd64', 'debian12-amd64']) {
          const r = spawnSync(process.execPath, [bin, 'corpus', 'reproduce', name, '--libs', 'release', '--json'], {
            encoding: 'utf8',
            timeout: 900_000,
            env: slowEnv,
          });
          assert.equal(r.status, 0, r.stderr);
          const j = JSON.parse(r.stdout);
          assert.equal(j.release, 'debian-12');
          assert.equal(j.attempts[0].identical, true, r.stdout);
          assert.match(j.attempts[0].command, name === 'debian12-amd64' ? /^xz --check=crc32 --threads=1 --x86 --lzma2=/ : /^lz4 -l -9 -c$/);
        }
      },
    );
  },
);
