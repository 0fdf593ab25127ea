/**
 * The `tintem.json` file written next to an exported student: what the model expects, where it came from and
 * checksums of its files. Browser-safe (no Node imports): the web page validates it with the same schema.
 */
import { z } from 'zod';

export const STUDENT_FORMAT = 'tintem-student';
export const STUDENT_FORMAT_VERSION = 1;
export const METADATA_FILE = 'tintem.json';
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/**
 * How pixels become the student's input, identically in Node and in the browser (src/export/preprocess.ts).
 * Written into tintem.json so other runtimes can reproduce it.
 */
export const PREPROCESSING = {
  layout: 'NHWC',
  range: [0, 1],
  decode: '8-bit RGB(A) / 255 in float32; alpha dropped; no colour-space conversion',
  resize: 'tf.image.resizeBilinear(alignCorners=false, halfPixelCenters=true) to inputSize x inputSize (aspect not kept)',
  toGray: '0.299 R + 0.587 G + 0.114 B (ITU-R 601 luma), after resizing',
  toRgb: 'grey repeated over 3 channels, after resizing',
  clip: 'to [0, 1] after resizing/conversion (as the training data)',
} as const;

const jsonObject = z.record(z.string(), z.unknown());

const oodSchema = z.object({
  /** 1 - cosine similarity to the k-th nearest reference embedding (Sun et al. 2022, deep kNN OOD). */
  score: z.literal('knn-cosine-distance'),
  k: z.number().int().positive(),
  /** Scores above this are flagged out-of-distribution (chosen at `tpr` in-distribution true-positive rate). */
  threshold: z.number().finite().optional(),
  tpr: z.number().min(0).max(1).optional(),
  /** Where the threshold came from, e.g. 'scorecard.json' or 'gallery calibration'. */
  source: z.string().optional(),
});
export type OodSpec = z.infer<typeof oodSchema>;

/** What the caller of exportStudent() supplies. */
export const studentMetadataSchema = z.object({
  inputSize: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
  embedDim: z.number().int().positive(),
  /** Side of the token grid of the training-time model (tokens output has tokenGrid^2 rows). */
  tokenGrid: z.number().int().nonnegative(),
  /** Student architecture spec (JSON), enough to rebuild it. */
  student: jsonObject,
  /** Teacher identity: id names model, cut, input size and preprocessing. */
  teacher: z.looseObject({ id: z.string().min(1) }),
  /** Distillation method name, e.g. 'tintem'. */
  method: z.string().min(1),
  /** Free-form scorecard headline figures. */
  scorecard: jsonObject.optional(),
  ood: oodSchema.optional(),
});
export type StudentMetadata = z.infer<typeof studentMetadataSchema>;

const fileEntrySchema = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() });

/** The full tintem.json as written by exportStudent(). */
export const tintemJsonSchema = studentMetadataSchema.extend({
  format: z.literal(STUDENT_FORMAT),
  formatVersion: z.literal(STUDENT_FORMAT_VERSION),
  tintemVersion: z.string(),
  /** Model outputs in order: ['pooled'] or ['pooled', 'tokens']. */
  outputs: z.union([z.tuple([z.literal('pooled')]), z.tuple([z.literal('pooled'), z.literal('tokens')])]),
  preprocessing: jsonObject,
  /** SHA-256 and size of model.json and every weight file, checked on load. */
  files: z.record(z.string(), fileEntrySchema),
});
export type TintemJson = z.infer<typeof tintemJsonSchema>;

/** One line naming the first schema problem, for UserError messages. */
export function describeSchemaError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length ? issue.path.join('.') : '(root)';
  return `${where}: ${issue.message}`;
}
