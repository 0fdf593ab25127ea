/**
 * The faithfulness figures bench/paper-claim aggregates: which numbers are read from a scorecard and a
 * robustness report, their direction, mean ± std over seeds, and TinTeM's win/tie/loss against each baseline.
 *
 * Win/tie/loss (paired over seeds, every seed evaluated on the same images): TinTeM wins a figure against a
 * baseline when it is better in EVERY seed AND the mean difference exceeds the larger of the two across-seed
 * standard deviations and MIN_DIFFERENCE; it loses under the mirror condition; anything else is a tie.
 */
import { isValue, type Metric, type ModelCard, type Scorecard } from '../../src/evaluation/index.js';
import { higherIsBetter, scorecardMetrics } from '../../src/evaluation/metrics.js';
import type { RobustnessReport } from '../../src/robustness/index.js';
import { robustnessMetrics } from '../../src/robustness/metrics.js';
import { mean } from '../../src/util/stats.js';

export const TEACHER = 'teacher';

/** Differences below this (0.1 points on a percentage, 0.001 on a correlation) are ties whatever the spread. */
export const MIN_DIFFERENCE = 0.001;

export interface MetricDef {
  id: string;
  section: string;
  label: string;
  higherIsBetter: boolean;
  percent: boolean;
  /** Whether the figure exists for the teacher (agreement and similarity are measured against it). */
  teacher: boolean;
  pick(model: string, card: Scorecard, robustness?: RobustnessReport): number | undefined;
}

const num = (m: Metric | undefined): number | undefined => (isValue(m) ? m.value : undefined);
const cardOf = (card: Scorecard, model: string): ModelCard | undefined => (model === TEACHER ? card.teacher : card.students[model]);

/**
 * Every figure the aggregate reports: the metric catalogue's (src/evaluation/metrics.ts, src/robustness/metrics.ts)
 * for the OOD sets and scores present in a (representative) scorecard. The FPR@95 with OOD positive is left out
 * (the ID-positive one is reported, as in the report).
 */
export function metricDefs(card: Scorecard, robustness?: RobustnessReport): MetricDef[] {
  const defs: MetricDef[] = scorecardMetrics(card)
    .filter((m) => !m.id.endsWith('.fpr95OodPositive') && (m.group !== 'ood' || ['knn', 'mahalanobis'].includes(m.id.split('.').at(-2)!)))
    .map((m) => ({
      id: m.id, section: m.section, label: m.label, higherIsBetter: higherIsBetter(m), percent: m.format === 'percent', teacher: m.teacher,
      pick: (model, c) => { const mc = cardOf(c, model); return mc ? num(m.pick(mc)) : undefined; },
    }));
  if (robustness) {
    for (const m of robustnessMetrics(robustness, TEACHER)) {
      defs.push({
        id: m.id, section: m.section, label: m.label, higherIsBetter: higherIsBetter(m), percent: m.format === 'percent', teacher: m.teacher,
        pick: (model, _card, r) => (r ? m.value(r, model) : undefined),
      });
    }
  }
  return defs;
}

export interface SeedEvaluation {
  seed: number;
  scorecard: Scorecard;
  robustness?: RobustnessReport;
}

export interface Stat {
  /** One value per seed, in seed order (null where the figure was not computed). */
  values: Array<number | null>;
  mean: number | null;
  /** Sample standard deviation over seeds (n - 1); 0 for a single seed. */
  std: number | null;
  n: number;
}

export type Outcome = 'win' | 'tie' | 'loss';

export interface Comparison {
  baseline: string;
  /** Mean over seeds of (TinTeM - baseline), in the figure's own units. */
  meanDiff: number;
  /** Seeds where TinTeM is better / worse. */
  better: number;
  worse: number;
  outcome: Outcome;
}

export interface MetricAggregate {
  id: string;
  section: string;
  label: string;
  higherIsBetter: boolean;
  percent: boolean;
  models: Record<string, Stat>;
  comparisons: Comparison[];
}

export function stat(values: Array<number | null>): Stat {
  const xs = values.filter((v): v is number => v !== null);
  if (xs.length === 0) return { values, mean: null, std: null, n: 0 };
  const m = mean(xs);
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1)) : 0;
  return { values, mean: m, std, n: xs.length };
}

/** The paired win/tie/loss rule stated at the top of this file. */
export function compare(a: Stat, b: Stat, higherIsBetter: boolean, baseline: string): Comparison | undefined {
  const pairs = a.values.map((x, i) => [x, b.values[i] ?? null] as const).filter((p): p is readonly [number, number] => p[0] !== null && p[1] !== null);
  if (pairs.length === 0) return undefined;
  const diffs = pairs.map(([x, y]) => x - y);
  const meanDiff = mean(diffs);
  const sign = higherIsBetter ? 1 : -1;
  const better = diffs.filter((d) => sign * d > 0).length;
  const worse = diffs.filter((d) => sign * d < 0).length;
  const spread = Math.max(a.std ?? 0, b.std ?? 0, MIN_DIFFERENCE);
  let outcome: Outcome = 'tie';
  if (better === pairs.length && Math.abs(meanDiff) > spread) outcome = 'win';
  else if (worse === pairs.length && Math.abs(meanDiff) > spread) outcome = 'loss';
  return { baseline, meanDiff, better, worse, outcome };
}

/** Mean ± std per model and TinTeM's comparison with each baseline, for every figure. */
export function aggregate(evals: SeedEvaluation[], models: string[], focus = 'tintem'): MetricAggregate[] {
  const first = evals[0];
  if (!first) return [];
  const defs = metricDefs(first.scorecard, first.robustness);
  return defs.map((d) => {
    const stats: Record<string, Stat> = {};
    for (const model of [TEACHER, ...models]) {
      if (model === TEACHER && !d.teacher) continue;
      stats[model] = stat(evals.map((e) => d.pick(model, e.scorecard, e.robustness) ?? null));
    }
    const comparisons: Comparison[] = [];
    const own = stats[focus];
    if (own) {
      for (const baseline of models.filter((m) => m !== focus)) {
        const c = stats[baseline] && compare(own, stats[baseline]!, d.higherIsBetter, baseline);
        if (c) comparisons.push(c);
      }
    }
    return { id: d.id, section: d.section, label: d.label, higherIsBetter: d.higherIsBetter, percent: d.percent, models: stats, comparisons };
  });
}
