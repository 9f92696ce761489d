// The model of issue 5: what a kernel image costs in flash, from measured
// data (data/stubs.csv) and measured payloads. See docs/model.md.
export * from './stubs.js';
export * from './image-size.js';
export * from './boards.js';
export * from './xip.js';
export * from './rules.js';
export * from './pick.js';
export * from './pick-image.js';
export * from './formats.js';
export * from './published.js';
export * from './cores.js';
export * from './target-time.js';
export * from './decoder-counts.js';
export * from './branch-miss.js';
export * from './validation.js';
