// The Debian architecture matrix (docs/architectures.md) re-measured on the
// kernels cached here, under KZBENCH_SLOW=1: scripts/kernel-matrix.ts in
// --dry-run --no-profile mode must find, for every cached kernel, a payload
// the distribution's own decompressor agrees with, kallsyms text symbols all
// in the real System.map when the -dbg package is cached, and the same facts
// data/kernels.csv holds for the same image sha256.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';

type Row = Record<string, string | number | undefined>;

describe('Debian architecture matrix (KZBENCH_SLOW=1)', () => {
  it('payloads, symbols and the committed table agree with a fresh reading', { skip: process.env.KZBENCH_SLOW ? false : 'set KZBENCH_SLOW=1' }, () => {
    const script = new URL('../scripts/kernel-matrix.js', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [script, '--dry-run', '--no-profile'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Row);
    const table = parse(readFileSync(new URL('../../data/kernels.csv', import.meta.url)), { columns: true }) as Row[];
    const read = rows.filter((x) => x.package);
    for (const x of read) {
      const what = `${x.debian} ${x.arch} ${x.package}`;
      if (x.algorithm) assert.equal(x.independent_match, 'yes', `${what}: ${x.independent_status}`);
      assert.ok(Number(x.text_symbols) > 10000, `${what}: ${x.text_symbols} text symbols`);
      if (x.system_map_text_symbols !== undefined)
        assert.equal(x.text_symbols_in_system_map, x.symbol_text_entries, `${what}: kallsyms text symbols not in the System.map`);
      const committed = table.find((t) => t.image_sha256 === x.image_sha256);
      if (committed) {
        for (const k of ['format', 'algorithm', 'payload_offset', 'compressed_bytes', 'decompressed_bytes', 'text_symbols']) {
          assert.equal(String(x[k]), String(committed[k]), `${what}: ${k}`);
        }
      }
    }
    console.log(`# ${read.length} cached kernels re-read, ${rows.length - read.length} rows without a kernel`);
  });
});
