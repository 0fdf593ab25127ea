/** Report stage: ReportData -> self-contained HTML report, Markdown summary and re-renderable JSON. */
export * from './types.js';
export { parseReportData, describeIssue, formatPath } from './validate.js';
export { normalizeReportData, stringifyReportData, toJsonValue } from './normalize.js';
export { renderHtmlReport, markdownToHtml, flattenConfig } from './html.js';
export { renderMarkdownSummary } from './markdown.js';
export { writeReport, type WrittenReport } from './write.js';
export { readReportData } from './read.js';
export { pca2d, alignSigns, type Projection2d, type PcaOptions } from './pca-2d.js';
export { encodePngDataUri, decodePngDataUri } from './png.js';
export { pearson, spearman } from './stats.js';
