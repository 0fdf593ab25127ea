/**
 * Robustness of a teacher and its students under corruptions: accuracy per corruption x severity, agreement
 * with the teacher, cosine to the mapped teacher, mean corruption error (mCE) against a reference model, and how
 * closely each student's degradation follows the teacher's.
 *
 * Definitions (Hendrycks & Dietterich 2019): with err_{s,c} the top-1 error under corruption c at severity s,
 *   CE_c  = sum_s err^model_{s,c} / sum_s err^ref_{s,c},               mCE  = mean_c CE_c
 *   rCE_c = sum_s (err^model_{s,c} - err^model_clean) / sum_s (err^ref_{s,c} - err^ref_clean),  relative mCE = mean_c rCE_c
 * A ratio whose denominator is 0 (the reference never erred, or never degraded) is null and left out of the mean.
 */
import type { ImageSet } from '../data/types.js';
import type { Embeddings } from '../evaluation/types.js';
import { UserError } from '../util/errors.js';
import { finiteOrNull, meanOfPresent, pearson as pearsonOf } from '../util/stats.js';
import { corruptImageSet, corruptionNames, parseCorruptionName } from './apply.js';
import { checkSeverity, type CorruptionName } from './params.js';
import { createStageProgress } from '../training/progress.js';

export type { Embeddings } from '../evaluation/types.js';

export type Embedder = (set: ImageSet) => Promise<Embeddings> | Embeddings;
export type Classifier = (emb: Embeddings) => Int32Array;

export interface RobustnessOptions {
  /** Clean test images with labels. */
  images: ImageSet;
  corruptions?: readonly CorruptionName[];
  severities?: readonly number[];
  seed: number;
  embedTeacher: Embedder;
  embedStudents: Record<string, Embedder>;
  /** Per student: maps teacher embeddings into that student's space (TinTeM's head), for the cosine column. */
  mapTeacher?: Record<string, (teacherEmb: Embeddings) => Embeddings>;
  classify: { teacher: Classifier; students: Record<string, Classifier> };
  /**
   * The model CE is measured against. Default: the teacher. Use {@link pixelReference} for a raw-pixel baseline
   * (a classifier fitted on pixels, e.g. kNN on training pixels).
   */
  reference?: { name: string; embed: Embedder; classify: Classifier };
}

export interface RobustnessCell {
  corruption: CorruptionName;
  severity: number;
  /** Top-1 accuracy of each model (teacher, students, and the reference when it is not the teacher). */
  accuracy: Record<string, number>;
  /** Fraction of images where the student predicts the teacher's label. */
  agreement: Record<string, number>;
  /** Mean cosine between the student's embedding and mapTeacher(teacher embedding), per student given a map. */
  cosine: Record<string, number>;
}

export interface ModelSummary {
  cleanError: number;
  /** CE_c per corruption. */
  ce: Record<string, number | null>;
  mCE: number | null;
  relativeCE: Record<string, number | null>;
  relativeMCE: number | null;
}

export interface Tracking {
  /** Pearson correlation of the student's and the teacher's accuracy drops over all corruption x severity cells. */
  pearson: number | null;
  /** Mean |drop_student - drop_teacher| over all cells (accuracy points as fractions). */
  meanAbsGap: number;
  perCorruption: Record<string, { pearson: number | null; meanAbsGap: number }>;
}

export interface RobustnessReport {
  dataset: string;
  count: number;
  seed: number;
  corruptions: CorruptionName[];
  severities: number[];
  reference: string;
  clean: { accuracy: Record<string, number>; agreement: Record<string, number>; cosine: Record<string, number> };
  cells: RobustnessCell[];
  summary: Record<string, ModelSummary>;
  /** Per student: how its degradation curve follows the teacher's. */
  tracking: Record<string, Tracking>;
}

/** Flattened raw pixels as embeddings: the "no model" baseline for mCE. */
export function pixelEmbed(set: ImageSet): Embeddings {
  return { data: Float32Array.from(set.pixels), count: set.count, dim: set.height * set.width * set.channels };
}

/** A raw-pixel reference model built from a pixel classifier (e.g. kNN fitted on training pixels). */
export function pixelReference(classify: Classifier): NonNullable<RobustnessOptions['reference']> {
  return { name: 'pixels', embed: pixelEmbed, classify };
}

function accuracy(pred: Int32Array, labels: Int32Array): number {
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) hit++;
  return labels.length ? hit / labels.length : 0;
}

function agreementOf(a: Int32Array, b: Int32Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return a.length ? same / a.length : 0;
}

/** Mean row-wise cosine similarity of two embedding sets of the same shape. */
export function meanCosine(a: Embeddings, b: Embeddings): number {
  if (a.count !== b.count || a.dim !== b.dim) {
    throw new UserError(`mapTeacher: mapped teacher embeddings are ${b.count} x ${b.dim}, student embeddings ${a.count} x ${a.dim}; they must match`);
  }
  let total = 0;
  for (let r = 0; r < a.count; r++) {
    let dot = 0, na = 0, nb = 0;
    for (let k = r * a.dim; k < (r + 1) * a.dim; k++) {
      const x = a.data[k]!, y = b.data[k]!;
      dot += x * y; na += x * x; nb += y * y;
    }
    const den = Math.sqrt(na) * Math.sqrt(nb);
    total += den > 0 ? dot / den : 0;
  }
  return a.count ? total / a.count : 0;
}

/** Pearson correlation (util/stats) as the report stores it: null when either series is constant. */
export function pearson(x: number[], y: number[]): number | null {
  return finiteOrNull(pearsonOf(x, y));
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);
const meanOf = (values: (number | null)[]): number | null => finiteOrNull(meanOfPresent(values));

/** Runs every model on the clean set and on each corrupted copy (generated one at a time, then dropped). */
export async function evaluateRobustness(opts: RobustnessOptions): Promise<RobustnessReport> {
  const { images, seed } = opts;
  const labels = images.labels;
  if (!labels || labels.length !== images.count) throw new UserError(`${images.name}: robustness evaluation needs one label per image`);
  const corruptions = (opts.corruptions ?? corruptionNames).map((c) => parseCorruptionName(c, 'corruptions'));
  const severities = [...(opts.severities ?? [1, 2, 3, 4, 5])];
  severities.forEach((s) => checkSeverity(s, 'severities'));
  const students = Object.keys(opts.embedStudents);
  for (const s of students) {
    if (!opts.classify.students[s]) throw new UserError(`classify.students: no classifier for student '${s}'`);
    if (s === 'teacher' || s === opts.reference?.name) throw new UserError(`embedStudents: '${s}' clashes with the teacher or reference name`);
  }
  const refName = opts.reference?.name ?? 'teacher';

  const measure = async (set: ImageSet) => {
    const teacherEmb = await opts.embedTeacher(set);
    const teacherPred = opts.classify.teacher(teacherEmb);
    const acc: Record<string, number> = { teacher: accuracy(teacherPred, labels) };
    const agreement: Record<string, number> = {};
    const cosine: Record<string, number> = {};
    for (const s of students) {
      const emb = await opts.embedStudents[s]!(set);
      const pred = opts.classify.students[s]!(emb);
      acc[s] = accuracy(pred, labels);
      agreement[s] = agreementOf(pred, teacherPred);
      const map = opts.mapTeacher?.[s];
      if (map) cosine[s] = meanCosine(emb, map(teacherEmb));
    }
    if (opts.reference) acc[opts.reference.name] = accuracy(opts.reference.classify(await opts.reference.embed(set)), labels);
    return { accuracy: acc, agreement, cosine };
  };

  const clean = await measure(images);
  const cells: RobustnessCell[] = [];
  const bar = createStageProgress(`robustness (${images.count} images)`, corruptions.length * severities.length, 'cells');
  try {
    for (const corruption of corruptions) {
      for (const severity of severities) {
        const set = await corruptImageSet(images, corruption, severity, seed);
        cells.push({ corruption, severity, ...(await measure(set)) });
        bar.tick();
      }
    }
  } finally {
    bar.stop();
  }

  const models = Object.keys(clean.accuracy);
  const err = (model: string, c: CorruptionName) => cells.filter((x) => x.corruption === c).map((x) => 1 - x.accuracy[model]!);
  const summary: Record<string, ModelSummary> = {};
  for (const m of models) {
    const cleanError = 1 - clean.accuracy[m]!;
    const refClean = 1 - clean.accuracy[refName]!;
    const ce: Record<string, number | null> = {};
    const rce: Record<string, number | null> = {};
    for (const c of corruptions) {
      const e = err(m, c);
      const r = err(refName, c);
      ce[c] = ratio(e.reduce((s, v) => s + v, 0), r.reduce((s, v) => s + v, 0));
      rce[c] = ratio(e.reduce((s, v) => s + v - cleanError, 0), r.reduce((s, v) => s + v - refClean, 0));
    }
    summary[m] = { cleanError, ce, mCE: meanOf(Object.values(ce)), relativeCE: rce, relativeMCE: meanOf(Object.values(rce)) };
  }

  const tracking: Record<string, Tracking> = {};
  const drops = (model: string, subset: RobustnessCell[]) => subset.map((x) => clean.accuracy[model]! - x.accuracy[model]!);
  const follow = (s: string, subset: RobustnessCell[]) => {
    const ds = drops(s, subset);
    const dt = drops('teacher', subset);
    const gap = ds.reduce((acc, v, i) => acc + Math.abs(v - dt[i]!), 0) / Math.max(1, ds.length);
    return { pearson: pearson(ds, dt), meanAbsGap: gap };
  };
  for (const s of students) {
    const perCorruption: Tracking['perCorruption'] = {};
    for (const c of corruptions) perCorruption[c] = follow(s, cells.filter((x) => x.corruption === c));
    tracking[s] = { ...follow(s, cells), perCorruption };
  }

  return {
    dataset: images.name, count: images.count, seed, corruptions, severities, reference: refName,
    clean, cells, summary, tracking,
  };
}
