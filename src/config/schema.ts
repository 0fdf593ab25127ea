/**
 * The `tintem distill` config: a zod schema (strict: unknown keys are errors) with the defaults and a description
 * of every key. The `method` section is checked against the chosen method's own schema and `teacher` against the
 * teacher kinds; both come from the registries through `ConfigRegistries`, so this module (like all of config/)
 * imports no pipeline stage and loads no TensorFlow. The optimisation defaults are sized for the MNIST-scale
 * CPU demo (5,000 images, batch 128).
 */
import { z } from 'zod';
import { DEFAULT_CACHE_DIR, DEFAULT_METHOD, DEFAULT_TEACHER } from './defaults.js';

const positiveInt = z.number().int().positive();
const range = z.tuple([z.number().positive(), z.number().positive()]);

export const DEFAULT_CROP = { scale: [0.6, 1] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] };

export const augmentSchema = z.strictObject({
  crop: z.union([z.strictObject({ scale: range, ratio: range }), z.literal(false)]).default(DEFAULT_CROP)
    .describe('random resized crop: area fraction and aspect-ratio ranges, or false for none'),
  flip: z.boolean().default(false).describe('horizontal flips (off by default: digits and text are not mirror-symmetric)'),
  colorJitter: z.number().min(0).lt(1).default(0).describe('brightness/contrast/saturation jitter strength (RGB images only)'),
});

export const dataSchema = z.strictObject({
  train: z.string().min(1).default('mnist:train').describe('training images: a data-source spec (see the Data sources table of docs/config.md)'),
  limit: positiveInt.optional().describe('use only the first N images'),
  test: z.string().min(1).optional()
    .describe('query set `tintem eval` scores this run on (unset: the test split of the training source where it has one, e.g. mnist:train -> mnist:test, else a held-out 20% of the training images)'),
});

/** The method section before the method's own schema is applied: its name picks that schema. */
const methodSectionSchema = z.looseObject({
  name: z.string().min(1).default(DEFAULT_METHOD).describe('distillation method'),
});

export const baseConfigSchema = z.strictObject({
  teacher: z.string().min(1).default(DEFAULT_TEACHER).describe('teacher spec'),
  // Checked against the teacher registry's own schema (registries.teacherOptionsSchema), as `method` is against its method's.
  teacherOptions: z.record(z.string(), z.unknown()).optional(),
  teacherGrid: positiveInt.max(64).optional().describe("teacher token grid side (tokens = grid^2); default 2, the student's map is average-pooled to it"),
  data: dataSchema.prefault({}),
  student: z.union([z.string().min(1).transform((preset) => ({ preset }) as Record<string, unknown>), z.record(z.string(), z.unknown())]).default({})
    .describe('student by name (see Students), or { preset: <name>, inputSize, channels, embedDim, ... } with any key of its kind overridden; default cnn (tintem\'s small CNN sized for the data)'),
  method: methodSectionSchema.prefault({}),
  init: z.string().min(1).optional()
    .describe("start the student from an earlier student: a run folder (its student, plus the method's head when method, teacher and teacherNorm match) or an export folder (its student; a fresh head is fitted); the architecture must match"),
  teacherNorm: z.enum(['none', 'center', 'standardize']).default('none')
    .describe("teacher-feature normalisation from statistics of the cached training features (stored with the run, applied to the training targets and the evaluation's teacher column): none (the paper's default), center, standardize"),
  epochs: positiveInt.default(20).describe('training epochs'),
  batchSize: positiveInt.default(128).describe('images per step'),
  lr: z.number().positive().default(2e-3).describe('peak learning rate (AdamW)'),
  minLr: z.number().min(0).default(1e-5).describe('final learning rate of the cosine schedule'),
  weightDecay: z.number().min(0).default(0.05).describe('decoupled weight decay'),
  warmupEpochs: z.number().min(0).default(1).describe('linear warm-up length in epochs (warmupSteps overrides it)'),
  warmupSteps: z.number().int().min(0).optional().describe('linear warm-up length in steps'),
  seed: z.number().int().default(0).describe('seed for initialisation, shuffling and augmentation'),
  views: z.number().int().min(0).max(1000).default(0).describe('cached augmented views per image besides the identity view'),
  augment: augmentSchema.prefault({}),
  cacheDir: z.string().min(1).default(DEFAULT_CACHE_DIR).describe('teacher-embedding cache'),
  runDir: z.string().min(1).default('runs/distill').describe('where checkpoints, logs and the trained student go'),
  fp16: z.boolean().default(false).describe('store cached teacher embeddings as float16 (half the disk)'),
  cacheOnly: z.boolean().default(false)
    .describe('train only from the cache: refuse to start (naming what is missing) unless it holds every teacher entry the run needs, and never load the teacher (for a cache filled ahead by `distill --embed-only --shard i/n` jobs)'),
  teacherBatchSize: positiveInt.max(4096).default(64).describe('images per teacher forward when filling the cache'),
  teacherPrecision: z.enum(['fp32', 'int8', 'bf16']).default('fp32')
    .describe("precision of the teacher pass that fills the cache: fp32 (the student follows the real teacher), int8 (ONNX teachers: dynamic int8 MatMul/Gemm weights, about 2x faster) or bf16; a quantised teacher must pass a fidelity check against fp32 first (docs/teachers.md)"),
  teacherFidelity: z.strictObject({
    minCosine: z.number().min(0).max(1).default(0.995).describe('refuse a quantised teacher whose smallest token cosine to the fp32 teacher is below this'),
    images: positiveInt.min(2).default(64).describe('images of the training set (a seeded sample) the fidelity check runs on (at most the set size)'),
  }).prefault({}),
  progress: z.boolean().default(true).describe('progress bar on stderr'),
  trainStep: z.enum(['auto', 'graph', 'eager']).default('auto')
    .describe("how training steps run: 'graph' runs every step as one recorded TensorFlow graph (native backend only; several times faster), 'eager' kernel by kernel, 'auto' is graph where available (a resume must use the same path to repeat a run bit for bit)"),
  oneDnn: z.enum(['auto', 'on', 'off']).default('auto')
    .describe("TensorFlow's oneDNN kernels for training (native backend): 'auto' is on for the graph path, off for eager; TF_ENABLE_ONEDNN_OPTS in the environment wins"),
  precision: z.enum(['auto', 'fp32', 'bf16']).default('auto')
    .describe("training precision: 'bf16' runs the compiled step's convolutions and matmuls in bfloat16 (master weights, BatchNorm statistics, loss reductions and AdamW stay float32), 'fp32' everything in float32, 'auto' is bf16 where the CPU computes it natively (amx_bf16 or avx512_bf16 in /proc/cpuinfo; TINTEM_BF16=off forces it off), the graph path runs and oneDNN is on, else fp32. Eager and non-native backends train in fp32. A resume keeps the run's precision. Separate from fp16 (the cache's storage)"),
});

/** A method's validated section: common keys plus that method's own options (see methods/registry.ts). */
export interface MethodConfig {
  name: string;
  weights: Record<string, number>;
  tokens: boolean;
  [option: string]: unknown;
}

/**
 * The validated `teacherOptions` section (its keys and bounds are the teacher registry's: teachers/options.ts, which
 * reads it back as its typed TeacherOptions).
 */
export type TeacherOptionsSection = Readonly<Record<string, unknown>>;

export type DistillConfig = Omit<z.output<typeof baseConfigSchema>, 'method' | 'teacherOptions'> & { method: MethodConfig; teacherOptions?: TeacherOptionsSection };
export type DistillConfigInput = z.input<typeof baseConfigSchema>;

/** What the config needs from the stages above it, handed in by the caller (so config/ stays a leaf). */
export interface ConfigRegistries {
  methodNames(): string[];
  /** The full strict schema of one method's section, or undefined for an unknown method. */
  methodSchema(name: string): z.ZodObject | undefined;
  /** Why a teacher spec is bad (checked without loading anything), or undefined when it is fine. */
  teacherProblem(spec: string): string | undefined;
  /** How teacher specs are written, for help texts. */
  teacherUsages(): string[];
  /** The strict schema of the `teacherOptions` section (model-file teacher options), defined by the teacher registry. */
  teacherOptionsSchema(): z.ZodObject;
  /** Why the student section is wrong (unknown preset, kind or key), checked without building anything. */
  studentProblem?(section: Record<string, unknown>): string | undefined;
}
