// analyze: offline validation and cross-checks of configuration files (`maille analyze`).
export { analyze, type SourceFile } from './analyze.js';
export { formatFinding, summary } from './format.js';
export { DEFAULT_OPTIONS, type AnalyzeOptions, type Finding, type Severity } from './types.js';
