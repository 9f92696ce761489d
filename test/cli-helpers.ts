// Running the CLI from tests: the built bin, and the one-line error contract.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { projectPath } from '../src/project.js';

export const bin = projectPath('bin', 'kzbench.js');

export function kz(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
}

/** Exit 2, one line on stderr matching `pattern`, no stack trace. */
export function oneLineError(r: ReturnType<typeof kz>, pattern: RegExp): void {
  assert.equal(r.status, 2, `exit status: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\s+at .*\.js:\d+/, 'no stack trace');
}
