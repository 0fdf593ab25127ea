/** Writes an evaluation's outputs (scorecard JSON, robustness JSON, HTML/Markdown report) and prints the table. */
import { join, resolve } from 'node:path';
import { formatScorecard } from '../evaluation/index.js';
import { writeReport } from '../report/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { EvalSets, EvaluationResult } from './evaluate.js';
import { buildReportData } from './report-data.js';
import type { LoadedRun } from './load-run.js';
import { verdictMarkdown } from './verdict.js';

export interface PublishOptions {
  outDir: string;
  title: string;
  config: unknown;
  runs: LoadedRun[];
  teacherLabel: string;
  evaluation: EvaluationResult;
  sets: EvalSets;
  report: boolean;
  /** Markdown shown before the verdict (e.g. what the evaluation labels are). */
  preface?: string;
}

export async function publishEvaluation(opts: PublishOptions): Promise<{ scorecard: string; report?: string }> {
  const { outDir, evaluation, runs } = opts;
  const scorecardPath = join(outDir, 'scorecard.json');
  await writeFileAtomic(scorecardPath, `${JSON.stringify(evaluation.scorecard, null, 2)}\n`);
  if (evaluation.robustness) await writeFileAtomic(join(outDir, 'robustness.json'), `${JSON.stringify(evaluation.robustness, null, 2)}\n`);
  const verdict = runs.length >= 2 ? verdictMarkdown(evaluation.scorecard, runs[0]!.name, runs[1]!.name) : undefined;
  const notes = [opts.preface, verdict].filter(Boolean).join('\n\n') || undefined;
  process.stdout.write(`\n${formatScorecard(evaluation.scorecard)}\n`);
  if (notes) process.stdout.write(`\n${notes}\n`);
  let report: string | undefined;
  if (opts.report) {
    const data = buildReportData({
      title: opts.title, config: opts.config, runs, teacherLabel: opts.teacherLabel, evaluation,
      train: opts.sets.train, test: opts.sets.test, notes,
    });
    report = (await writeReport(join(outDir, 'report'), data)).html;
    process.stdout.write(`\nreport: ${resolve(report)}`);
  }
  process.stdout.write(`\nscorecard: ${resolve(scorecardPath)}\n`);
  return { scorecard: scorecardPath, report };
}
