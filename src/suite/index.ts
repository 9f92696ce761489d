// Suites: schema, loading with located errors, expansion to cells, shards, merge.
export { formatProblem, YamlFileError, type Problem } from '../located.js';
export { loadSuite, parseSuite, suiteHash, SuiteError, type LoadedSuite } from './load.js';
export { expandSuite, resolveImages, entrySettings, type ExpandedCell, type Expansion, type SuiteImage } from './expand.js';
export {
  balanceShards,
  cellsOfShard,
  parseShard,
  shardFromEnvironment,
  shardText,
  suiteCellCost,
  ShardError,
  MAX_SHARDS,
  type Shard,
  type ShardSource,
} from './shard.js';
export { mergeRuns, MergeError, type MergeSummary } from './merge.js';
export { suiteSchema, expandLevels, LEVEL_RANGE, type Suite, type SettingEntry } from './schema.js';
