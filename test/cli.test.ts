// The command line as a user meets it: exit codes, one-line errors, refusal
// before work, results files, Ctrl-C and --resume.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readResults } from '../src/results/reader.js';
import { codeLike, smallKernel } from './fixtures/images.js';
import { kz, oneLineError } from './cli-helpers.js';

const bin = new URL('../../bin/kzbench.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kzbench-cli-'));

const { vmlinux, bzImage } = smallKernel([200_000, 80_000, 40_000]);
const bzPath = join(dir, 'bzImage');
writeFileSync(bzPath, bzImage);

describe('kzbench inspect', () => {
  it('summarises a bzImage, and prints JSON with the contract fields', () => {
    const text = kz('inspect', bzPath);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /payload: +xz at offset \d+/);
    const j = JSON.parse(kz('inspect', '--json', bzPath).stdout);
    assert.equal(j.format, 'bzimage');
    assert.equal(j.payload.algorithm, 'xz');
    assert.equal(j.payload.decompressed_bytes, vmlinux.length);
    assert.equal(j.symbols.source, 'symtab');
  });

  it('bad input: one line naming the file, exit 2, no stack trace', () => {
    const junk = join(dir, 'junk');
    writeFileSync(junk, codeLike(10_000, 5));
    oneLineError(kz('inspect', junk), new RegExp(`^kzbench: ${junk}: not a kernel image`));
    const truncated = join(dir, 'truncated');
    writeFileSync(truncated, readFileSync(bzPath).subarray(0, 3000));
    oneLineError(kz('inspect', truncated), new RegExp(`^kzbench: ${truncated}: payload_offset`));
    oneLineError(kz('inspect', join(dir, 'missing')), /missing: kernel image not found$/);
    oneLineError(kz('inspect'), /missing required argument/);
  });
});

describe('kzbench run', () => {
  it('refuses unknown algorithms, out-of-range levels and missing filters before any work', () => {
    const out = join(dir, 'refused');
    const r = kz('run', '--image', bzPath, '--codec', 'brotli', '--codec', 'gzip:12', '--codec', 'xz:bcj=riscv', '--out', out);
    assert.equal(r.status, 2);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 3, r.stderr);
    assert.match(lines[0]!, /--codec brotli: .*(gzip.*zstd|allowed)/);
    assert.match(lines[1]!, /--codec gzip:12: .*1\D+9/);
    assert.match(lines[2]!, /--codec xz:bcj=riscv: .*(arm64|x86)/);
    assert.equal(existsSync(out), false, 'nothing written');
  });

  it('writes verified rows and run.json for each unit and setting', () => {
    const out = join(dir, 'run1');
    const r = kz(
      'run',
      '--image',
      bzPath,
      '--unit',
      'sections',
      '--codec',
      'lz4',
      '--codec',
      'gzip',
      '--min-runs',
      '1',
      '--min-time',
      '0',
      '--workers',
      '2',
      '--out',
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    const rows = readResults(join(out, 'results.csv')).rows;
    assert.equal(rows.length, 6); // .text, .rodata, .data x 2
    assert.ok(rows.every((x) => x.verified === true));
    assert.deepEqual([...new Set(rows.map((x) => x.unit))].sort(), ['.data', '.rodata', '.text']);
    const lz4 = rows.find((x) => x.algorithm === 'lz4')!;
    assert.match(String(lz4.setting), /legacy/, 'bare names take the kernel profile');
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    assert.ok(run.end);
    assert.equal(run.image_sha256.length, 64);
  });

  it('Ctrl-C leaves complete rows only; --resume runs exactly what is missing', async () => {
    const out = join(dir, 'interrupted');
    const args = [
      'run',
      '--image',
      bzPath,
      '--unit',
      'sections',
      '--codec',
      'xz:1',
      '--codec',
      'xz:2',
      '--codec',
      'xz:3',
      '--codec',
      'bzip2:1',
      '--codec',
      'bzip2:9',
      '--codec',
      'zstd:19',
      '--min-runs',
      '3',
      '--min-time',
      '300',
      '--workers',
      '1',
      '--out',
      out,
    ];
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (!sent && /\[2\/18\]/.test(stderr)) sent = child.kill('SIGINT'); // once: a second Ctrl-C quits at once
      });
      child.on('exit', (c) => resolve(c));
    });
    assert.equal(code, 130, stderr);
    const text = readFileSync(join(out, 'results.csv'), 'utf8');
    assert.ok(text.endsWith('\n'), 'no torn line');
    const partial = readResults(join(out, 'results.csv')).rows;
    assert.ok(partial.length >= 2 && partial.length < 18, `${partial.length} rows`);
    assert.ok(partial.every((x) => x.verified === true));
    assert.equal(JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')).interrupted, true);
    assert.equal(existsSync(join(out, '.kzbench.lock')), false, 'Ctrl-C releases the directory');

    const again = spawnSync(process.execPath, [bin, ...args, '--resume'], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    const rows = readResults(join(out, 'results.csv')).rows;
    assert.equal(rows.length, 18);
    assert.equal(new Set(rows.map((x) => x.cell_id)).size, 18, 'every cell once');
  });
});
