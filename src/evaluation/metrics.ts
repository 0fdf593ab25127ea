/**
 * The metric catalogue: every faithfulness figure of a scorecard once, with its id, label, direction, unit,
 * display format and group. The text table (format.ts), the report (experiment/report-data.ts), the verdict
 * (experiment/verdict.ts) and the benchmarks (bench/lib/paper-metrics.ts) all read it, so a metric has one
 * name everywhere. Robustness figures, which come from the robustness report, extend it in
 * robustness/metrics.ts with the same shape. Adding a metric: one entry here (or there).
 */
import type { Metric, ModelCard, Scorecard } from './schema.js';

export type MetricGroup = 'quality' | 'agreement' | 'similarity' | 'ood' | 'robustness';

/** Section titles of the groups, in the order they are shown. */
export const METRIC_GROUPS: Record<MetricGroup, string> = {
  quality: 'Task quality (ID test)',
  agreement: 'Agreement with the teacher',
  similarity: 'Representation similarity to the teacher',
  ood: 'OOD detection',
  robustness: 'Robustness (kNN classifier, corrupted test subset)',
};

export interface MetricInfo {
  /** Stable id, e.g. 'quality.knn', 'ood.fashion.knn.auroc'. */
  id: string;
  group: MetricGroup;
  /** Section heading (the group's title, or per OOD set). */
  section: string;
  label: string;
  direction: 'higher' | 'lower';
  /** What the number is: a fraction of images/pairs, a correlation, a cosine difference or an error ratio. */
  unit: 'fraction' | 'correlation' | 'cosine' | 'ratio';
  /** How to show it: fractions as percentages, the rest as decimals. */
  format: 'percent' | 'decimal';
  /** Whether the teacher has this figure (agreement and similarity are measured against the teacher). */
  teacher: boolean;
  /** Part of the win/tie/loss verdict between two students. */
  headline: boolean;
  /** Chance level or worse: a value at or past it is a failure, never highlighted as best (report). */
  failAt?: number;
}

/** A figure read from one model's card. */
export interface CardMetric extends MetricInfo {
  pick(card: ModelCard): Metric | undefined;
}

export const higherIsBetter = (m: MetricInfo): boolean => m.direction === 'higher';

type Options = Partial<Pick<MetricInfo, 'direction' | 'unit' | 'format' | 'teacher' | 'headline' | 'section' | 'failAt'>>;

function metric(id: string, group: MetricGroup, label: string, pick: (c: ModelCard) => Metric | undefined, o: Options = {}): CardMetric {
  const unit = o.unit ?? 'fraction';
  return {
    id, group, section: o.section ?? METRIC_GROUPS[group], label, direction: o.direction ?? 'higher', unit,
    format: o.format ?? (unit === 'fraction' ? 'percent' : 'decimal'), teacher: o.teacher ?? false, headline: o.headline ?? false,
    ...(o.failAt !== undefined ? { failAt: o.failAt } : {}), pick,
  };
}

export type OodStatistic = 'auroc' | 'fpr95IdPositive' | 'fpr95OodPositive' | 'auprIn' | 'auprOut' | 'teacherSpearman';

/** The OOD score's statistic on one set, undefined when not computed (a skipped set or score gives its reason). */
export function pickOod(card: ModelCard, set: string, score: string, key: OodStatistic): Metric | undefined {
  const r = card.ood[set];
  if (!r) return undefined;
  if ('skipped' in r) return { skipped: r.skipped };
  const s = r.scores[score];
  if (!s) return undefined;
  if ('skipped' in s) return { skipped: s.skipped };
  return s[key];
}

/** The figures of one OOD score on one set. */
export function oodMetrics(set: string, score: string): CardMetric[] {
  const section = `${METRIC_GROUPS.ood}: ${set}`;
  const p = (key: OodStatistic) => (c: ModelCard) => pickOod(c, set, score, key);
  const base = `ood.${set}.${score}`;
  return [
    metric(`${base}.auroc`, 'ood', `${score}: AUROC`, p('auroc'), { section, teacher: true, headline: score === 'knn', failAt: 0.5 }),
    metric(`${base}.fpr95`, 'ood', `${score}: FPR@95 (ID+)`, p('fpr95IdPositive'), { section, teacher: true, direction: 'lower', failAt: 0.95 }),
    metric(`${base}.fpr95OodPositive`, 'ood', `${score}: FPR@95 (OOD+)`, p('fpr95OodPositive'), { section, teacher: true, direction: 'lower' }),
    metric(`${base}.auprIn`, 'ood', `${score}: AUPR-In`, p('auprIn'), { section, teacher: true }),
    metric(`${base}.auprOut`, 'ood', `${score}: AUPR-Out`, p('auprOut'), { section, teacher: true }),
    metric(`${base}.teacherSpearman`, 'ood', `${score}: score Spearman vs teacher`, p('teacherSpearman'), { section, unit: 'correlation', headline: score === 'knn' }),
  ];
}

/** Every scorecard figure for this card's settings, OOD sets and scores, in display order. */
export function scorecardMetrics(card: Scorecard): CardMetric[] {
  const s = card.settings;
  const list: CardMetric[] = [
    metric('quality.knn', 'quality', `kNN accuracy (k=${s.knnK})`, (c) => c.quality.knn, { teacher: true, headline: true }),
    metric('quality.probe', 'quality', 'Linear-probe accuracy', (c) => c.quality.probe, { teacher: true, headline: true }),
    metric('agreement.knn', 'agreement', 'kNN prediction agreement', (c) => c.agreement?.knn, { headline: true }),
    metric('agreement.probe', 'agreement', 'Probe prediction agreement', (c) => c.agreement?.probe, { headline: true }),
    metric('agreement.retrievalTop1', 'agreement', 'Same nearest neighbour', (c) => c.agreement?.retrievalTop1, { headline: true }),
    metric('agreement.retrievalTopK', 'agreement', `Top-${s.retrievalK} neighbour overlap`, (c) => c.agreement?.retrievalTopKOverlap),
    metric('similarity.cka', 'similarity', `Linear CKA${s.normalizeForCka ? ' (L2-normalised)' : ''}`, (c) => c.similarity?.cka, { unit: 'correlation', headline: true }),
    metric('similarity.mutualKnn', 'similarity', `Mutual ${s.mutualK}-NN overlap`, (c) => c.similarity?.mutualKnn, { format: 'decimal', headline: true }),
    metric('similarity.cosinePearson', 'similarity', 'Pairwise-cosine Pearson', (c) => c.similarity?.cosinePearson, { unit: 'correlation' }),
    metric('similarity.cosineSpearman', 'similarity', 'Pairwise-cosine Spearman', (c) => c.similarity?.cosineSpearman, { unit: 'correlation', headline: true }),
    metric('similarity.cosineMAD', 'similarity', 'Pairwise-cosine mean |diff|', (c) => c.similarity?.cosineMeanAbsDiff, { unit: 'cosine', direction: 'lower' }),
  ];
  for (const [set, result] of Object.entries(card.teacher.ood)) {
    const scores = 'scores' in result ? Object.keys(result.scores) : [];
    for (const score of scores) list.push(...oodMetrics(set, score));
  }
  return list;
}
