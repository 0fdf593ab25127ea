/** Turns an evaluation (scorecard, robustness, samples) and the runs' training logs into the report's data. */
import { backendInfo } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import { isValue, type Metric, type ModelCard, type Scorecard } from '../evaluation/index.js';
import { higherIsBetter, scorecardMetrics, type CardMetric } from '../evaluation/metrics.js';
import { robustnessMetrics } from '../robustness/metrics.js';
import { finiteOrNull, meanOfPresent } from '../util/stats.js';
import type { ReportData, ScoreCell, ScoreRow, ScoreSection, RocSet, PixelImage } from '../report/types.js';
import { readRunLog } from '../training/run-folder.js';
import type { RobustnessReport } from '../robustness/index.js';
import { TEACHER_ID, type EvaluationResult } from './evaluate.js';
import { buildVerdict } from './report-verdict.js';
import { addExportedToVerdict } from './exported-compare.js';
import { HELD_OUT_TERMS } from '../report/types.js';
import type { LoadedRun } from './load-run.js';

export const TINTEM_VERSION = '0.1.0';

function cell(m: Metric | undefined): ScoreCell {
  if (m === undefined) return { skipped: 'not computed' };
  if (!isValue(m)) return { skipped: m.skipped };
  return m.ci ? { value: m.value, lo: m.ci.lower, hi: m.ci.upper } : { value: m.value };
}

/** The teacher's cell for figures measured against the teacher. */
const TEACHER_REFERENCE: ScoreCell = { skipped: 'the teacher is the reference: compared with itself this is not a measurement' };

function row(card: Scorecard, m: CardMetric, opts: { note?: string; hidden?: string } = {}): ScoreRow {
  const cells: Record<string, ScoreCell> = {};
  cells[TEACHER_ID] = m.teacher ? cell(m.pick(card.teacher)) : TEACHER_REFERENCE;
  for (const [name, c] of Object.entries(card.students)) cells[name] = cell(m.pick(c));
  return {
    metric: m.label, higherIsBetter: higherIsBetter(m), format: m.format, cells, note: opts.note,
    ...(m.failAt !== undefined ? { failAt: m.failAt } : {}), ...(opts.hidden ? { hidden: opts.hidden } : {}),
  };
}

/** Why the logit-based OOD scores are collapsed by default (they often sit below 50% AUROC). */
const LOGIT_SCORES_NOTE = 'Energy and MSP read the logits of the linear probe fitted on the ID labels, not the embedding itself. '
  + 'A probe is often more confident on far-OOD inputs (noise, photos) than on ID images, so these scores can rank OOD as '
  + 'more in-distribution: an AUROC below 50% means the score is inverted for that set, not that the embedding cannot '
  + 'separate it (the kNN and Mahalanobis rows judge the embedding).';

/** The mutual-kNN chance level (seeded permutation) as a note, so it is not ranked like a score. */
function chanceNote(card: Scorecard): string {
  const levels = Object.entries(card.students).map(([name, c]) => {
    const m = c.similarity?.mutualKnnChance;
    return isValue(m) ? `${name} ${m.value.toFixed(3)}` : undefined;
  }).filter(Boolean);
  return levels.length ? `chance level from a seeded permutation: ${levels.join(', ')}` : 'chance level not computed';
}

/** The report's scorecard sections: the metric catalogue's figures, grouped by section, in catalogue order. */
function scorecardSections(card: Scorecard, robustness?: RobustnessReport): ScoreSection[] {
  const sections = new Map<string, ScoreRow[]>();
  const add = (section: string, r: ScoreRow) => sections.set(section, [...(sections.get(section) ?? []), r]);
  for (const m of scorecardMetrics(card)) {
    if (m.id.endsWith('.fpr95OodPositive')) continue; // the report shows FPR@95 with ID positive only
    const score = m.group === 'ood' ? m.id.split('.').at(-2) : undefined;
    add(m.section, row(card, m, {
      note: m.id === 'similarity.mutualKnn' ? chanceNote(card) : undefined,
      hidden: score === 'energy' || score === 'msp' ? LOGIT_SCORES_NOTE : undefined,
    }));
  }
  const out: ScoreSection[] = [...sections].map(([name, rows]) => ({ name, rows }));
  if (robustness) {
    const models = [TEACHER_ID, ...Object.keys(card.students)];
    out.push({
      name: `Robustness (${robustness.count} test images, kNN)`,
      rows: robustnessMetrics(robustness, TEACHER_ID).map((m) => ({
        metric: m.label, higherIsBetter: higherIsBetter(m), format: m.format,
        cells: Object.fromEntries(models.map((id) => {
          const v = m.value(robustness, id);
          return [id, id === TEACHER_ID && !m.teacher ? { skipped: 'reference' } : v === undefined ? { skipped: 'not computed' } : { value: v }];
        })),
      })),
    });
  }
  return out;
}

function rocSets(card: Scorecard): RocSet[] {
  const sets: RocSet[] = [];
  const all: Record<string, ModelCard> = { [TEACHER_ID]: card.teacher, ...card.students };
  for (const setName of Object.keys(card.teacher.ood)) {
    const t = card.teacher.ood[setName];
    if (!t || !('scores' in t)) continue;
    for (const score of ['knn', 'mahalanobis']) {
      const models: RocSet['models'] = {};
      for (const [id, c] of Object.entries(all)) {
        const r = c.ood[setName];
        const s = r && 'scores' in r ? r.scores[score] : undefined;
        if (s && 'roc' in s) models[id] = { fpr: s.roc.fpr, tpr: s.roc.tpr, auroc: isValue(s.auroc) ? s.auroc.value : null };
      }
      if (Object.keys(models).length) sets.push({ set: setName, score, models });
    }
  }
  return sets;
}

function robustnessSeries(r: RobustnessReport, models: string[]): NonNullable<ReportData['robustness']> {
  const severities = [0, ...r.severities];
  const series = (cells: RobustnessReport['cells'], m: string, key: 'accuracy' | 'agreement') => {
    const clean = key === 'accuracy' ? r.clean.accuracy[m] : r.clean.agreement[m];
    return [clean ?? null, ...r.severities.map((s) => finiteOrNull(meanOfPresent(cells.filter((c) => c.severity === s).map((c) => c[key][m]))))];
  };
  const entry = (name: string, cells: RobustnessReport['cells']) => ({
    name,
    models: Object.fromEntries(models.map((m) => [m, { accuracy: series(cells, m, 'accuracy'), agreement: m === TEACHER_ID ? undefined : series(cells, m, 'agreement') }])),
  });
  return {
    severities,
    corruptions: [entry('mean', r.cells), ...r.corruptions.map((c) => entry(c, r.cells.filter((x) => x.corruption === c)))],
  };
}

function thumbnail(set: ImageSet, i: number): PixelImage {
  const per = set.height * set.width * set.channels;
  return { width: set.width, height: set.height, channels: set.channels, pixels: set.pixels.subarray(i * per, (i + 1) * per) };
}

export interface ReportInput {
  title: string;
  config: unknown;
  runs: LoadedRun[];
  teacherLabel: string;
  evaluation: EvaluationResult;
  train: ImageSet;
  test: ImageSet;
  notes?: string;
}

export function buildReportData(input: ReportInput): ReportData {
  const { evaluation: ev, runs, train, test } = input;
  const card = ev.scorecard;
  const studentIds = Object.keys(card.students);
  const curves: ReportData['curves'] = {};
  for (const run of runs) {
    // distill --monitor: the label-free figures on the held-out slice, once an epoch, as their own curves.
    const heldOut = (lf: Record<string, number> | undefined): Record<string, number | null> => (lf ? { [HELD_OUT_TERMS.cka]: lf.cka ?? null, [HELD_OUT_TERMS.mutualKnn]: lf.mutualKnn ?? null, [HELD_OUT_TERMS.rankMe]: lf.rankMe ?? null } : {});
    curves[run.name] = readRunLog(run.runDir, run.summary).map((r) => ({ step: r.step, epoch: r.epoch, lr: r.lr, terms: { ...r.terms, ...heldOut(r.labelFree) } }));
  }
  const labelOf = (set: ImageSet, i: number) => (set.labels ? set.labels[i] : undefined);
  return {
    version: 1,
    title: input.title,
    createdAt: new Date().toISOString(),
    tintemVersion: TINTEM_VERSION,
    backend: backendInfo()?.name ?? 'unknown',
    config: input.config,
    models: [
      // The teacher column shows the features the students were trained against: say when they were normalised.
      { id: TEACHER_ID, label: runs[0]?.teacherNorm ? `${input.teacherLabel}, teacherNorm ${runs[0].teacherNorm.mode}` : input.teacherLabel, role: 'teacher' },
      ...runs.map((r) => ({ id: r.name, label: `student (${r.summary.method.name}${studentArchitecture(r.summary.student)})`, role: 'student' as const, method: r.summary.method.name, params: r.summary.student.params })),
      ...(ev.exported ?? []).map((e) => ({ id: e.model, label: `${e.form} export of ${e.reference}`, role: 'student' as const })),
    ],
    curves,
    scorecard: { columns: [TEACHER_ID, ...studentIds], sections: scorecardSections(card, ev.robustness) },
    roc: rocSets(card),
    robustness: ev.robustness ? robustnessSeries(ev.robustness, [TEACHER_ID, ...studentIds]) : undefined,
    similarity: Object.entries(ev.samples.similarity).map(([model, s]) => {
      // The titles show the scorecard's figures, so the chart and the table never disagree.
      const sim = card.students[model]?.similarity;
      const figures = { ...(isValue(sim?.cosinePearson) ? { pearson: sim.cosinePearson.value } : {}), ...(isValue(sim?.cosineSpearman) ? { spearman: sim.cosineSpearman.value } : {}) };
      return { model, teacherCos: s.teacherCos, studentCos: s.studentCos, ...figures };
    }),
    maps: {
      labels: test.labels ? ev.samples.mapIndices.map((i) => test.labels![i]!) : undefined,
      labelNames: test.classNames,
      models: Object.entries(ev.samples.maps).map(([model, embeddings]) => ({ model, embeddings })),
    },
    neighbours: {
      labelNames: test.classNames,
      queries: ev.samples.neighbours.map((q) => ({
        image: thumbnail(test, q.query),
        label: labelOf(test, q.query),
        neighbours: Object.fromEntries(Object.entries(q.byModel).map(([m, list]) => [m, list.map((n) => ({
          image: thumbnail(train, n.index), label: labelOf(train, n.index), similarity: n.similarity,
        }))])),
      })),
    },
    verdict: addExportedToVerdict(buildVerdict(card, ev.robustness, {}, ev.floors), ev.exported),
    notes: input.notes,
    omitted: ev.robustness ? undefined : { robustness: 'robustness evaluation was not run (--no-robustness or no labels)' },
  };
}

/** The student's preset, FLOPs per image and token grid (kept short: the label names the model in the charts too), for runs that recorded them. */
function studentArchitecture(s: { preset?: string; flops?: number; tokenGrid?: number }): string {
  if (s.preset === undefined) return '';
  const flops = s.flops === undefined ? '' : `, ${(s.flops / 1e9).toFixed(s.flops >= 1e9 ? 2 : 3)} GFLOPs`;
  const grid = s.tokenGrid === undefined ? '' : `, ${s.tokenGrid}x${s.tokenGrid} tokens`;
  return `; ${s.preset}${flops}${grid}`;
}
