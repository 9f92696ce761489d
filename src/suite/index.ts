// Suites: schema, loading with located errors, shards, merge (plan/ expands them to cells).
export { formatProblem, YamlFileError, type Problem } from '../located.js';
export { loadSuite, parseSuite, suiteHash, SuiteError, type LoadedSuite } from './load.js';
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
export { suiteSchema, expandLevels, type Suite, type SettingEntry } from './schema.js';
