/**
 * The faithfulness scorecard: how well a student keeps its teacher's behaviour, as one JSON object.
 * Per model: task quality (kNN, linear probe). Per student: agreement with the teacher, representation
 * similarity, and OOD detection next to the teacher's own. See {@link CONVENTIONS} for every convention.
 */
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { agreementHits, retrievalAgreement } from './agreement.js';
import { bootstrapCi, bootstrapMeanCi, type ConfidenceInterval } from './bootstrap.js';
import { knnVote } from './knn.js';
import { nearestNeighbors, truncateNeighbors, type NeighborResult } from './neighbors.js';
import { energyScores, fitMahalanobis, kthNeighborDistance, mspScores } from './ood-scores.js';
import { aupr, aurocResampler, fprAtTpr, rocCurve } from './ood-metrics.js';
import { trainLinearProbe, type LinearProbeOptions } from './probe.js';
import { SCORECARD_SCHEMA_ID, type Metric, type ModelCard, type OodScoreResult, type OodSetResult, type Scorecard } from './schema.js';
import { linearCka, mutualKnnFromNeighbors, similarityStructure, subsample } from './similarity.js';
import { spearman } from './stats.js';
import { checkEmbeddings, checkLabels, inferNumClasses, selectRows, type Embeddings, type ModelEmbeddings } from './types.js';

export { formatScorecard } from './format.js';
export type { Scorecard } from './schema.js';

export interface FaithfulnessOptions {
  /** kNN classifier neighbours (default 20) and temperature (default 0.07), as in DINO. */
  knnK?: number;
  knnTemperature?: number;
  /** k of the kNN OOD score (default 50, Sun et al. 2022). */
  oodK?: number;
  /** k for the top-k retrieval overlap (default 10). */
  retrievalK?: number;
  /** k and point cap for the mutual kNN overlap (defaults 10 and 10000). */
  mutualK?: number;
  mutualMaxPoints?: number;
  /** Point cap for the pairwise cosine-similarity comparison (default 2000). */
  similarityMaxPoints?: number;
  /** Bootstrap resamples (default 1000) and CI level (default 0.95). */
  bootstrapResamples?: number;
  ciLevel?: number;
  /** Most ROC points kept per curve (default 200). */
  rocPoints?: number;
  /** Mahalanobis covariance shrinkage (default 0.1). */
  mahalanobisShrinkage?: number;
  /** Compute CKA on L2-normalised embeddings (default true: the cosine geometry distillation preserves). */
  normalizeForCka?: boolean;
  /** Linear-probe settings (the seed comes from the scorecard's seed). */
  probe?: Omit<LinearProbeOptions, 'seed' | 'numClasses'>;
  /** Called with a short message as each stage starts (for CLI progress). */
  onProgress?: (message: string) => void;
}

export interface OodSetInput {
  teacher: Embeddings;
  students: Record<string, Embeddings>;
}

export interface FaithfulnessInput {
  teacher: ModelEmbeddings;
  /** Student embeddings of the same train/test images, in each student's own space. */
  students: Record<string, ModelEmbeddings>;
  /** ID labels; without them label metrics are `{ skipped }`. */
  idLabels?: { train: Int32Array; test: Int32Array };
  oodSets?: Record<string, OodSetInput>;
  seed: number;
  options?: FaithfulnessOptions;
}

/** Plain-language conventions, copied into every scorecard. */
export const CONVENTIONS: Record<string, string> = {
  oodScore: 'Every OOD score is oriented so that HIGHER = MORE out-of-distribution.',
  auroc: 'AUROC with OOD as the positive class, exact rank-based (Mann-Whitney), ties count half.',
  fpr95IdPositive: 'FPR@95%TPR, ID positive (usual OOD-literature convention): fraction of OOD samples accepted as ID at the threshold that accepts 95% of ID samples.',
  fpr95OodPositive: 'FPR@95%TPR, OOD positive: fraction of ID samples flagged at the threshold that flags 95% of OOD samples.',
  aupr: 'AUPR-In = average precision with ID positive (score negated); AUPR-Out = average precision with OOD positive (scikit-learn average_precision_score).',
  knnOod: 'kNN OOD score: Euclidean distance to the k-th nearest L2-normalised ID-train embedding (Sun et al., ICML 2022, "Out-of-Distribution Detection with Deep Nearest Neighbors").',
  mahalanobis: 'Mahalanobis: min squared distance to a class mean under a shared, shrunk covariance (Lee et al., NeurIPS 2018) on L2-normalised embeddings; a single Gaussian without labels.',
  energy: 'Energy: -logsumexp(linear-probe logits), T = 1 (Liu et al., NeurIPS 2020).',
  msp: 'MSP: -max softmax probability of the linear probe (Hendrycks & Gimpel, ICLR 2017).',
  knnClassifier: 'kNN accuracy: cosine kNN on L2-normalised embeddings, votes weighted exp(sim / T) (DINO, Caron et al. 2021); bank = ID train, queries = ID test.',
  linearProbe: 'Linear probe: softmax regression on standardised frozen embeddings (train mean/std), Adam, lr x L2 grid chosen on a seeded validation split of train, refit on all train.',
  ci: 'Confidence intervals: percentile bootstrap over test samples (models held fixed); OOD metrics resample ID and OOD separately.',
  agreement: 'Agreement: fraction of ID-test images where student and teacher give the same top-1 (kNN, probe) or the same nearest ID-train neighbour (retrieval).',
  similarity: 'Similarity on ID test: linear CKA (feature-space formula); mutual kNN overlap (k neighbours within the test set) with its chance level from a seeded permutation; Pearson/Spearman/mean |diff| of pairwise cosine similarities (upper triangle, seeded subsample).',
  skipped: 'A metric that cannot be computed (no labels, degenerate input) is { skipped: reason }, never NaN.',
};

const NO_LABELS = 'no ID labels given';

/** Everything computed for one model that other models' metrics reuse. */
interface ModelAnalysis {
  testNN: NeighborResult;
  knnPred?: Int32Array;
  probePred?: Int32Array;
  /** Score name -> [ID-test scores, per OOD set scores]. */
  idScores: Record<string, Float64Array>;
  oodScores: Record<string, Record<string, Float64Array>>;
  card: ModelCard;
}

/** Computes the faithfulness scorecard. Throws UserError (one line) for inconsistent input. */
export function evaluateFaithfulness(input: FaithfulnessInput): Scorecard {
  const o = input.options ?? {};
  const settings = {
    knnK: o.knnK ?? 20,
    knnTemperature: o.knnTemperature ?? 0.07,
    oodK: o.oodK ?? 50,
    retrievalK: o.retrievalK ?? 10,
    mutualK: o.mutualK ?? 10,
    mutualMaxPoints: o.mutualMaxPoints ?? 10000,
    similarityMaxPoints: o.similarityMaxPoints ?? 2000,
    bootstrapResamples: o.bootstrapResamples ?? 1000,
    ciLevel: o.ciLevel ?? 0.95,
    rocPoints: o.rocPoints ?? 200,
    mahalanobisShrinkage: o.mahalanobisShrinkage ?? 0.1,
    normalizeForCka: o.normalizeForCka ?? true,
  };
  for (const key of ['knnK', 'oodK', 'retrievalK', 'mutualK', 'mutualMaxPoints', 'similarityMaxPoints', 'bootstrapResamples', 'rocPoints'] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) throw new UserError(`eval option ${key}: expected a positive integer, got ${settings[key]}`);
  }
  if (!(settings.knnTemperature > 0)) throw new UserError(`eval option knnTemperature: expected a positive number, got ${settings.knnTemperature}`);
  if (!(settings.ciLevel > 0 && settings.ciLevel < 1)) throw new UserError(`eval option ciLevel: expected a number in (0, 1), got ${settings.ciLevel}`);
  if (!(settings.mahalanobisShrinkage >= 0 && settings.mahalanobisShrinkage <= 1)) throw new UserError(`eval option mahalanobisShrinkage: expected a number in [0, 1], got ${settings.mahalanobisShrinkage}`);
  if (!Number.isInteger(input.seed)) throw new UserError(`eval seed: expected an integer, got ${input.seed}`);

  validate(input);
  const progress = o.onProgress ?? (() => {});
  const rng = new Rng(input.seed);
  const labels = input.idLabels;
  const numClasses = labels ? inferNumClasses(labels.train, labels.test) : 0;
  const oodSets = input.oodSets ?? {};
  const ctx: Context = { settings, labels, numClasses, oodSets, probe: o.probe ?? {}, rng, progress };

  const teacher = analyseModel('teacher', 'teacher', input.teacher, (set) => oodSets[set]!.teacher, ctx);
  const students: Record<string, ModelCard> = {};
  // The same test subsample (and the teacher's neighbours on it) serves every student's mutual kNN.
  const mutualSample = subsample(input.teacher.test.count, settings.mutualMaxPoints, rng.fork('mutual-subsample'));
  const sampleOf = (e: Embeddings) => (mutualSample ? selectRows(e, mutualSample) : e);
  let teacherMutualNN: NeighborResult | undefined;
  for (const [name, student] of Object.entries(input.students)) {
    const analysis = analyseModel(name, 'student', student, (set) => oodSets[set]!.students[name], ctx);
    progress(`${name}: agreement and similarity`);
    analysis.card.agreement = agreementCard(teacher, analysis, ctx, name);
    let mutual: NeighborResult[] | undefined;
    if (input.teacher.test.count >= 2) {
      teacherMutualNN ??= nearestNeighbors(sampleOf(input.teacher.test), sampleOf(input.teacher.test), settings.mutualK, { excludeSelf: true });
      mutual = [teacherMutualNN, nearestNeighbors(sampleOf(student.test), sampleOf(student.test), settings.mutualK, { excludeSelf: true })];
    }
    analysis.card.similarity = similarityCard(input.teacher.test, student.test, mutual, ctx, name);
    addTeacherSpearman(teacher, analysis);
    students[name] = analysis.card;
  }

  const oodCounts: Record<string, number> = {};
  for (const [set, s] of Object.entries(oodSets)) oodCounts[set] = s.teacher.count;
  return {
    schema: SCORECARD_SCHEMA_ID,
    seed: input.seed,
    counts: { train: input.teacher.train.count, test: input.teacher.test.count, classes: numClasses, ood: oodCounts },
    settings,
    conventions: { ...CONVENTIONS },
    teacher: teacher.card,
    students,
  };
}

interface Context {
  settings: {
    knnK: number; knnTemperature: number; oodK: number; retrievalK: number; mutualK: number;
    bootstrapResamples: number; ciLevel: number; rocPoints: number; mahalanobisShrinkage: number;
    similarityMaxPoints: number; normalizeForCka: boolean;
  };
  labels?: { train: Int32Array; test: Int32Array };
  numClasses: number;
  oodSets: Record<string, OodSetInput>;
  probe: Omit<LinearProbeOptions, 'seed' | 'numClasses'>;
  rng: Rng;
  progress: (message: string) => void;
}

function validate(input: FaithfulnessInput): void {
  const t = input.teacher;
  checkEmbeddings(t.train, 'teacher train embeddings');
  checkEmbeddings(t.test, 'teacher test embeddings');
  if (t.train.count < 2) throw new UserError(`teacher train embeddings: need at least 2 (the kNN bank and probe set), got ${t.train.count}`);
  if (t.test.count < 1) throw new UserError('teacher test embeddings: the ID test set is empty');
  for (const [name, s] of Object.entries(input.students)) {
    checkEmbeddings(s.train, `student '${name}' train embeddings`);
    checkEmbeddings(s.test, `student '${name}' test embeddings`);
    if (s.train.count !== t.train.count) throw new UserError(`student '${name}' train embeddings: ${s.train.count} rows but the teacher has ${t.train.count} (must be the same images)`);
    if (s.test.count !== t.test.count) throw new UserError(`student '${name}' test embeddings: ${s.test.count} rows but the teacher has ${t.test.count} (must be the same images)`);
  }
  if (input.idLabels) {
    checkLabels(input.idLabels.train, t.train.count, 'ID train labels');
    checkLabels(input.idLabels.test, t.test.count, 'ID test labels');
  }
  for (const [set, s] of Object.entries(input.oodSets ?? {})) {
    checkEmbeddings(s.teacher, `OOD set '${set}' teacher embeddings`);
    if (s.teacher.dim !== t.train.dim) throw new UserError(`OOD set '${set}' teacher embeddings: dimension ${s.teacher.dim}, expected the teacher's ${t.train.dim}`);
    for (const [name, e] of Object.entries(s.students)) {
      if (!(name in input.students)) throw new UserError(`OOD set '${set}': student '${name}' is not among the evaluated students (${Object.keys(input.students).join(', ') || 'none'})`);
      checkEmbeddings(e, `OOD set '${set}' student '${name}' embeddings`);
      if (e.count !== s.teacher.count) throw new UserError(`OOD set '${set}' student '${name}' embeddings: ${e.count} rows but the teacher has ${s.teacher.count} (must be the same images)`);
      if (e.dim !== input.students[name]!.train.dim) throw new UserError(`OOD set '${set}' student '${name}' embeddings: dimension ${e.dim}, expected ${input.students[name]!.train.dim}`);
    }
  }
}

/** A finite value (with its CI when the CI is finite) or a skipped marker with the reason. */
export function metric(value: number, reason: string, ci?: ConfidenceInterval): Metric {
  if (!Number.isFinite(value)) return { skipped: reason };
  if (ci && Number.isFinite(ci.lower) && Number.isFinite(ci.upper)) {
    return { value, ci: { lower: ci.lower, upper: ci.upper, level: ci.level, resamples: ci.resamples } };
  }
  return { value };
}

function meanWithCi(hits: Uint8Array, ctx: Context, label: string, reason: string): Metric {
  if (hits.length === 0) return { skipped: reason };
  const ci = bootstrapMeanCi(hits, { seed: ctx.rng.fork(label).seed, resamples: ctx.settings.bootstrapResamples, level: ctx.settings.ciLevel });
  return metric(ci.estimate, reason, ci);
}

function analyseModel(
  name: string, role: 'teacher' | 'student', model: ModelEmbeddings,
  oodOf: (set: string) => Embeddings | undefined, ctx: Context,
): ModelAnalysis {
  const { settings, labels } = ctx;
  ctx.progress(`${name}: kNN search (${model.test.count} queries x ${model.train.count} bank)`);
  const testNN = nearestNeighbors(model.train, model.test, Math.max(settings.knnK, settings.oodK, settings.retrievalK));
  const card: ModelCard = { role, dim: model.train.dim, quality: { knn: { skipped: NO_LABELS }, probe: { skipped: NO_LABELS } }, ood: {} };
  const analysis: ModelAnalysis = { testNN, idScores: {}, oodScores: {}, card };

  let probe: ReturnType<typeof trainLinearProbe> | undefined;
  if (labels) {
    analysis.knnPred = knnVote(testNN, labels.train, { k: settings.knnK, temperature: settings.knnTemperature, numClasses: ctx.numClasses });
    card.quality.knn = meanWithCi(agreementHits(analysis.knnPred, labels.test), ctx, `${name}:knn-acc`, 'empty test set');
    ctx.progress(`${name}: linear probe`);
    probe = trainLinearProbe(model.train, labels.train, { ...ctx.probe, seed: ctx.rng.fork(`${name}:probe`).seed, numClasses: ctx.numClasses });
    const test = probe.predict(model.test);
    analysis.probePred = test.predictions;
    card.quality.probe = meanWithCi(agreementHits(test.predictions, labels.test), ctx, `${name}:probe-acc`, 'empty test set');
    card.quality.probeChosen = { ...probe.chosen };
    if (probe.chosen.valAccuracy === undefined) delete card.quality.probeChosen.valAccuracy;
  }

  const oodNames = Object.keys(ctx.oodSets);
  if (oodNames.length > 0) {
    ctx.progress(`${name}: OOD scores`);
    const maha = fitMahalanobis(model.train, labels?.train, { shrinkage: settings.mahalanobisShrinkage });
    const scoresOf = (e: Embeddings, nn: NeighborResult): Record<string, Float64Array> => {
      const out: Record<string, Float64Array> = { knn: kthNeighborDistance(nn, settings.oodK), mahalanobis: maha.score(e) };
      if (probe) {
        const logits = probe.predict(e).logits;
        out.energy = energyScores(logits, probe.numClasses);
        out.msp = mspScores(logits, probe.numClasses);
      }
      return out;
    };
    analysis.idScores = scoresOf(model.test, truncateNeighbors(testNN, settings.oodK));
    for (const set of oodNames) {
      const ood = oodOf(set);
      if (!ood) { card.ood[set] = { skipped: `no ${name} embeddings given for OOD set '${set}'` }; continue; }
      if (ood.count === 0) { card.ood[set] = { skipped: `OOD set '${set}' is empty` }; continue; }
      const scores = scoresOf(ood, nearestNeighbors(model.train, ood, settings.oodK));
      analysis.oodScores[set] = scores;
      card.ood[set] = oodSetCard(name, set, analysis.idScores, scores, maha.variant, ctx);
    }
  }
  return analysis;
}

const SCORE_NAMES = ['knn', 'mahalanobis', 'energy', 'msp'] as const;

function oodSetCard(
  model: string, set: string, idScores: Record<string, Float64Array>, oodScores: Record<string, Float64Array>,
  mahalanobisVariant: string, ctx: Context,
): OodSetResult {
  const scores: Record<string, OodScoreResult> = {};
  for (const score of SCORE_NAMES) {
    const id = idScores[score], ood = oodScores[score];
    if (!id || !ood) { scores[score] = { skipped: `${NO_LABELS} (the ${score} score needs the linear probe)` }; continue; }
    const n = id.length + ood.length;
    const strata = Int32Array.from({ length: n }, (_, i) => (i < id.length ? 0 : 1));
    const ci = bootstrapCi(aurocResampler(id, ood), n, {
      seed: ctx.rng.fork(`${model}:${set}:${score}:auroc`).seed, resamples: ctx.settings.bootstrapResamples, level: ctx.settings.ciLevel, strata,
    });
    const fpr = fprAtTpr(id, ood, 0.95);
    const pr = aupr(id, ood);
    const result: OodScoreResult = {
      auroc: metric(ci.estimate, 'AUROC undefined', ci),
      fpr95IdPositive: metric(fpr.idPositive, 'FPR@95 undefined'),
      fpr95OodPositive: metric(fpr.oodPositive, 'FPR@95 undefined'),
      auprIn: metric(pr.in, 'AUPR-In undefined'),
      auprOut: metric(pr.out, 'AUPR-Out undefined'),
      roc: rocCurve(id, ood, ctx.settings.rocPoints),
    };
    if (score === 'mahalanobis') result.variant = mahalanobisVariant;
    scores[score] = result;
  }
  return { idCount: idScores.knn!.length, oodCount: oodScores.knn!.length, scores };
}

function agreementCard(teacher: ModelAnalysis, student: ModelAnalysis, ctx: Context, name: string): NonNullable<ModelCard['agreement']> {
  const retrieval = retrievalAgreement(teacher.testNN, student.testNN, Math.min(ctx.settings.retrievalK, teacher.testNN.k, student.testNN.k));
  return {
    knn: teacher.knnPred && student.knnPred
      ? meanWithCi(agreementHits(teacher.knnPred, student.knnPred), ctx, `${name}:knn-agree`, 'empty test set')
      : { skipped: NO_LABELS },
    probe: teacher.probePred && student.probePred
      ? meanWithCi(agreementHits(teacher.probePred, student.probePred), ctx, `${name}:probe-agree`, 'empty test set')
      : { skipped: NO_LABELS },
    retrievalTop1: meanWithCi(retrieval.top1Hits, ctx, `${name}:retrieval-top1`, 'empty test set'),
    retrievalTopKOverlap: metric(retrieval.topKOverlap, 'empty test set'),
  };
}

function similarityCard(teacher: Embeddings, student: Embeddings, mutual: NeighborResult[] | undefined, ctx: Context, name: string): NonNullable<ModelCard['similarity']> {
  const constant = 'undefined: an embedding set has zero variance (constant features)';
  const cka = linearCka(teacher, student, { normalize: ctx.settings.normalizeForCka });
  const tooFew = 'needs at least 2 test points';
  const m = mutual ? mutualKnnFromNeighbors(mutual[0]!, mutual[1]!, ctx.rng.fork(`${name}:mutual-chance`).seed) : undefined;
  const s = teacher.count >= 2 ? similarityStructure(teacher, student, { seed: ctx.rng.fork('similarity-subsample').seed, maxPoints: ctx.settings.similarityMaxPoints }) : undefined;
  return {
    cka: metric(cka, teacher.count < 2 ? tooFew : constant),
    mutualKnn: metric(m?.overlap ?? NaN, tooFew),
    mutualKnnChance: metric(m?.chance ?? NaN, tooFew),
    mutualKnnExpectedChance: metric(m?.expectedChance ?? NaN, tooFew),
    cosinePearson: metric(s?.pearson ?? NaN, s ? 'undefined: all pairwise cosine similarities are equal in one space' : tooFew),
    cosineSpearman: metric(s?.spearman ?? NaN, s ? 'undefined: all pairwise cosine similarities are equal in one space' : tooFew),
    cosineMeanAbsDiff: metric(s?.meanAbsDiff ?? NaN, tooFew),
  };
}

/** Adds, per OOD set and score, the Spearman correlation of the student's scores with the teacher's. */
function addTeacherSpearman(teacher: ModelAnalysis, student: ModelAnalysis): void {
  for (const [set, result] of Object.entries(student.card.ood)) {
    if ('skipped' in result) continue;
    for (const [score, r] of Object.entries(result.scores)) {
      if ('skipped' in r) continue;
      const tId = teacher.idScores[score], tOod = teacher.oodScores[set]?.[score];
      const sId = student.idScores[score]!, sOod = student.oodScores[set]![score]!;
      if (!tId || !tOod) { r.teacherSpearman = { skipped: 'the teacher has no such score for this set' }; continue; }
      const rho = spearman(concat(tId, tOod), concat(sId, sOod));
      r.teacherSpearman = metric(rho, 'undefined: teacher or student scores are all equal');
    }
  }
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
