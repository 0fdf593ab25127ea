/**
 * Plain-language comparison of two students on the faithfulness figures: a win or loss needs the 95% bootstrap
 * intervals not to overlap; otherwise it is a tie. Used by the demo report and bench/paper-claim.
 */
import { compareValues, isValue, TIE_WITHOUT_CI, type Scorecard } from '../evaluation/index.js';
import { higherIsBetter, scorecardMetrics } from '../evaluation/metrics.js';

export { TIE_WITHOUT_CI };

export interface Comparison {
  /** Catalogue id (evaluation/metrics.ts). */
  id: string;
  metric: string;
  a: number;
  b: number;
  higherIsBetter: boolean;
  outcome: 'win' | 'tie' | 'loss';
}

/** Compares student `a` with student `b` on every headline figure of the metric catalogue both have. */
export function compareStudents(card: Scorecard, a: string, b: string): Comparison[] {
  const ca = card.students[a], cb = card.students[b];
  if (!ca || !cb) return [];
  const out: Comparison[] = [];
  for (const m of scorecardMetrics(card).filter((x) => x.headline)) {
    const ma = m.pick(ca), mb = m.pick(cb);
    if (!isValue(ma) || !isValue(mb)) continue;
    const better = higherIsBetter(m);
    const outcome = compareValues(
      { value: ma.value, lo: ma.ci?.lower, hi: ma.ci?.upper }, { value: mb.value, lo: mb.ci?.lower, hi: mb.ci?.upper }, better,
    );
    out.push({ id: m.id, metric: m.label, a: ma.value, b: mb.value, higherIsBetter: better, outcome });
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
