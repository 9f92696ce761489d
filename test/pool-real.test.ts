// A real run through the pool with the project's codecs (native addon).
// Skips with a reason when the codecs are not built yet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEFAULT_CODEC_MODULE } from '../src/pool/codec-api.js';
import { runCells, type Unit } from '../src/run/index.js';
import { readResults } from '../src/results/reader.js';

const codecsBuilt = existsSync(fileURLToPath(DEFAULT_CODEC_MODULE));

/** Kernel-like bytes: text, zero runs, and some noise. */
function sample(size: number): Uint8Array {
  const b = new Uint8Array(size);
  let x = 12345;
  const words = new TextEncoder().encode('mov rax, rbx; call __schedule; ret; push rbp; ');
  for (let i = 0; i < size; i++) {
    const region = (i >> 13) % 4;
    if (region === 0) b[i] = words[i % words.length]!;
    else if (region === 1) b[i] = 0;
    else {
      x = (x * 1103515245 + 12345) >>> 0;
      b[i] = region === 2 ? x >>> 24 : (x >>> 28) + 0x40;
    }
  }
  return b;
}

test(
  'real codecs: every algorithm round-trips through the pool, every row verified',
  { skip: codecsBuilt ? false : 'src/codecs/index.ts not built yet' },
  async () => {
    const bytes = sample(256 * 1024);
    const units: Unit[] = [
      { name: 'whole', kind: 'whole', offset: 0, bytes },
      { name: 'part', kind: 'block', offset: 65536, bytes: bytes.subarray(65536, 65536 + 50000) },
    ];
    const specs = ['gzip', 'bzip2', 'lzma', 'xz', 'xz:preset=9,bcj=x86', 'lzo', 'lz4', 'lz4:level=9,frame=legacy,size_append', 'zstd'];
    const out = mkdtempSync(join(tmpdir(), 'kzbench-real-'));
    const r = await runCells(
      units.flatMap((unit) => specs.map((setting) => ({ unit, setting }))),
      { workers: 2, timing: { minRuns: 3, minTimeMs: 10, maxTimeMs: 2000 }, outDir: out, image: { path: 'synthetic', sha256: '00'.repeat(32) } },
    );
    const bad = r.rows.filter((x) => !x.verified);
    assert.deepEqual(
      bad.map((x) => `${x.unit} ${x.setting}: ${x.error}`),
      [],
    );
    assert.equal(r.rows.length, units.length * specs.length);
    for (const row of r.rows) {
      assert.ok(row.compressed_bytes! > 0 && row.compressed_bytes! < row.unit_bytes, `${row.setting} compresses`);
      assert.ok(row.decompress_runs! >= 3);
      assert.ok(row.backend.length > 0);
    }
    const back = readResults(r.resultsPath!);
    assert.equal(back.rows.length, r.rows.length);
  },
);

// Abort terminates workers; one may be inside a native compress call. When
// that call returns into a terminating thread, node-addon-api cannot throw
// its error into JS and, unless built with
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS, calls std::terminate: the whole
// process aborts (exit 134) after runCells has returned. Run in a child so
// the test runner survives. binding.gyp carries the define.
test(
  'abort while a worker is inside native compression leaves a live process',
  {
    skip: codecsBuilt ? false : 'src/codecs/index.ts not built yet',
  },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'kzbench-abort-'));
    const script = join(dir, 'abort.mjs');
    const runUrl = new URL('../src/run/index.js', import.meta.url).href;
    writeFileSync(
      script,
      `import { runCells } from ${JSON.stringify(runUrl)};
const bytes = new Uint8Array(24 << 20); let x = 1;
for (let i = 0; i < bytes.length; i++) { x = (x * 1103515245 + 12345) >>> 0; bytes[i] = (x >>> 29) + (i % 64 < 32 ? 0 : 65); }
const ac = new AbortController();
const r = await runCells([{ unit: { name: 'u', bytes }, setting: 'xz:preset=6' }, { unit: { name: 'u', bytes }, setting: 'bzip2' }],
  { workers: 2, signal: ac.signal, onProgress: (p) => { if (p.running.length === 2) setTimeout(() => ac.abort(), 300); } });
if (!r.interrupted) process.exit(3);
await new Promise((res) => setTimeout(res, 3000));
process.exit(0);
`,
    );
    const r = spawnSync(process.execPath, [pathToFileURL(script).pathname], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `child exited ${r.status} (${r.signal ?? ''}): ${r.stderr}`);
  },
);
