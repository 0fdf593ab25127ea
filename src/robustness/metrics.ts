/**
 * The robustness figures of the metric catalogue (see evaluation/metrics.ts for the shape and the scorecard's
 * figures): read from a robustness report instead of a model's card.
 */
import { METRIC_GROUPS, type MetricInfo } from '../evaluation/metrics.js';
import { meanOfPresent } from '../util/stats.js';
import type { RobustnessReport } from './evaluate.js';

/** A figure read from a robustness report for one model (undefined where it was not computed). */
export interface RobustnessMetric extends MetricInfo {
  value(report: RobustnessReport, model: string): number | undefined;
}

const finite = (v: number | null | undefined): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function metric(id: string, label: string, get: (r: RobustnessReport, model: string) => number | null | undefined,
  o: Partial<Pick<MetricInfo, 'direction' | 'unit' | 'format' | 'teacher'>> = {}): RobustnessMetric {
  const unit = o.unit ?? 'fraction';
  return {
    id: `robustness.${id}`, group: 'robustness', section: METRIC_GROUPS.robustness, label, direction: o.direction ?? 'higher', unit,
    format: o.format ?? (unit === 'fraction' ? 'percent' : 'decimal'), teacher: o.teacher ?? false, headline: false,
    value: (r, model) => finite(get(r, model)),
  };
}

/** Every robustness figure of a report; `teacher` names the teacher's model id in it. */
export function robustnessMetrics(report: RobustnessReport, teacher = 'teacher'): RobustnessMetric[] {
  return [
    metric('clean', 'Clean accuracy', (r, m) => r.clean.accuracy[m], { teacher: true }),
    metric('meanCorrupted', 'Mean corrupted accuracy', (r, m) => meanOfPresent(r.cells.map((c) => c.accuracy[m])), { teacher: true }),
    metric('mCE', `mCE vs ${report.reference}`, (r, m) => r.summary[m]?.mCE, { unit: 'ratio', direction: 'lower', teacher: report.reference !== teacher }),
    metric('agreement', 'Mean agreement under corruption', (r, m) => meanOfPresent(r.cells.map((c) => c.agreement[m]))),
    metric('trackingPearson', 'Degradation-curve Pearson vs teacher', (r, m) => r.tracking[m]?.pearson, { unit: 'correlation' }),
    metric('trackingGap', 'Degradation-curve mean |gap|', (r, m) => r.tracking[m]?.meanAbsGap, { format: 'decimal', direction: 'lower' }),
  ];
}
