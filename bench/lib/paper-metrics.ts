/**
 * The faithfulness figures bench/paper-claim aggregates: which numbers are read from a scorecard and a
 * robustness report, their direction, mean ± std over seeds, and TinTeM's win/tie/loss against each baseline.
 *
 * Win/tie/loss (paired over seeds, every seed evaluated on the same images): TinTeM wins a figure against a
 * baseline when it is better in EVERY seed AND the mean difference exceeds the larger of the two across-seed
 * standard deviations and MIN_DIFFERENCE; it loses under the mirror condition; anything else is a tie.
 */
import { isValue, type Metric, type ModelCard, type Scorecard } from '../../src/evaluation/index.js';
import type { RobustnessReport } from '../../src/robustness/index.js';

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
const finite = (v: number | null | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const cardOf = (card: Scorecard, model: string): ModelCard | undefined => (model === TEACHER ? card.teacher : card.students[model]);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function cardMetric(id: string, section: string, label: string, get: (c: ModelCard) => Metric | undefined,
  o: { higherIsBetter?: boolean; percent?: boolean; teacher?: boolean } = {}): MetricDef {
  return {
    id, section, label, higherIsBetter: o.higherIsBetter ?? true, percent: o.percent ?? false, teacher: o.teacher ?? false,
    pick: (model, card) => { const c = cardOf(card, model); return c ? num(get(c)) : undefined; },
  };
}

function robustMetric(id: string, label: string, get: (r: RobustnessReport, model: string) => number | null | undefined,
  o: { higherIsBetter?: boolean; percent?: boolean; teacher?: boolean } = {}): MetricDef {
  return {
    id, section: 'Robustness (kNN classifier, corrupted test subset)', label,
    higherIsBetter: o.higherIsBetter ?? true, percent: o.percent ?? false, teacher: o.teacher ?? false,
    pick: (model, _card, r) => (r ? finite(get(r, model)) : undefined),
  };
}

function meanOverCells(r: RobustnessReport, key: 'accuracy' | 'agreement', model: string): number | undefined {
  const xs = r.cells.map((c) => c[key][model]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return xs.length ? mean(xs) : undefined;
}

/** Every figure the aggregate reports, given the OOD sets and scores present in a (representative) scorecard. */
export function metricDefs(card: Scorecard, robustness?: RobustnessReport): MetricDef[] {
  const defs: MetricDef[] = [
    cardMetric('quality.knn', 'Task quality (ID test)', 'kNN accuracy', (c) => c.quality.knn, { percent: true, teacher: true }),
    cardMetric('quality.probe', 'Task quality (ID test)', 'Linear-probe accuracy', (c) => c.quality.probe, { percent: true, teacher: true }),
    cardMetric('agreement.knn', 'Agreement with the teacher', 'kNN prediction agreement', (c) => c.agreement?.knn, { percent: true }),
    cardMetric('agreement.probe', 'Agreement with the teacher', 'Probe prediction agreement', (c) => c.agreement?.probe, { percent: true }),
    cardMetric('agreement.retrievalTop1', 'Agreement with the teacher', 'Same nearest neighbour', (c) => c.agreement?.retrievalTop1, { percent: true }),
    cardMetric('agreement.retrievalTopK', 'Agreement with the teacher', `Top-${card.settings.retrievalK} neighbour overlap`, (c) => c.agreement?.retrievalTopKOverlap, { percent: true }),
    cardMetric('similarity.cka', 'Representation similarity to the teacher', 'Linear CKA', (c) => c.similarity?.cka),
    cardMetric('similarity.mutualKnn', 'Representation similarity to the teacher', `Mutual ${card.settings.mutualK}-NN overlap`, (c) => c.similarity?.mutualKnn),
    cardMetric('similarity.cosinePearson', 'Representation similarity to the teacher', 'Pairwise-cosine Pearson', (c) => c.similarity?.cosinePearson),
    cardMetric('similarity.cosineSpearman', 'Representation similarity to the teacher', 'Pairwise-cosine Spearman', (c) => c.similarity?.cosineSpearman),
    cardMetric('similarity.cosineMAD', 'Representation similarity to the teacher', 'Pairwise-cosine mean |diff|', (c) => c.similarity?.cosineMeanAbsDiff, { higherIsBetter: false }),
  ];
  for (const [set, result] of Object.entries(card.teacher.ood)) {
    if (!('scores' in result)) continue;
    for (const score of ['knn', 'mahalanobis'].filter((s) => s in result.scores)) {
      const section = `OOD detection: ${set}`;
      const pickScore = (key: 'auroc' | 'fpr95IdPositive' | 'auprIn' | 'auprOut' | 'teacherSpearman') => (c: ModelCard): Metric | undefined => {
        const r = c.ood[set];
        const s = r && 'scores' in r ? r.scores[score] : undefined;
        return s && 'auroc' in s ? s[key] : undefined;
      };
      defs.push(
        cardMetric(`ood.${set}.${score}.auroc`, section, `${score}: AUROC`, pickScore('auroc'), { percent: true, teacher: true }),
        cardMetric(`ood.${set}.${score}.fpr95`, section, `${score}: FPR@95 (ID+)`, pickScore('fpr95IdPositive'), { percent: true, teacher: true, higherIsBetter: false }),
        cardMetric(`ood.${set}.${score}.auprIn`, section, `${score}: AUPR-In`, pickScore('auprIn'), { percent: true, teacher: true }),
        cardMetric(`ood.${set}.${score}.auprOut`, section, `${score}: AUPR-Out`, pickScore('auprOut'), { percent: true, teacher: true }),
        cardMetric(`ood.${set}.${score}.teacherSpearman`, section, `${score}: score Spearman vs teacher`, pickScore('teacherSpearman')),
      );
    }
  }
  if (robustness) {
    defs.push(
      robustMetric('robustness.clean', 'Clean accuracy', (r, m) => r.clean.accuracy[m], { percent: true, teacher: true }),
      robustMetric('robustness.meanCorrupted', 'Mean corrupted accuracy', (r, m) => meanOverCells(r, 'accuracy', m), { percent: true, teacher: true }),
      robustMetric('robustness.mCE', `mCE vs ${robustness.reference}`, (r, m) => r.summary[m]?.mCE, { higherIsBetter: false, teacher: robustness.reference !== TEACHER }),
      robustMetric('robustness.agreement', 'Mean agreement under corruption', (r, m) => meanOverCells(r, 'agreement', m), { percent: true }),
      robustMetric('robustness.trackingPearson', 'Degradation-curve Pearson vs teacher', (r, m) => r.tracking[m]?.pearson),
      robustMetric('robustness.trackingGap', 'Degradation-curve mean |gap|', (r, m) => r.tracking[m]?.meanAbsGap, { higherIsBetter: false }),
    );
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
