/** Writes report.html, summary.md and report-data.json side by side, each atomically. */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { renderHtmlReport } from './html.js';
import { renderMarkdownSummary } from './markdown.js';
import { normalizeReportData, stringifyReportData } from './normalize.js';
import { sealJsonText } from './seal.js';
import type { ReportData } from './types.js';

export interface WrittenReport {
  html: string;
  markdown: string;
  json: string;
}

/** Renders and writes the report into `outDir`; returns the three file paths. */
export async function writeReport(outDir: string, data: ReportData): Promise<WrittenReport> {
  const json = await normalizeReportData(data);
  const html = await renderHtmlReport(json);
  const markdown = renderMarkdownSummary(json);
  const paths = { html: join(outDir, 'report.html'), markdown: join(outDir, 'summary.md'), json: join(outDir, 'report-data.json') };
  // Data first: if rendering ever breaks later, the data to re-render from is already safe.
  await writeFileAtomic(paths.json, sealJsonText(stringifyReportData(json)));
  await writeFileAtomic(paths.markdown, markdown);
  await writeFileAtomic(paths.html, html);
  return paths;
}
