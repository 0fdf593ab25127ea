/**
 * The `tintem.json` file written next to an exported student: what the model expects, where it came from and
 * checksums of its files. Browser-safe (no Node imports): the web page validates it with the same schema.
 */
// zod/mini: the same validation as zod at ~20 KB instead of ~440 KB in the page bundle.
import * as z from 'zod/mini';
import { describeIssue } from '../util/zod-issue.js';

export const STUDENT_FORMAT = 'tintem-student';
/** 2: tintem.json carries a `seal` (SHA-256 of its own canonical JSON) and may list ONNX files. 1 still loads. */
export const STUDENT_FORMAT_VERSION = 2;
export const METADATA_FILE = 'tintem.json';
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const ONNX_FILE = 'student.onnx';
export const ONNX_INT8_FILE = 'student.int8.onnx';
/** The forms an export can hold: TF.js LayersModel, ONNX float32, ONNX int8. */
export const EXPORT_FORMS = ['tfjs', 'onnx', 'onnx-int8'] as const;
export type ExportForm = (typeof EXPORT_FORMS)[number];

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

const intUpTo = (max: number) => z.int().check(z.positive(), z.maximum(max));

/**
 * Bounds on what tintem.json may ask for, checked before a tensor is made: the students' own limits
 * (src/students STUDENT_LIMITS), so an `inputSize: 9999` cannot ask the kernel for gigabytes per image.
 */
export const METADATA_LIMITS = { inputSize: 1024, embedDim: 8192, tokenGrid: 256, oodK: 10000 } as const;

const oodSchema = z.object({
  /** Unit-sphere Euclidean distance sqrt(2 - 2 cos) to the k-th nearest reference embedding (Sun et al. 2022). */
  score: z.literal('knn-distance'),
  k: intUpTo(METADATA_LIMITS.oodK),
  /** Scores above this are flagged out-of-distribution (chosen at `tpr` in-distribution true-positive rate). */
  threshold: z.optional(z.number().check(z.minimum(0), z.maximum(2))),
  tpr: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  /** Where the threshold came from, e.g. 'scorecard.json' or '--ood-threshold'. */
  source: z.optional(z.string()),
});
export type OodSpec = z.infer<typeof oodSchema>;

/** What the caller of exportStudent() supplies. */
export const studentMetadataSchema = z.object({
  inputSize: intUpTo(METADATA_LIMITS.inputSize),
  channels: z.union([z.literal(1), z.literal(3)]),
  embedDim: intUpTo(METADATA_LIMITS.embedDim),
  /** Side of the token grid of the training-time model (tokens output has tokenGrid^2 rows). */
  tokenGrid: z.int().check(z.nonnegative(), z.maximum(METADATA_LIMITS.tokenGrid)),
  /** The training run's id (run.json / summary.json), so an export names the run it came from. */
  runId: z.optional(z.string().check(z.maxLength(64))),
  /** Student architecture spec (JSON), enough to rebuild it. */
  student: jsonObject,
  /** Teacher identity: id names model, cut, input size and preprocessing. */
  teacher: z.looseObject({ id: z.string().check(z.minLength(1)) }),
  /** Distillation method name, e.g. 'tintem'. */
  method: z.string().check(z.minLength(1)),
  /** Free-form scorecard headline figures. */
  scorecard: z.optional(jsonObject),
  ood: z.optional(oodSchema),
});
export type StudentMetadata = z.infer<typeof studentMetadataSchema>;

const fileEntrySchema = z.object({ sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)), bytes: z.int().check(z.nonnegative()) });

const finite = z.number().check(z.refine(Number.isFinite));

/** What the ONNX export recorded about itself (tintem.json `onnx`). */
export const onnxInfoSchema = z.object({
  file: z.literal(ONNX_FILE),
  opset: z.int().check(z.minimum(17)),
  /** SHA-256 of the TF.js weights it was converted from (a gallery built with them fits it). */
  sourceWeightsSha256: z.string().check(z.maxLength(64)),
  /** onnxruntime-node against TF.js at export: max |difference| over `images` check images, relative to `scale`. */
  check: z.object({ images: z.int().check(z.nonnegative()), maxAbsDiff: finite, scale: finite, tolerance: finite }),
  int8: z.optional(z.object({
    file: z.literal(ONNX_INT8_FILE),
    /** 7 (onnxruntime's reduce_range) or 8 bits per weight. */
    weightBits: z.int().check(z.minimum(7), z.maximum(8)),
    calibrationImages: z.int().check(z.nonnegative()),
    /** Pooled cosine int8 vs float32 on the calibration images. */
    minCosine: finite,
    meanCosine: finite,
  })),
});
export type OnnxInfo = z.infer<typeof onnxInfoSchema>;

/** The full tintem.json as written by exportStudent(). */
export const tintemJsonSchema = z.extend(studentMetadataSchema, {
  format: z.literal(STUDENT_FORMAT),
  formatVersion: z.union([z.literal(1), z.literal(STUDENT_FORMAT_VERSION)]),
  /** SHA-256 of the canonical JSON of every other field (formatVersion 2): an edited field is refused on load. */
  seal: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  onnx: z.optional(onnxInfoSchema),
  tintemVersion: z.string(),
  /** Model outputs in order: ['pooled'] or ['pooled', 'tokens']. */
  outputs: z.union([z.tuple([z.literal('pooled')]), z.tuple([z.literal('pooled'), z.literal('tokens')])]),
  preprocessing: jsonObject,
  /** SHA-256 and size of model.json and every weight file, checked on load. */
  files: z.record(z.string(), fileEntrySchema),
});
export type TintemJson = z.infer<typeof tintemJsonSchema>;

/** One line naming the first schema problem, for UserError messages. */
export function describeSchemaError(error: { issues: ReadonlyArray<z.core.$ZodIssue> }): string {
  return error.issues[0] ? describeIssue(error.issues[0]) : '(top level): invalid';
}

/** JSON with object keys sorted at every level: the text the seal is computed over. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The forms an export holds, from its file list. */
export function exportForms(meta: TintemJson): ExportForm[] {
  const forms: ExportForm[] = [];
  if (meta.files[MODEL_FILE]) forms.push('tfjs');
  if (meta.onnx && meta.files[ONNX_FILE]) forms.push('onnx');
  if (meta.onnx?.int8 && meta.files[ONNX_INT8_FILE]) forms.push('onnx-int8');
  return forms;
}
