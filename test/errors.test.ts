import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { asKzError, excerpt, KzError } from '../src/errors.js';
import { ImageError } from '../src/image/errors.js';
import { projectPath } from '../src/project.js';

const guardedJs = projectPath('dist', 'src', 'cli', 'guarded.js');
const errorsJs = projectPath('dist', 'src', 'errors.js');

/** Run guarded(FILE, throw BODY) in a fresh node process, as the CLI does. */
function guardedRun(file: string | undefined, body: string) {
  const src = `const { guarded } = await import(${JSON.stringify(guardedJs)}); const { KzError } = await import(${JSON.stringify(errorsJs)});
await guarded(${JSON.stringify(file)}, async () => { ${body} });`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8' });
}

test('a KzError is one line naming the file, exit 2', () => {
  const r = guardedRun(undefined, `throw new KzError('no such board', 'boards/x.yaml');`);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'kzbench: boards/x.yaml: no such board\n');
});

test('a system error (ENOENT, EISDIR) is one line naming its path, exit 2', () => {
  const r = guardedRun(undefined, `(await import('node:fs')).readFileSync('/nonexistent/suite.yaml');`);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'kzbench: /nonexistent/suite.yaml: no such file or directory (ENOENT in open)\n');
  const d = guardedRun(undefined, `(await import('node:fs')).readFileSync('/tmp');`);
  assert.equal(d.status, 2);
  assert.match(d.stderr, /^kzbench: .*is a directory, not a file \(EISDIR in read\)\n$/);
});

test('an error outside the base is a bug: its stack, exit 70', () => {
  const r = guardedRun('img', `null.x;`);
  assert.equal(r.status, 70);
  assert.match(r.stderr, /^kzbench: internal error \(a bug in kzbench\): TypeError: Cannot read properties of null/);
  assert.match(r.stderr, /\n +at /, 'the stack is printed');
});

test('errors about the input get its name; others keep theirs', () => {
  assert.deepEqual(asKzError(new ImageError('not a kernel image'), 'vmlinuz')!.lines(), ['vmlinuz: not a kernel image']);
  assert.deepEqual(asKzError(new ImageError('vmlinuz: truncated'), 'vmlinuz')!.lines(), ['vmlinuz: truncated']);
  assert.deepEqual(asKzError(new KzError('--workers 0: expected at least 1'), 'vmlinuz')!.lines(), ['--workers 0: expected at least 1']);
  assert.equal(asKzError(new TypeError('x')), undefined);
  assert.equal(asKzError('a string'), undefined);
});

test('excerpt: short, escaped, never the whole file', () => {
  assert.equal(excerpt('root:x:0:0'), '"root:x:0:0"');
  assert.equal(excerpt('a\nb\u0000\u00ff'), '"a\\nb\\u0000\\u00ff"');
  const long = excerpt('y'.repeat(1_000_000));
  assert.ok(long.length < 100, long);
  assert.match(long, /\(1000000 characters\)$/);
});
