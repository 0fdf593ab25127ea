/**
 * Plain-language comparison of two students on the faithfulness figures: a win or loss needs the 95% bootstrap
 * intervals not to overlap; otherwise it is a tie. Used by the demo report and bench/paper-claim.
 */
import { compareValues, isValue, TIE_WITHOUT_CI, type Metric, type ModelCard, type Scorecard } from '../evaluation/index.js';

export { TIE_WITHOUT_CI };

export interface Comparison {
  metric: string;
  a: number;
  b: number;
  higherIsBetter: boolean;
  outcome: 'win' | 'tie' | 'loss';
}

function headline(card: ModelCard): Array<[string, Metric | undefined, boolean]> {
  const rows: Array<[string, Metric | undefined, boolean]> = [
    ['kNN accuracy', card.quality.knn, true],
    ['linear-probe accuracy', card.quality.probe, true],
    ['kNN agreement with teacher', card.agreement?.knn, true],
    ['probe agreement with teacher', card.agreement?.probe, true],
    ['same nearest neighbour as teacher', card.agreement?.retrievalTop1, true],
    ['linear CKA to teacher', card.similarity?.cka, true],
    ['mutual kNN overlap', card.similarity?.mutualKnn, true],
    ['pairwise-cosine Spearman', card.similarity?.cosineSpearman, true],
  ];
  for (const [set, r] of Object.entries(card.ood)) {
    if (!('scores' in r)) continue;
    const knn = r.scores.knn;
    if (knn && 'auroc' in knn) {
      rows.push([`OOD AUROC (${set}, kNN score)`, knn.auroc, true]);
      if (knn.teacherSpearman) rows.push([`OOD score Spearman vs teacher (${set})`, knn.teacherSpearman, true]);
    }
  }
  return rows;
}

/** Compares student `a` with student `b` on every headline figure both have. */
export function compareStudents(card: Scorecard, a: string, b: string): Comparison[] {
  const ca = card.students[a], cb = card.students[b];
  if (!ca || !cb) return [];
  const rowsB = new Map(headline(cb).map(([m, v]) => [m, v]));
  const out: Comparison[] = [];
  for (const [metric, ma, higherIsBetter] of headline(ca)) {
    const mb = rowsB.get(metric);
    if (!isValue(ma) || !isValue(mb)) continue;
    const outcome = compareValues(
      { value: ma.value, lo: ma.ci?.lower, hi: ma.ci?.upper }, { value: mb.value, lo: mb.ci?.lower, hi: mb.ci?.upper }, higherIsBetter,
    );
    out.push({ metric, a: ma.value, b: mb.value, higherIsBetter, outcome });
  }
  return out;
}

/** Markdown paragraph: where `a` wins, ties and loses against `b`. */
export function verdictMarkdown(card: Scorecard, a: string, b: string): string {
  const cmp = compareStudents(card, a, b);
  if (cmp.length === 0) return `No comparable figures for ${a} and ${b}.`;
  const fmt = (c: Comparison) => `${c.metric} (${c.a.toFixed(3)} vs ${c.b.toFixed(3)})`;
  const list = (o: Comparison['outcome']) => cmp.filter((c) => c.outcome === o).map(fmt);
  const wins = list('win'), ties = list('tie'), losses = list('loss');
  return [
    `**${a} vs ${b}** (a win or loss needs non-overlapping 95% bootstrap intervals, or a difference of at least ${TIE_WITHOUT_CI} where a figure has no interval):`,
    '',
    `- ${a} wins (${wins.length}): ${wins.join('; ') || 'none'}`,
    `- ties (${ties.length}): ${ties.join('; ') || 'none'}`,
    `- ${a} loses (${losses.length}): ${losses.join('; ') || 'none'}`,
  ].join('\n');
}
