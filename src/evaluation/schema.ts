/**
 * The faithfulness scorecard as plain JSON, described with zod so report/export can validate a file they
 * read. Every number is finite: a metric that cannot be computed is `{ skipped: "<reason>" }`, never NaN.
 */
import { z } from 'zod';

export const SCORECARD_SCHEMA_ID = 'tintem.scorecard/1';

export const SkippedSchema = z.object({ skipped: z.string().min(1) }).strict();

export const ConfidenceIntervalSchema = z.object({
  lower: z.number(),
  upper: z.number(),
  level: z.number().gt(0).lt(1),
  /** Bootstrap resamples that gave a finite value. */
  resamples: z.number().int().nonnegative(),
}).strict();

export const MetricValueSchema = z.object({ value: z.number(), ci: ConfidenceIntervalSchema.optional() }).strict();

/** A number (with an optional bootstrap CI), or the reason it was not computed. */
export const MetricSchema = z.union([MetricValueSchema, SkippedSchema]);

export const RocCurveSchema = z.object({ fpr: z.array(z.number()), tpr: z.array(z.number()) }).strict();

export const OodScoreResultSchema = z.union([
  z.object({
    /** OOD positive; ties count half. With bootstrap CI (ID and OOD resampled separately). */
    auroc: MetricSchema,
    /** FPR at 95% TPR with ID positive: fraction of OOD kept when 95% of ID is kept. */
    fpr95IdPositive: MetricSchema,
    /** FPR at 95% TPR with OOD positive: fraction of ID flagged when 95% of OOD is flagged. */
    fpr95OodPositive: MetricSchema,
    /** Average precision with ID positive. */
    auprIn: MetricSchema,
    /** Average precision with OOD positive. */
    auprOut: MetricSchema,
    /** ROC curve (OOD positive), at most `settings.rocPoints` points. */
    roc: RocCurveSchema,
    /** Students only: Spearman correlation of this score with the teacher's, over ID-test + OOD samples. */
    teacherSpearman: MetricSchema.optional(),
    /** Which variant ran (Mahalanobis: 'class-conditional' or 'single-gaussian'). */
    variant: z.string().optional(),
  }).strict(),
  SkippedSchema,
]);

export const OodSetResultSchema = z.union([
  z.object({
    idCount: z.number().int().nonnegative(),
    oodCount: z.number().int().nonnegative(),
    /** Keyed by score: knn, mahalanobis, energy, msp. */
    scores: z.record(z.string(), OodScoreResultSchema),
  }).strict(),
  SkippedSchema,
]);

export const ModelCardSchema = z.object({
  role: z.enum(['teacher', 'student']),
  dim: z.number().int().positive(),
  quality: z.object({
    /** Weighted kNN top-1 accuracy on ID test (bank: ID train). */
    knn: MetricSchema,
    /** Linear-probe top-1 accuracy on ID test. */
    probe: MetricSchema,
    /** The probe's chosen hyper-parameters. */
    probeChosen: z.object({ lr: z.number(), weightDecay: z.number(), valAccuracy: z.number().optional() }).strict().optional(),
  }).strict(),
  /** Students only: agreement with the teacher on ID test. */
  agreement: z.object({
    knn: MetricSchema,
    probe: MetricSchema,
    retrievalTop1: MetricSchema,
    retrievalTopKOverlap: MetricSchema,
  }).strict().optional(),
  /** Students only: representation similarity to the teacher on ID test. */
  similarity: z.object({
    cka: MetricSchema,
    mutualKnn: MetricSchema,
    mutualKnnChance: MetricSchema,
    mutualKnnExpectedChance: MetricSchema,
    cosinePearson: MetricSchema,
    cosineSpearman: MetricSchema,
    cosineMeanAbsDiff: MetricSchema,
  }).strict().optional(),
  /** Keyed by OOD set name. */
  ood: z.record(z.string(), OodSetResultSchema),
}).strict();

/** One evaluation set as used: its spec, how many images, and where the choice came from. */
export const EvalSetRecordSchema = z.object({
  spec: z.string().min(1),
  count: z.number().int().nonnegative(),
  /** 'run': derived from the evaluated run's own data; 'option': named on the command line / by the caller; 'default': tintem's default OOD sets (neither named them). */
  from: z.enum(['run', 'option', 'default']),
  /** How the set was cut from its spec (e.g. 'held-out 20% of the run's training images'). */
  note: z.string().optional(),
}).strict();

export const ScorecardSchema = z.object({
  schema: z.literal(SCORECARD_SCHEMA_ID),
  seed: z.number().int(),
  counts: z.object({
    train: z.number().int().nonnegative(),
    test: z.number().int().nonnegative(),
    classes: z.number().int().nonnegative(),
    ood: z.record(z.string(), z.number().int().nonnegative()),
  }).strict(),
  settings: z.object({
    knnK: z.number().int().positive(),
    knnTemperature: z.number().positive(),
    oodK: z.number().int().positive(),
    retrievalK: z.number().int().positive(),
    mutualK: z.number().int().positive(),
    mutualMaxPoints: z.number().int().positive(),
    similarityMaxPoints: z.number().int().positive(),
    bootstrapResamples: z.number().int().positive(),
    ciLevel: z.number().gt(0).lt(1),
    rocPoints: z.number().int().positive(),
    mahalanobisShrinkage: z.number().min(0).max(1),
    normalizeForCka: z.boolean(),
  }).strict(),
  /** Plain-language statement of every convention (score direction, positives, CI method, sources). */
  conventions: z.record(z.string(), z.string()),
  /** Which sets were the kNN bank (train), the queries (test) and the OOD sets. */
  sets: z.object({
    train: EvalSetRecordSchema,
    test: EvalSetRecordSchema,
    ood: z.record(z.string(), EvalSetRecordSchema),
  }).strict().optional(),
  teacher: ModelCardSchema,
  students: z.record(z.string(), ModelCardSchema),
}).strict();

export type Skipped = z.infer<typeof SkippedSchema>;
export type Metric = z.infer<typeof MetricSchema>;
export type OodScoreResult = z.infer<typeof OodScoreResultSchema>;
export type OodSetResult = z.infer<typeof OodSetResultSchema>;
export type ModelCard = z.infer<typeof ModelCardSchema>;
export type Scorecard = z.infer<typeof ScorecardSchema>;
export type EvalSetRecord = z.infer<typeof EvalSetRecordSchema>;

/** True when a metric was computed (narrows to the value form). */
export function isValue(m: Metric | undefined): m is z.infer<typeof MetricValueSchema> {
  return m !== undefined && 'value' in m;
}
