// Plans: a request (a suite file, or a command's flags) turned into the cells a run compresses.
export { expandSuite, resolveImages, entrySettings, type ExpandedCell, type Expansion, type SuiteImage } from './expand.js';
