/**
 * What export costs: each exported form of a student against the fp32 student it came from, on the verdict's
 * figures (agreement with the teacher, linear CKA to the teacher, kNN accuracy, kNN-score OOD AUROC per set).
 * Differences are paired (both models embed the very same images), so their 95% intervals come from one
 * percentile bootstrap over the evaluation images that resamples both models' per-image results together
 * (src/evaluation/bootstrap.ts); a form is "same" as its fp32 student when the interval of the difference holds 0.
 */
import {
  agreementHits, aurocResampler, bootstrapCi, bootstrapMeanCi, knnClassify, knnOodScores, linearCka, nearestNeighbors,
  selectRows, type ConfidenceInterval, type Embeddings, type ModelEmbeddings, type Scorecard,
} from '../evaluation/index.js';
import type { Verdict, VerdictFigure } from '../report/types.js';
import { Rng } from '../util/random.js';

export interface ExportedEntry {
  /** The form's name in the scorecard, e.g. 'tintem [onnx-int8]'. */
  model: string;
  form: string;
  exportDir: string;
  /** The fp32 student's name in the scorecard. */
  reference: string;
}

export interface DifferenceFigure {
  label: string;
  format: 'percent' | 'decimal';
  /** The exported form's value and its fp32 student's, on the same images. */
  value: number;
  reference: number;
  /** value - reference, with its paired 95% bootstrap interval. */
  difference: ConfidenceInterval;
  outcome: 'better' | 'same' | 'worse';
}

export interface ExportedComparison extends ExportedEntry {
  figures: DifferenceFigure[];
}

export interface CompareInput {
  teacher: ModelEmbeddings;
  students: Record<string, ModelEmbeddings>;
  /** Per OOD set: the students' embeddings of it. */
  ood: Record<string, Record<string, Embeddings>>;
  labels?: { train: Int32Array; test: Int32Array };
  entries: ExportedEntry[];
  settings: Scorecard['settings'];
  seed: number;
  /** Resamples for the CKA difference (each one is a CKA of both models; default min(settings, 200)). */
  ckaResamples?: number;
}

const outcomeOf = (ci: ConfidenceInterval): DifferenceFigure['outcome'] =>
  (ci.lower > 0 ? 'better' : ci.upper < 0 ? 'worse' : 'same');

function meanOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : NaN;
}

/** Paired differences of every exported form against its fp32 student. */
export function compareExported(input: CompareInput): ExportedComparison[] {
  const { teacher, students, labels, settings } = input;
  const rng = new Rng(input.seed).fork('exported');
  const opts = (label: string) => ({ seed: rng.fork(label).seed, resamples: settings.bootstrapResamples, level: settings.ciLevel });
  const knnOpts = { k: settings.knnK, temperature: settings.knnTemperature };
  const cache = new Map<string, Int32Array>();
  const predictions = (name: string, e: ModelEmbeddings): Int32Array => {
    if (!cache.has(name)) cache.set(name, knnClassify(e.train, labels!.train, e.test, knnOpts).predictions);
    return cache.get(name)!;
  };
  const nearest = (e: ModelEmbeddings) => nearestNeighbors(e.train, e.test, 1).indices;
  const teacherAnswer = labels ? predictions('\0teacher', teacher) : nearest(teacher);
  const sample = teacher.test.count > settings.similarityMaxPoints
    ? rng.fork('cka-sample').permutation(teacher.test.count).subarray(0, settings.similarityMaxPoints)
    : undefined;
  const rows = (e: Embeddings) => (sample ? selectRows(e, sample) : e);

  return input.entries.map((entry) => {
    const f = students[entry.model]!, r = students[entry.reference]!;
    const figures: DifferenceFigure[] = [];
    const paired = (label: string, format: DifferenceFigure['format'], a: ArrayLike<number>, b: ArrayLike<number>) => {
      const diff = Float64Array.from({ length: a.length }, (_, i) => a[i]! - b[i]!);
      const ci = bootstrapMeanCi(diff, opts(`${entry.model}:${label}`));
      figures.push({ label, format, value: meanOf(a), reference: meanOf(b), difference: ci, outcome: outcomeOf(ci) });
    };
    // Agreement with the teacher: kNN predictions with labels, else the same nearest neighbour.
    const answer = labels ? (name: string, e: ModelEmbeddings) => predictions(name, e) : (_: string, e: ModelEmbeddings) => nearest(e);
    paired(labels ? 'kNN agreement with the teacher' : 'Same nearest neighbour as the teacher', 'percent',
      agreementHits(answer(entry.model, f), teacherAnswer), agreementHits(answer(entry.reference, r), teacherAnswer));
    // CKA: both CKAs on the same resampled rows.
    const tx = rows(teacher.test), fx = rows(f.test), rx = rows(r.test);
    const cka = (e: Embeddings, idx: Int32Array) => linearCka(selectRows(tx, idx), selectRows(e, idx), { normalize: settings.normalizeForCka });
    const ckaCi = bootstrapCi((idx) => cka(fx, idx) - cka(rx, idx), tx.count, { ...opts(`${entry.model}:cka`), resamples: input.ckaResamples ?? Math.min(settings.bootstrapResamples, 200) });
    const all = Int32Array.from({ length: tx.count }, (_, i) => i);
    figures.push({ label: 'Linear CKA to the teacher', format: 'decimal', value: cka(fx, all), reference: cka(rx, all), difference: ckaCi, outcome: outcomeOf(ckaCi) });
    if (labels) {
      const hits = (name: string, e: ModelEmbeddings) => agreementHits(predictions(name, e), labels.test);
      paired('kNN accuracy', 'percent', hits(entry.model, f), hits(entry.reference, r));
    }
    for (const [set, byModel] of Object.entries(input.ood)) {
      const fo = byModel[entry.model], ro = byModel[entry.reference];
      if (!fo || !ro || fo.count === 0) continue;
      const aF = aurocResampler(knnOodScores(f.train, f.test, settings.oodK), knnOodScores(f.train, fo, settings.oodK));
      const aR = aurocResampler(knnOodScores(r.train, r.test, settings.oodK), knnOodScores(r.train, ro, settings.oodK));
      const n = f.test.count + fo.count;
      const strata = Int32Array.from({ length: n }, (_, i) => (i < f.test.count ? 0 : 1));
      const ci = bootstrapCi((idx) => aF(idx) - aR(idx), n, { ...opts(`${entry.model}:${set}:auroc`), strata });
      const identity = Int32Array.from({ length: n }, (_, i) => i);
      figures.push({ label: `OOD AUROC, ${set} (kNN score)`, format: 'percent', value: aF(identity), reference: aR(identity), difference: ci, outcome: outcomeOf(ci) });
    }
    return { ...entry, figures };
  });
}

const signed = (x: number, format: DifferenceFigure['format']) =>
  (format === 'percent' ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)} pts` : `${x >= 0 ? '+' : ''}${x.toFixed(4)}`);

/** The verdict card of each exported form gains one row per figure: its value, the fp32 student's, the difference. */
export function addExportedToVerdict(verdict: Verdict, comparisons: ExportedComparison[] | undefined): Verdict {
  for (const c of comparisons ?? []) {
    const card = verdict.students.find((s) => s.model === c.model);
    if (!card) continue;
    const rows: VerdictFigure[] = c.figures.map((f) => ({
      label: `${f.label}: vs its fp32 student`, format: f.format, value: f.value, teacher: f.reference, reference: `fp32 ${c.reference}`,
      gap: { value: f.difference.estimate, lo: f.difference.lower, hi: f.difference.upper }, outcome: f.outcome,
    }));
    card.figures.push(...rows);
    card.sentence = `${card.sentence} ${exportedSentence(c)}`;
  }
  if (comparisons?.length) {
    verdict.rule = `${verdict.rule} Rows "vs its fp32 student" compare an exported form with the student it was exported from on the same images: `
      + 'the middle column is the fp32 student\'s value, the gap is exported minus fp32 with a paired 95% bootstrap interval, "same" when that interval holds 0.';
  }
  return verdict;
}

/** One sentence: what the export changed against the fp32 student. */
export function exportedSentence(c: ExportedComparison): string {
  const changed = c.figures.filter((f) => f.outcome !== 'same');
  if (changed.length === 0) return `Exported as ${c.form}, it is the same as its fp32 student (${c.reference}) on every figure (95% paired intervals hold 0).`;
  return `Exported as ${c.form}, it differs from its fp32 student (${c.reference}) on ${changed.map((f) => `${f.label} (${signed(f.difference.estimate, f.format)})`).join(', ')}.`;
}

/** Markdown table of every comparison (printed by `tintem eval` and shown in the report's notes). */
export function exportedMarkdown(comparisons: ExportedComparison[]): string {
  if (comparisons.length === 0) return '';
  const lines = ['**Exported forms vs their fp32 student** (difference = exported - fp32, paired 95% bootstrap interval):', '',
    '| form | figure | exported | fp32 | difference (95% CI) | |', '| --- | --- | ---: | ---: | ---: | --- |'];
  const fmt = (x: number, format: DifferenceFigure['format']) => (format === 'percent' ? `${(100 * x).toFixed(2)}%` : x.toFixed(4));
  for (const c of comparisons) {
    for (const f of c.figures) {
      const d = f.difference;
      lines.push(`| ${c.model} | ${f.label} | ${fmt(f.value, f.format)} | ${fmt(f.reference, f.format)} | ${signed(d.estimate, f.format)} (${signed(d.lower, f.format)} to ${signed(d.upper, f.format)}) | ${f.outcome} |`);
    }
  }
  return lines.join('\n');
}
