// The layer rules of .dependency-cruiser.cjs hold for src/, and they would
// catch a back-import: a copy of the rules run on a tiny tree with one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectPath } from '../src/project.js';

const depcruise = projectPath('node_modules', '.bin', 'depcruise');
const config = projectPath('.dependency-cruiser.cjs');

function cruise(cwd: string) {
  return spawnSync(depcruise, ['src', '--config', config, '--output-type', 'err'], { cwd, encoding: 'utf8', timeout: 120_000 });
}

/** A tree of SRC files (path -> source) with the project's tsconfig. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-layers-'));
  cpSync(projectPath('tsconfig.json'), join(dir, 'tsconfig.json'));
  for (const [path, src] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), src);
  }
  return dir;
}

test('src/ keeps its layers: no import points up', { timeout: 120_000 }, () => {
  const r = cruise(projectPath());
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('the rules fail on a deliberate back-import, a peer import and a cycle', { timeout: 120_000 }, () => {
  const dir = tree({
    'src/cli/main.ts': "import { f } from '../codecs/table.js';\nexport const g = f;\n",
    'src/codecs/table.ts': "import { g } from '../cli/main.js';\nexport const f = 1;\nexport const h = g;\n",
    'src/model/boards.ts': "import { s } from '../suite/load.js';\nexport const b = s;\n",
    'src/suite/load.ts': 'export const s = 1;\n',
    // the suite's schema and the cold partition are peers too: no exception for suite/schema.ts any more
    'src/suite/schema.ts': "import { LAYOUTS } from '../partition/layout.js';\nexport const l = LAYOUTS;\n",
    'src/partition/layout.ts': "export const LAYOUTS = ['address'];\n",
    'src/errors.ts': "import { f } from './codecs/table.js';\nexport const e = f;\n",
  });
  const r = cruise(dir);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /error layer-codecs-results: src\/codecs\/table\.ts → src\/cli\/main\.ts/);
  assert.match(r.stdout, /error peers-model-partition-suite: src\/model\/boards\.ts → src\/suite\/load\.ts/);
  assert.match(r.stdout, /error peers-model-partition-suite: src\/suite\/schema\.ts → src\/partition\/layout\.ts/);
  assert.match(r.stdout, /error base-imports-nothing-above: src\/errors\.ts → src\/codecs\/table\.ts/);
  assert.match(r.stdout, /error no-circular/);
  const clean = cruise(
    tree({ 'src/cli/main.ts': "import { f } from '../codecs/table.js';\nexport const g = f;\n", 'src/codecs/table.ts': 'export const f = 1;\n' }),
  );
  assert.equal(clean.status, 0, clean.stdout);
});
