// Writes docs/boot-model-validation.md: the board model (src/model/cores.ts, validation.ts)
// against every published pair of decompression times on one machine
// (data/published-decompression.csv), with the counted instructions
// (data/kernel-decoder-instructions.csv). Nothing here is measured anew; it
// is a function of those three tables, so it is regenerated whenever they
// change.
//
// usage: node dist/scripts/boot-model-validation.js [--check]
//   --check: exit 1 when the file on disk differs from what the tables give
import { readFileSync, writeFileSync } from 'node:fs';
import { validationMarkdown } from '../src/model/validation-page.js';
import { projectPath } from '../src/project.js';
import { guarded } from '../src/cli/guarded.js';

await guarded(undefined, () => {
  const file = projectPath('docs', 'boot-model-validation.md');
  const text = validationMarkdown();
  if (process.argv.includes('--check')) {
    const have = readFileSync(file, 'utf8');
    if (have !== text) {
      process.stderr.write(`${file} is out of date: run node dist/scripts/boot-model-validation.js\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(file, text);
    process.stdout.write(text);
  }
});
