/**
 * The `tintem distill` config: a zod schema (strict: unknown keys are errors) with the defaults.
 * Loss weights (all 1) and temperatures (0.01..0.10) are the paper's; the optimisation defaults are sized for
 * the MNIST-scale CPU demo (5,000 images, batch 128).
 */
import { z } from 'zod';
import { methodNames } from '../methods/index.js';
import { DEFAULT_TAUS } from '../methods/similarity.js';

const positiveInt = z.number().int().positive();
const range = z.tuple([z.number().positive(), z.number().positive()]);

export const DEFAULT_CROP = { scale: [0.6, 1] as [number, number], ratio: [3 / 4, 4 / 3] as [number, number] };

export const augmentSchema = z.strictObject({
  /** Random resized crop (area fraction and aspect-ratio ranges), or false for none. */
  crop: z.union([z.strictObject({ scale: range, ratio: range }), z.literal(false)]).default(DEFAULT_CROP),
  /** Horizontal flips (off by default: digits and text are not mirror-symmetric). */
  flip: z.boolean().default(false),
  /** Brightness/contrast/saturation jitter strength (RGB images only). */
  colorJitter: z.number().min(0).lt(1).default(0),
});

export const prefitSchema = z.strictObject({
  epochs: positiveInt.default(5),
  batchSize: positiveInt.min(2).default(256),
  lr: z.number().positive().default(1e-3),
});

export const methodSchema = z.strictObject({
  name: z.enum(methodNames as unknown as [string, ...string[]]).default('tintem'),
  /** Loss-term weights by term name (tintem: headGlobal, headLocal, studentPooled, studentTokens); missing = 1. */
  weights: z.record(z.string(), z.number().min(0)).default({}),
  /** TinTeM temperatures the head losses average over. */
  taus: z.array(z.number().positive()).min(1).default([...DEFAULT_TAUS]),
  /** Use the teacher's token map (TinTeM's local and token terms). */
  tokens: z.boolean().default(true),
  /** Pre-fit the teacher head on cached embeddings before training (the paper trains all jointly: off). */
  prefitHead: z.union([prefitSchema, z.literal(false)]).default(false),
  /** Initialise the head's Linear from the top principal directions of the teacher embeddings. */
  pcaInit: z.boolean().default(false),
});

export const dataSchema = z.strictObject({
  /** Training images: 'mnist:train', 'fashion:train', 'folder:<path>', 'photos', 'noise:<n>'. */
  train: z.string().min(1).default('mnist:train'),
  /** Use only the first N images. */
  limit: positiveInt.optional(),
  /**
   * Query set `tintem eval` scores this run on. Unset: the matching test split for mnist/fashion, else a
   * held-out 20% of the training images.
   */
  test: z.string().min(1).optional(),
});

/** Options of a model-file teacher (tfjs/onnx); they win over the teacher spec's '#key=value' options. */
export const teacherOptionsSchema = z.strictObject({
  /** Published preprocessing of a family: dinov2, clip, siglip, imagenet. */
  preset: z.enum(['dinov2', 'clip', 'siglip', 'imagenet']).optional(),
  /** Output names (several are concatenated along the feature axis); default the model's first. */
  outputs: z.array(z.string().min(1)).min(1).optional(),
  /** Token 0 of a [B, N, D] output: 'first' (CLS first), 'none' (mean of the patches) or another output's name. */
  cls: z.string().min(1).optional(),
  /** Register tokens after CLS to skip (DINOv2 with registers: 4). */
  registers: z.number().int().min(0).optional(),
  /** Patch grid side (default sqrt of the patch count). */
  patchGrid: positiveInt.optional(),
  /** 'full' keeps the patch grid whole instead of pooling it to teacherGrid. */
  grid: z.union([z.literal('full'), positiveInt]).optional(),
  /** 4-D outputs: channels first or last ('auto': from the model's declared shape). */
  layout: z.enum(['auto', 'nchw', 'nhwc']).optional(),
  inputSize: positiveInt.min(8).optional(),
  /** 'crop': shorter side + centre crop (keeping `crop` of it); 'squash': stretch to the square. */
  resize: z.enum(['crop', 'squash']).optional(),
  crop: z.number().gt(0).max(1).optional(),
  interpolation: z.enum(['bilinear', 'nearest']).optional(),
  mean: z.tuple([z.number(), z.number(), z.number()]).optional(),
  std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]).optional(),
});

export const distillConfigSchema = z.strictObject({
  /** Teacher spec: 'inception', 'mobilenet', 'random[:seed]', 'tfjs:<model.json>', 'onnx:<model.onnx>'. */
  teacher: z.string().min(1).default('inception'),
  /** Model-file teacher options (outputs, CLS/registers, preprocessing, preset); see docs/teachers.md. */
  teacherOptions: teacherOptionsSchema.optional(),
  /** Teacher token grid side (tokens = grid^2); default 2 (the student's map is average-pooled to it). */
  teacherGrid: positiveInt.max(64).optional(),
  data: dataSchema.prefault({}),
  /** Student spec fields over the default CNN (kind, embedDim, stemWidth, ... ; see src/students). */
  student: z.record(z.string(), z.unknown()).default({}),
  method: methodSchema.prefault({}),
  /**
   * Teacher-feature normalisation from statistics of the cached training features (stored with the run, applied
   * to the training targets and the teacher column of the evaluation): none (the paper's default), center, standardize.
   */
  teacherNorm: z.enum(['none', 'center', 'standardize']).default('none'),
  epochs: positiveInt.default(20),
  batchSize: positiveInt.default(128),
  lr: z.number().positive().default(2e-3),
  minLr: z.number().min(0).default(1e-5),
  weightDecay: z.number().min(0).default(0.05),
  /** Linear warm-up length in epochs; `warmupSteps` overrides it. */
  warmupEpochs: z.number().min(0).default(1),
  warmupSteps: z.number().int().min(0).optional(),
  seed: z.number().int().default(0),
  /** Cached augmented views per image besides the identity view; 0 = identity only. */
  views: z.number().int().min(0).default(0),
  augment: augmentSchema.prefault({}),
  cacheDir: z.string().min(1).default('.cache/tintem'),
  runDir: z.string().min(1).default('runs/distill'),
  /** Store cached teacher embeddings as float16 (half the disk). */
  fp16: z.boolean().default(false),
  /**
   * Train only from the cache: refuse to start (naming what is missing) unless it holds every teacher entry the
   * run needs, and never load the teacher. For a cache filled ahead by `distill --embed-only --shard i/n` jobs.
   */
  cacheOnly: z.boolean().default(false),
  /** Images per teacher forward when filling the cache. */
  teacherBatchSize: positiveInt.default(64),
  /** Progress bar on stderr. */
  progress: z.boolean().default(true),
  /**
   * How training steps run: 'graph' records the first step and runs every step as one TensorFlow graph (native
   * backend only; several times faster), 'eager' runs kernel by kernel, 'auto' is 'graph' where available and
   * falls back to eager with the reason. A resume must use the same path to repeat a run bit for bit.
   */
  trainStep: z.enum(['auto', 'graph', 'eager']).default('auto'),
  /**
   * TensorFlow's oneDNN kernels for training (native backend; one switch per process): 'auto' turns them on for
   * the graph path (about 1.5x faster there, bench/train-throughput) and off for eager (slower there).
   * TF_ENABLE_ONEDNN_OPTS in the environment wins.
   */
  oneDnn: z.enum(['auto', 'on', 'off']).default('auto'),
});

export type DistillConfig = z.output<typeof distillConfigSchema>;
export type DistillConfigInput = z.input<typeof distillConfigSchema>;
