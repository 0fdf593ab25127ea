/**
 * Faithfulness evaluation of trained students against their teacher: embeds the ID train/test sets and the
 * OOD sets with every model, builds the scorecard, runs the corruption benchmark, and gathers the raw material
 * the report draws (similarity pairs, 2-D map samples, nearest-neighbour strips).
 */
import { subsetImages } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import {
  evaluateFaithfulness, knnClassify, nearestNeighbors, selectRows, type Embeddings, type ModelEmbeddings, type Scorecard,
} from '../evaluation/index.js';
import type { OodSetInput } from '../evaluation/scorecard.js';
import type { EvalSetRecord } from '../evaluation/index.js';
import type { TintemMethod } from '../methods/tintem.js';
import { evaluateRobustness, type CorruptionName, type RobustnessReport } from '../robustness/index.js';
import type { Teacher } from '../teachers/types.js';
import { info } from '../util/log.js';
import { Rng } from '../util/random.js';
import { normalizeFeatures, type TeacherNormStats } from '../training/teacher-norm.js';
import { UserError } from '../util/errors.js';
import { embedStudentSet, embedTeacherSet as embedTeacherSetRaw, mapEmbeddings } from './embed-sets.js';
import { compareExported, type ExportedComparison, type ExportedEntry } from './exported-compare.js';
import type { LoadedRun } from './load-run.js';

export interface EvalSets {
  train: ImageSet;
  test: ImageSet;
  ood: Record<string, ImageSet>;
  /** What each set is (spec, count, chosen by the run or the caller); copied into the scorecard. */
  records?: { train: EvalSetRecord; test: EvalSetRecord; ood: Record<string, EvalSetRecord> };
  /**
   * The same images (row for row) decoded at the teacher's resolution, for the teacher column; absent = the
   * teacher gets the sets above (and resizes them itself).
   */
  teacherView?: { train: ImageSet; test: ImageSet; ood: Record<string, ImageSet> };
}

export interface RobustnessSettings {
  /** Clean test images to corrupt (the first N of the test set). */
  count: number;
  corruptions?: CorruptionName[];
  severities?: number[];
  /** Also corrupt-and-embed the exported forms (default true; the demo leaves them out to keep its wall time). */
  exported?: boolean;
}

export interface EvaluateOptions {
  teacher: Teacher;
  runs: LoadedRun[];
  sets: EvalSets;
  cacheDir: string;
  seed: number;
  robustness?: RobustnessSettings | false;
  progress?: boolean;
  /**
   * Exported forms of the runs' students (`tintem eval --model`), scored like students through their own runtime
   * and compared with the fp32 student they came from (`reference`, one of the runs' names).
   */
  exported?: Array<ExportedEntry & { embed(set: ImageSet): Promise<Embeddings> }>;
  /**
   * Also score an untrained student of each run's architecture and seed (the verdict's floor for agreement, CKA
   * and OOD; issue 27). Default true.
   */
  floors?: boolean;
}

/** Raw samples for the report's pictures (all indices refer to the ID test set / train bank). */
export interface ReportSamples {
  /** Pairs of test images and their cosine under the teacher and each student. */
  similarity: Record<string, { teacherCos: number[]; studentCos: number[] }>;
  /** Test indices drawn for the 2-D maps, and each model's embeddings of them. */
  mapIndices: number[];
  maps: Record<string, number[][]>;
  /** Query test indices and each model's top neighbours in the train bank. */
  neighbours: Array<{ query: number; byModel: Record<string, Array<{ index: number; similarity: number }>> }>;
}

export interface EvaluationResult {
  scorecard: Scorecard;
  robustness?: RobustnessReport;
  samples: ReportSamples;
  /** Each exported form against its fp32 student (paired differences), when --model was given. */
  exported?: ExportedComparison[];
  /** The scorecard of untrained students of the runs' architectures and seeds, keyed by run name. */
  floors?: Scorecard;
}

export const TEACHER_ID = 'teacher';

function cosineOfPair(e: Embeddings, i: number, j: number): number {
  let dot = 0, ni = 0, nj = 0;
  const a = i * e.dim, b = j * e.dim;
  for (let k = 0; k < e.dim; k++) {
    const x = e.data[a + k]!, y = e.data[b + k]!;
    dot += x * y; ni += x * x; nj += y * y;
  }
  return dot / (Math.sqrt(ni * nj) || 1);
}

function sampleReport(teacher: ModelEmbeddings, students: Record<string, ModelEmbeddings>, seed: number): ReportSamples {
  const rng = new Rng(seed).fork('report-samples');
  const n = teacher.test.count;
  const pairs = Array.from({ length: Math.min(3000, (n * (n - 1)) / 2) }, () => {
    const i = rng.int(n);
    let j = rng.int(n - 1);
    if (j >= i) j++;
    return [i, j] as const;
  });
  const similarity: ReportSamples['similarity'] = {};
  for (const [name, s] of Object.entries(students)) {
    similarity[name] = {
      teacherCos: pairs.map(([i, j]) => cosineOfPair(teacher.test, i, j)),
      studentCos: pairs.map(([i, j]) => cosineOfPair(s.test, i, j)),
    };
  }
  const mapIndices = Array.from(rng.permutation(n).subarray(0, Math.min(800, n)));
  const rows = (e: Embeddings) => mapIndices.map((i) => Array.from(e.data.subarray(i * e.dim, (i + 1) * e.dim)));
  const maps: ReportSamples['maps'] = { [TEACHER_ID]: rows(teacher.test) };
  for (const [name, s] of Object.entries(students)) maps[name] = rows(s.test);

  const queries = Array.from(rng.permutation(n).subarray(0, Math.min(5, n)));
  const all: Record<string, ModelEmbeddings> = { [TEACHER_ID]: teacher, ...students };
  const neighbours = queries.map((query) => {
    const byModel: Record<string, Array<{ index: number; similarity: number }>> = {};
    for (const [name, e] of Object.entries(all)) {
      const nn = nearestNeighbors(e.train, selectRows(e.test, Int32Array.of(query)), 6);
      byModel[name] = Array.from(nn.indices, (index, r) => ({ index, similarity: nn.similarities[r]! }));
    }
    return { query, byModel };
  });
  return { similarity, mapIndices, maps, neighbours };
}

/**
 * The teacher-feature normalisation shared by the runs (they are compared against one teacher column, so they
 * must agree); undefined when every run uses none.
 */
export function sharedTeacherNorm(runs: readonly LoadedRun[]): TeacherNormStats | undefined {
  const key = (r: LoadedRun) => JSON.stringify(r.teacherNorm ?? null);
  const first = runs[0];
  const other = runs.find((r) => key(r) !== key(first!));
  if (first && other) {
    throw new UserError(`runs ${first.name} and ${other.name} were distilled with different teacherNorm statistics (${first.teacherNorm?.mode ?? 'none'} vs ${other.teacherNorm?.mode ?? 'none'}); evaluate them separately`);
  }
  return first?.teacherNorm;
}

export async function evaluateRuns(opts: EvaluateOptions): Promise<EvaluationResult> {
  const { runs, sets, cacheDir, seed } = opts;
  const progress = opts.progress ?? true;
  const norm = sharedTeacherNorm(runs);
  const normed = (e: Embeddings): Embeddings => (norm ? { ...e, data: normalizeFeatures(e.data, e.dim, norm.pooled, norm.mode) } : e);
  const embedTeacherSet = async (_t: Teacher, s: ImageSet, dir: string, p: boolean) => normed(await embedTeacherSetRaw(opts.teacher, s, dir, p));
  const teacher = opts.teacher;
  if (norm) info(`evaluating: teacher features ${norm.mode === 'center' ? 'centred' : 'standardised'} with the runs' teacherNorm statistics`);
  info(`evaluating: teacher embeddings of ${sets.train.count} train, ${sets.test.count} test and ${Object.keys(sets.ood).length} OOD sets`);
  const teacherEmb: ModelEmbeddings = {
    train: await embedTeacherSet(teacher, sets.teacherView?.train ?? sets.train, cacheDir, progress),
    test: await embedTeacherSet(teacher, sets.teacherView?.test ?? sets.test, cacheDir, progress),
  };
  const studentEmb: Record<string, ModelEmbeddings> = {};
  for (const run of runs) {
    studentEmb[run.name] = { train: await embedStudentSet(run.model, sets.train), test: await embedStudentSet(run.model, sets.test) };
  }
  const exported = opts.exported ?? [];
  for (const e of exported) {
    info(`evaluating: ${e.model} (${e.exportDir})`);
    studentEmb[e.model] = { train: await e.embed(sets.train), test: await e.embed(sets.test) };
  }
  const oodSets: Record<string, OodSetInput> = {};
  for (const [name, set] of Object.entries(sets.ood)) {
    const students: Record<string, Embeddings> = {};
    for (const run of runs) students[run.name] = await embedStudentSet(run.model, set);
    for (const e of exported) students[e.model] = await e.embed(set);
    oodSets[name] = { teacher: await embedTeacherSet(teacher, sets.teacherView?.ood[name] ?? set, cacheDir, progress), students };
  }
  const labels = sets.train.labels && sets.test.labels ? { train: sets.train.labels, test: sets.test.labels } : undefined;
  const floors = opts.floors === false ? undefined : await scoreUntrained(runs, sets, teacherEmb, oodSets, labels, seed);
  info('evaluating: scorecard (kNN, linear probe, agreement, CKA, mutual kNN, OOD, bootstrap CIs)');
  const scorecard = evaluateFaithfulness({
    teacher: teacherEmb, students: studentEmb, idLabels: labels, oodSets, seed,
  });
  if (sets.records) scorecard.sets = sets.records;
  const comparisons = exported.length === 0 ? undefined : compareExported({
    teacher: teacherEmb, students: studentEmb, labels, entries: exported, settings: scorecard.settings, seed,
    ood: Object.fromEntries(Object.entries(oodSets).map(([name, s]) => [name, s.students])),
  });

  let robustness: RobustnessReport | undefined;
  if (opts.robustness && labels) {
    const r = opts.robustness;
    const images = subsetImages(sets.test, Array.from({ length: Math.min(r.count, sets.test.count) }, (_, i) => i));
    const classifierFor = (bank: Embeddings) => (emb: Embeddings) => knnClassify(bank, labels.train, emb).predictions;
    const embedStudents: Record<string, (s: ImageSet) => Promise<Embeddings>> = {};
    const classifyStudents: Record<string, (e: Embeddings) => Int32Array> = {};
    const mapTeacher: Record<string, (e: Embeddings) => Embeddings> = {};
    for (const run of runs) {
      embedStudents[run.name] = (s) => embedStudentSet(run.model, s);
      classifyStudents[run.name] = classifierFor(studentEmb[run.name]!.train);
      if (run.method.name === 'tintem') {
        const head = run.method as TintemMethod;
        mapTeacher[run.name] = (e) => mapEmbeddings(e, (x) => head.mapTeacher(x));
      }
    }
    for (const e of r.exported === false ? [] : exported) {
      embedStudents[e.model] = (s) => e.embed(s);
      classifyStudents[e.model] = classifierFor(studentEmb[e.model]!.train);
    }
    info(`evaluating: robustness on ${images.count} test images x ${(r.corruptions ?? []).length || 'all'} corruptions x ${(r.severities ?? [1, 2, 3, 4, 5]).length} severities`);
    robustness = await evaluateRobustness({
      images, corruptions: r.corruptions, severities: r.severities, seed,
      embedTeacher: (s) => embedTeacherSet(teacher, s, cacheDir, false),
      embedStudents, mapTeacher,
      classify: { teacher: classifierFor(teacherEmb.train), students: classifyStudents },
    });
  }
  const samples = sampleReport(teacherEmb, studentEmb, seed);
  return { scorecard, robustness, samples, exported: comparisons, ...(floors ? { floors } : {}) };
}

/**
 * The floor of each figure: a fresh student of the run's spec and seed, never trained, scored against the same
 * teacher embeddings (a separate scorecard, so the trained students' bootstrap draws are untouched).
 */
async function scoreUntrained(
  runs: LoadedRun[], sets: EvalSets, teacher: ModelEmbeddings, oodSets: Record<string, OodSetInput>,
  labels: { train: Int32Array; test: Int32Array } | undefined, seed: number,
): Promise<Scorecard> {
  const { createStudent } = await import('../students/index.js');
  info(`evaluating: the floor (an untrained student of each run's architecture and seed)`);
  const students: Record<string, ModelEmbeddings> = {};
  const ood: Record<string, OodSetInput> = Object.fromEntries(Object.entries(oodSets).map(([k, v]) => [k, { teacher: v.teacher, students: {} }]));
  for (const run of runs) {
    const fresh = createStudent(run.summary.student.spec, run.summary.seed);
    try {
      students[run.name] = { train: await embedStudentSet(fresh.model, sets.train), test: await embedStudentSet(fresh.model, sets.test) };
      for (const [name, set] of Object.entries(sets.ood)) ood[name]!.students[run.name] = await embedStudentSet(fresh.model, set);
    } finally {
      fresh.dispose();
    }
  }
  // The verdict reads agreement, CKA and kNN OOD AUROC from this card; the probe figures are unused, so the probe
  // gets one setting and few steps (the floor must not double the evaluation's time).
  return evaluateFaithfulness({
    teacher, students, idLabels: labels, oodSets: ood, seed,
    options: { bootstrapResamples: 200, probe: { lrs: [1e-2], weightDecays: [0], epochs: 1, minSteps: 30 } },
  });
}
