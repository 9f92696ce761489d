// The layers of src/ (shared/DESIGN.md, docs/decisions/0004-layers-and-lint.md): an
// import only points down. `npm run lint` checks them; test/layers.test.ts
// shows the rules fail on a deliberate back-import.
const LAYERS = [
  ['cli'],
  ['plan', 'report', 'diff', 'scale'],
  ['model', 'partition', 'suite'],
  ['run', 'units'],
  ['image', 'pool', 'corpus', 'kdecoder'],
  ['codecs', 'results'],
  // the bottom: statistics and timing, and the files directly in src/ (errors, files, located YAML, project paths)
  ['measure'],
];

const dirs = (names) => `^src/(${names.join('|')})/`;
const layerRules = LAYERS.slice(1).map((layer, i) => ({
  name: `layer-${layer.join('-')}`,
  comment: `${layer.join(', ')} may not import from the layers above: ${LAYERS.slice(0, i + 1)
    .flat()
    .join(', ')}`,
  severity: 'error',
  from: { path: dirs(layer) },
  to: { path: dirs(LAYERS.slice(0, i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'base-imports-nothing-above',
      comment: 'the files directly in src/ (errors, files, located, project) are the bottom layer',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/' },
    },
    {
      name: 'peers-model-partition-suite',
      comment:
        'the board model, traces/partitions and suite files are independent of each other: plan/ builds cells from them, ' +
        'and what two of them name (cold layouts, trace formats) lives below, in units/cold.ts',
      severity: 'error',
      from: { path: '^src/(model|partition|suite)/' },
      to: { path: '^src/(model|partition|suite)/', pathNot: ['^src/$1/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-not-from-test',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
