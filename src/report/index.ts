// Reports: a results directory read into a Report, rendered as Markdown (the
// terminal summary) and as a self-contained HTML page with charts.
export { buildReport, ReportError, type BuildOptions, type Report, type RunInfo } from './load.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml, CSP } from './html.js';
export { renderSvg, ratioSpeedChart, sectionSizeChart, modelFrontierChart, type Chart } from './charts.js';
export { modelPoints, readModelCsv, type ModelPoint, type ModelResults } from './model.js';
export {
  summarize,
  keyWithoutBackend,
  profileKey,
  versus,
  type AlgorithmBest,
  type FailedCell,
  type ImageContext,
  type ImageReport,
  type SectionPoint,
  type SettingSummary,
  type Summary,
  type Versus,
} from './summary.js';
