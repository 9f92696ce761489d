// The Debian architecture matrix (issue 13): for every architecture Debian 12
// and 13 ship a kernel for, read the image with kzbench, check the payload
// against an independent extraction (the distribution's own decompressor run
// on the carved bytes), the text symbols against the real System.map of the
// -dbg package when cached, and whether the kernel profile reproduces the
// shipped payload byte for byte with this machine's libraries. Writes the
// matrix rows of data/kernels.csv (rows from other sources are kept) and the
// table in docs/architectures.md.
//
//   node dist/scripts/kernel-matrix.js [--fetch] [--no-profile|--reuse-profile] [--dry-run]
//
// Compressing every kernel with its profile takes minutes: --reuse-profile
// keeps the profile columns an earlier run wrote for the same image sha256
// and runs the profile only for images without them; --no-profile keeps
// them too and runs none.
//
// Kernels come from the cache (~/.cache/kzbench/kernels, as `kzbench corpus
// fetch` and scripts/fetch-test-kernels lay it out); --fetch asks apt for a
// missing Debian 12 one (fetchDebianKernel, which needs the foreign arch
// added to dpkg). A kernel that cannot be had is a row with the error.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { backendVersions, compress } from '../src/codecs/index.js';
import { kernelProfile } from '../src/codecs/profiles.js';
import { cacheDir, fetchDebianKernel } from '../src/corpus/debian.js';
import { openKernelImage, type KernelImage } from '../src/image/index.js';
import { parseSystemMap } from '../src/image/systemmap.js';

interface Target {
  debian: 12 | 13;
  arch: string;
  flavour: string;
  /** Why there is no kernel to read, when the archive has none. */
  absent?: string;
  /** What fetching it by hand gave, said when the cache does not hold it. */
  unserved?: string;
}

const SECURITY_404 = (flavour: string, arch: string) =>
  `trixie-security Packages.xz lists linux-image-6.12.118+deb13-${flavour} (pool/updates/main/l/linux/linux-image-6.12.118+deb13-${flavour}_6.12.118-1_${arch}.deb) ` +
  `but http://deb.debian.org/debian-security/ and http://security.debian.org/debian-security/ answer HTTP 404 here (2026-12-07), and the 6.12.117-1 file of trixie/main answers 404 too`;
const UNSERVED: Record<string, string> = {
  armel: SECURITY_404('rpi', 'armel'),
  ppc64el: SECURITY_404('powerpc64le', 'ppc64el'),
  s390x: SECURITY_404('s390x', 's390x'),
};

const D12 = [
  'amd64:amd64',
  'arm64:arm64',
  'armel:marvell',
  'armhf:armmp',
  'i386:686-pae',
  'mips64el:5kc-malta',
  'mipsel:4kc-malta',
  'ppc64el:powerpc64le',
  's390x:s390x',
];
const D13 = ['amd64:amd64', 'arm64:arm64', 'armel:rpi', 'armhf:armmp', 'ppc64el:powerpc64le', 'riscv64:riscv64', 's390x:s390x'];
const TARGETS: Target[] = [
  ...D12.map((s) => ({ debian: 12 as const, arch: s.split(':')[0]!, flavour: s.split(':')[1]! })),
  ...D13.map((s) => ({ debian: 13 as const, arch: s.split(':')[0]!, flavour: s.split(':')[1]!, unserved: UNSERVED[s.split(':')[0]!] })),
  {
    debian: 13,
    arch: 'i386',
    flavour: '686-pae',
    absent: 'trixie/main/binary-i386/Packages.xz lists no linux-image-*-686* package (i386 ships no kernel in Debian 13)',
  },
  {
    debian: 13,
    arch: 'mipsel',
    flavour: '4kc-malta',
    absent: 'http://deb.debian.org/debian/dists/trixie/main/binary-mipsel/Release: HTTP 404 (not a Debian 13 architecture)',
  },
  {
    debian: 13,
    arch: 'mips64el',
    flavour: '5kc-malta',
    absent: 'http://deb.debian.org/debian/dists/trixie/main/binary-mips64el/Release: HTTP 404 (not a Debian 13 architecture)',
  },
];

/** The command that decompresses each algorithm's kernel stream, independent of kzbench's libraries. */
const DECOMPRESSORS: Record<string, string[]> = {
  xz: ['xz', '-dc'],
  lzma: ['xz', '--format=lzma', '-dc'],
  gzip: ['gzip', '-dc'],
  bzip2: ['bzip2', '-dc'],
  lz4: ['lz4', '-dc'],
  zstd: ['zstd', '-dc'],
  lzo: ['lzop', '-dc'],
};

const args = new Set(process.argv.slice(2));
const csvPath = new URL('../../data/kernels.csv', import.meta.url);
const previous = parse(readFileSync(csvPath), { columns: true }) as Row[];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The newest cached image of a target: kernels/<package>_<version>_<arch>/boot/vmlinu[xz]-<release>. */
function findImage(t: Target): { path: string; dir: string } | undefined {
  const root = join(cacheDir(), 'kernels');
  if (!existsSync(root)) return undefined;
  const hits: { path: string; dir: string }[] = [];
  for (const dir of readdirSync(root)) {
    if (!dir.endsWith(`_${t.arch}`) || dir.includes('-dbg_')) continue;
    const boot = join(root, dir, 'boot');
    if (!existsSync(boot)) continue;
    for (const f of readdirSync(boot)) {
      // vmlinuz-6.1.0-57-amd64 (12), vmlinuz-6.12.117+deb13-amd64 (13): not -cloud-amd64
      const m = /^vmlinu[xz]-[\d.]+(-\d+|\+deb13)-(.+)$/.exec(f);
      if (!m || m[2] !== t.flavour || (m[1] === '+deb13') !== (t.debian === 13)) continue;
      hits.push({ path: join(boot, f), dir });
    }
  }
  return hits.sort((a, b) => b.dir.localeCompare(a.dir, 'en', { numeric: true }))[0];
}

function systemMapOf(release: string): string | undefined {
  const root = join(cacheDir(), 'kernels');
  for (const dir of readdirSync(root)) {
    const p = join(root, dir, 'usr/lib/debug/boot', `System.map-${release}`);
    if (existsSync(p)) return p;
  }
  return undefined;
}

type Row = Record<string, string | number>;

function independent(img: KernelImage, file: Buffer): Row {
  const p = img.payload;
  if (!p) return { independent_decompressor: 'n/a (uncompressed image)' };
  const cmd = DECOMPRESSORS[p.algorithm]!;
  const carved = file.subarray(p.offset, p.offset + p.compressedBytes);
  const r = spawnSync(cmd[0]!, cmd.slice(1), { input: carved, maxBuffer: 1 << 30 });
  const out = r.stdout ?? Buffer.alloc(0);
  const trailer = p.offset + p.compressedBytes + 4 <= file.length ? file.readUInt32LE(p.offset + p.compressedBytes) : null;
  return {
    independent_decompressor: `${cmd.join(' ')} on bytes [${p.offset}, ${p.offset + p.compressedBytes})`,
    independent_status: r.status === 0 ? 'ok' : `exit ${r.status}: ${String(r.stderr).trim().split('\n')[0]}`,
    independent_bytes: out.length,
    independent_trailer: p.algorithm === 'gzip' ? 'gzip ISIZE' : (trailer ?? ''),
    independent_match: r.status === 0 && out.length === img.kernel.length && sha(out) === sha(img.kernel) ? 'yes' : 'no',
  };
}

function symbolsRow(img: KernelImage): Row {
  const text = (t: string) => /^[tTwW]$/.test(t);
  const row: Row = { symbol_source: img.symbols.source, text_symbols: img.functions.length };
  const map = img.release ? systemMapOf(img.release) : undefined;
  if (!map) return { ...row, system_map: 'no -dbg package cached' };
  const real = parseSystemMap(readFileSync(map, 'latin1'));
  // a 32-bit MIPS System.map prints addresses sign-extended to 64 bits
  const mask = img.bits === 32 ? 0xffffffffn : (1n << 64n) - 1n;
  const want = new Set(real.symbols.filter((s) => text(s.type)).map((s) => `${s.address & mask} ${s.name}`));
  const got = img.symbols.list.filter((s) => text(s.type));
  return {
    ...row,
    system_map: map.replace(cacheDir(), '~/.cache/kzbench'),
    system_map_text_symbols: want.size,
    symbol_text_entries: got.length,
    text_symbols_in_system_map: got.filter((s) => want.has(`${s.address} ${s.name}`)).length,
  };
}

function profileRow(img: KernelImage, file: Buffer): Row {
  const p = img.payload;
  if (!p) return { profile: 'n/a (shipped uncompressed)' };
  if (args.has('--no-profile') || args.has('--reuse-profile')) {
    // keep what an earlier full run found for these very bytes
    const earlier = previous.find((r) => r.image_sha256 === sha(file) && r.reproduced);
    if (earlier)
      return { profile: earlier.profile!, profile_backend: earlier.profile_backend!, profile_bytes: earlier.profile_bytes!, reproduced: earlier.reproduced! };
    if (args.has('--no-profile')) return { profile: 'not run (--no-profile)' };
  }
  const setting = kernelProfile(p.algorithm, { arch: img.arch, kernelVersion: img.release ?? undefined });
  const shipped = file.subarray(p.offset, p.offset + p.storedBytes);
  const ours = compress(setting, img.kernel);
  const same = Buffer.from(ours).equals(shipped);
  return {
    profile: setting.key,
    profile_backend: `${setting.backend} ${backendVersions()[setting.backend] ?? ''}`.trim(),
    profile_bytes: ours.length,
    reproduced: same ? 'yes' : `no (${ours.length} vs ${shipped.length} bytes)`,
  };
}

function measure(t: Target): Row {
  const base: Row = { debian: t.debian, arch: t.arch, flavour: t.flavour, source: `scripts/kernel-matrix.ts ${new Date().toISOString().slice(0, 10)}` };
  if (t.absent) return { ...base, error: t.absent };
  let found = findImage(t);
  if (!found && args.has('--fetch') && t.debian === 12) {
    try {
      fetchDebianKernel(`linux-image-${t.flavour}`, t.arch, (s) => console.error(s));
      found = findImage(t);
    } catch (e) {
      return { ...base, error: `apt: ${(e as Error).message}` };
    }
  }
  if (!found) return { ...base, error: t.unserved ?? `not in the cache (${join(cacheDir(), 'kernels')}); fetch it and run again` };
  const [pkg, version] = found.dir.split('_');
  const file = readFileSync(found.path);
  const img = openKernelImage(found.path, { findBeside: false });
  const p = img.payload;
  return {
    ...base,
    package: pkg!,
    version: version!,
    image_file: found.path.replace(/^.*\//, ''),
    image_sha256: sha(file),
    file_bytes: img.fileBytes,
    format: img.format,
    kernel_arch: img.arch,
    algorithm: p?.algorithm ?? '',
    payload_offset: p?.offset ?? '',
    compressed_bytes: p?.compressedBytes ?? '',
    stored_bytes: p?.storedBytes ?? '',
    decompressed_bytes: p ? p.decompressedBytes : img.kernel.length,
    ...independent(img, file),
    ...symbolsRow(img),
    ...profileRow(img, file),
  };
}

const COLUMNS = [
  'package',
  'version',
  'arch',
  'image_file',
  'file_bytes',
  'format',
  'algorithm',
  'payload_offset',
  'compressed_bytes',
  'decompressed_bytes',
  'source',
  'debian',
  'flavour',
  'kernel_arch',
  'image_sha256',
  'stored_bytes',
  'independent_decompressor',
  'independent_status',
  'independent_bytes',
  'independent_trailer',
  'independent_match',
  'symbol_source',
  'text_symbols',
  'system_map',
  'system_map_text_symbols',
  'symbol_text_entries',
  'text_symbols_in_system_map',
  'profile',
  'profile_backend',
  'profile_bytes',
  'reproduced',
  'error',
];

const rows: Row[] = [];
for (const t of TARGETS) {
  let r: Row;
  try {
    r = measure(t);
  } catch (e) {
    r = { debian: t.debian, arch: t.arch, flavour: t.flavour, error: (e as Error).message, source: 'scripts/kernel-matrix.ts' };
  }
  console.log(JSON.stringify(r));
  rows.push(r);
}

if (!args.has('--dry-run')) {
  const kept = previous.filter((r) => !String(r.source).startsWith('scripts/kernel-matrix'));
  writeFileSync(csvPath, stringify([...kept, ...rows], { header: true, columns: COLUMNS }));
  const docPath = new URL('../../docs/architectures.md', import.meta.url);
  const doc = readFileSync(docPath, 'utf8');
  const cell = (v: unknown) => String(v ?? '').replace(/\|/g, '\\|');
  const table = [
    '| Debian | arch | package | format | payload | independent | text symbols | System.map | profile reproduces |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) =>
      r.error
        ? `| ${r.debian} | ${r.arch} | ${cell(r.flavour)} | — | ${cell(r.error)} | | | | |`
        : `| ${r.debian} | ${r.arch} | ${cell(r.package)} ${cell(r.version)} | ${cell(r.format)} | ${
            r.algorithm ? `${r.algorithm} @${r.payload_offset}, ${r.compressed_bytes} → ${r.decompressed_bytes}` : `none, ${r.decompressed_bytes} bytes`
          } | ${cell(r.independent_match ?? '')} | ${cell(r.text_symbols)} (${cell(r.symbol_source)}) | ${
            r.system_map_text_symbols !== undefined
              ? `${r.text_symbols_in_system_map} of ${r.symbol_text_entries} kallsyms text symbols in it (${r.system_map_text_symbols} there)`
              : cell(r.system_map)
          } | ${cell(r.reproduced ?? r.profile)} |`,
    ),
  ].join('\n');
  const out = doc.replace(/<!-- matrix:begin -->[\s\S]*<!-- matrix:end -->/, `<!-- matrix:begin -->\n${table}\n<!-- matrix:end -->`);
  writeFileSync(docPath, out);
  console.error(`kernel-matrix: ${rows.length} rows -> data/kernels.csv, docs/architectures.md`);
}
