// Plans: a request (a suite file, or a command's flags) turned into the cells a run compresses.
export { expandSuite, resolveImages, entrySettings, type ExpandedCell, type Expansion, type SuiteImage } from './expand.js';
export { asFlags, codecEntries, FlagError, flagSettings, flagSuite, isFlagSuite, type FlagImage, type FlagRequest } from './flags.js';
export { defaultImage, flagRunPlan, recordedRequest, suiteRunPlan, timestamp, type RunPlan, type RunRequest } from './run.js';
export { attachKernelDecoders, type KernelDecoderInfo } from './decoders.js';
