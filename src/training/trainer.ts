/**
 * The distillation training loop: seeded shuffles, one AdamW over student + method variables, warm-up +
 * cosine learning rate, a JSONL log of every loss term, a checksummed checkpoint every epoch, exact resume,
 * and a clean stop on an abort signal (the CLI wires SIGINT to it).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import { toModelInput } from '../backend/images.js';
import { UserError } from '../util/errors.js';
import { hashJson } from '../util/hash.js';
import { hashSeed, Rng } from '../util/random.js';
import type { ImageSet } from '../data/types.js';
import type { Student } from '../students/types.js';
import type { DistillMethod, TeacherFeatures } from '../methods/types.js';
import { AdamW } from './adamw.js';
import { warmupCosine } from './schedule.js';
import {
  assertSameConfig, loadCheckpoint, saveCheckpoint, type ByteWriter, type CheckpointData, type StepRecord, type TensorBlob,
} from './checkpoint.js';
import { appendStep, truncateLog } from './train-log.js';
import { gatherRows, type TeacherSource } from './teacher-source.js';
import { createProgress } from './progress.js';
import { Stepper, type StepPath } from '../backend/graph/index.js';
import type { Precision } from '../backend/precision.js';

/** The knobs of the loop itself (the CLI's DistillConfig resolves into this). */
export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  minLr: number;
  weightDecay: number;
  /** Warm-up length in epochs (fractions allowed); `warmupSteps`, when set, wins. */
  warmupEpochs: number;
  warmupSteps?: number;
  seed: number;
  /** Number of augmented views (ids 1..views) besides the identity view 0; 0 = identity only. */
  views: number;
  /** Show the progress bar / per-epoch lines on stderr (default true). Not part of the fingerprint. */
  progress?: boolean;
  /**
   * How each step runs: 'graph' records the first step and runs every step as one TensorFlow graph,
   * 'eager' runs kernel by kernel, 'auto' (default) is 'graph' where the native backend allows it. Part of the
   * fingerprint: graph and eager steps agree to float32 rounding, not bit for bit. With 'graph', a step that
   * cannot be one graph is a UserError naming why; 'auto' falls back to eager instead.
   */
  stepPath?: StepPath;
  /**
   * The resolved training precision (src/backend/precision.ts): 'bf16' runs the compiled step's convolutions
   * and matmuls in bfloat16, everything else in float32; the eager path is always float32. Default 'fp32'.
   * Part of the fingerprint (a resume keeps it).
   */
  precision?: Precision;
}

export type TrainEvent =
  | { type: 'start'; totalSteps: number; stepsPerEpoch: number; step: number; epoch: number; resumed: boolean }
  /** Which path the steps take (after the first step; 'eager' with the reason when the graph path was left). */
  | { type: 'path'; path: 'graph' | 'eager'; reason?: string; kernels: number }
  | { type: 'step'; record: StepRecord; imagesPerSec: number }
  | { type: 'epoch'; epoch: number; means: Record<string, number>; numTensors: number; rssBytes: number; seconds: number }
  | { type: 'checkpoint'; path: string; epoch: number; step: number }
  | { type: 'interrupted'; epoch: number; stepInEpoch: number; step: number; checkpoint: string };

export interface TrainOptions {
  student: Student;
  method: DistillMethod;
  data: ImageSet;
  teacherFeatures: TeacherSource;
  config: TrainConfig;
  runDir: string;
  resume?: boolean;
  onEvent?: (e: TrainEvent) => void;
  signal?: AbortSignal;
  /** Augmented pixels (N x H x W x C of `data`'s size) of images `indices` in view `viewId` >= 1; needed when views > 0. */
  augment?: (indices: Int32Array, viewId: number) => Float32Array;
  /** More settings that must match on resume (teacher, method, student spec, data spec). */
  fingerprintExtra?: Record<string, unknown>;
  /** Injected checkpoint writer (tests simulate a full disk with it). */
  checkpointWriter?: ByteWriter;
  /**
   * Rows of `data` to train on (default all). Rows left out are never seen by the optimiser: distill's held-out
   * slice for the label-free faithfulness figures (issue 27).
   */
  trainRows?: Int32Array;
  /**
   * Called after the last step of each epoch, before its log record is written: figures that go into that
   * record (`labelFree`) and the epoch's progress line.
   */
  monitor?: (student: Student) => Promise<Record<string, number>> | Record<string, number>;
}

export interface TrainResult {
  /** True when stopped by the signal (a checkpoint was written; resume continues). */
  interrupted: boolean;
  epochsCompleted: number;
  steps: number;
  /** Wall time of this call (not of earlier sessions). */
  seconds: number;
  /** Wall time of the whole run: earlier sessions (from the checkpoint) plus this call. */
  totalSeconds: number;
  /** Training images per second over the whole run (all its steps over totalSeconds; a resume used to divide by this call's time alone). */
  imagesPerSec: number;
  /** Mean loss terms of each completed epoch, over the whole run (earlier sessions included). */
  epochMeans: Array<Record<string, number>>;
  /** Last step's terms. */
  lastTerms: Record<string, number>;
  checkpointPath: string;
}

export const CHECKPOINT_FILE = 'checkpoint.bin';
export const LOG_FILE = 'train.jsonl';

/** Batches per epoch: the last incomplete batch is dropped (batch-level similarity losses need full batches). */
export function stepsPerEpoch(count: number, batchSize: number): number {
  return count >= batchSize ? Math.floor(count / batchSize) : 1;
}

/** The image order of an epoch, derived from seed and epoch alone so a resumed run repeats it. */
export function epochPermutation(seed: number, epoch: number, count: number): Int32Array {
  return new Rng(hashSeed(`${seed}:shuffle:${epoch}`)).permutation(count);
}

/** Which view a step trains on (0 = identity), derived from seed, epoch and step. */
export function stepView(seed: number, epoch: number, step: number, views: number): number {
  return views > 0 ? new Rng(hashSeed(`${seed}:view:${epoch}:${step}`)).int(views + 1) : 0;
}

function validate(config: TrainConfig, data: ImageSet): void {
  const positiveInt = (v: number, k: string) => { if (!Number.isInteger(v) || v < 1) throw new UserError(`train config: ${k}: expected a positive integer, got ${v}`); };
  positiveInt(config.epochs, 'epochs');
  positiveInt(config.batchSize, 'batchSize');
  if (!(config.lr > 0)) throw new UserError(`train config: lr: expected > 0, got ${config.lr}`);
  if (!(config.minLr >= 0 && config.minLr <= config.lr)) throw new UserError(`train config: minLr: expected between 0 and lr (${config.lr}), got ${config.minLr}`);
  if (!(config.weightDecay >= 0)) throw new UserError(`train config: weightDecay: expected >= 0, got ${config.weightDecay}`);
  if (!(Number.isInteger(config.views) && config.views >= 0)) throw new UserError(`train config: views: expected an integer >= 0, got ${config.views}`);
  if (data.count < 2) throw new UserError(`${data.name}: needs at least 2 training images, got ${data.count}`);
}

/** Resizes / converts channels so a batch fits the student's input (the same conversion as the data and export). */
function toStudentInput(x: tf.Tensor4D, student: Student): tf.Tensor4D {
  return toModelInput(x, student.inputSize, student.channels);
}

const blobs = (tensors: tf.Tensor[]): TensorBlob[] =>
  tensors.map((t) => ({ shape: t.shape.slice(), data: Float32Array.from(t.dataSync() as Float32Array) }));

function checkShapes(targets: Array<{ readonly shape: ReadonlyArray<number | null> }>, blobsIn: TensorBlob[], what: string, path: string): void {
  if (targets.length !== blobsIn.length) {
    throw new UserError(`${path}: checkpoint has ${blobsIn.length} ${what} tensors, this run has ${targets.length} (different architecture)`);
  }
  targets.forEach((t, i) => {
    const b = blobsIn[i]!;
    if (b.shape.join('x') !== t.shape.join('x')) {
      throw new UserError(`${path}: ${what} tensor ${i} has shape [${b.shape}] in the checkpoint, [${t.shape}] in this run`);
    }
  });
}

function restoreVariables(targets: tf.Variable[], blobsIn: TensorBlob[], what: string, path: string): void {
  checkShapes(targets, blobsIn, what, path);
  tf.tidy(() => targets.forEach((t, i) => t.assign(tf.tensor(blobsIn[i]!.data, blobsIn[i]!.shape))));
}

function restoreModel(model: tf.LayersModel, blobsIn: TensorBlob[], path: string): void {
  checkShapes(model.weights, blobsIn, 'student', path);
  const tensors = blobsIn.map((b) => tf.tensor(b.data, b.shape));
  try { model.setWeights(tensors); } finally { tf.dispose(tensors); }
}

interface StepInputs {
  stepper: Stepper;
  /** Loss-term names, filled by the first eagerly run (or recorded) step. */
  termNames: string[];
  student: Student;
  method: DistillMethod;
  teacherFeatures: TeacherSource;
  optimizer: AdamW;
  variables: tf.Variable[];
  indices: Int32Array;
  viewId: number;
  /** The batch at the data's resolution; disposed here. */
  batch: tf.Tensor4D;
}

/** One optimiser step; returns the term names and [total loss, ...terms] values. */
async function trainStep(s: StepInputs): Promise<{ names: string[]; values: Float32Array; graph: boolean }> {
  let teacher: TeacherFeatures | undefined;
  try {
    teacher = await s.teacherFeatures.features(s.indices, s.viewId, s.batch);
    const t = teacher;
    // Everything the step reads that changes from step to step (the graph path feeds these by position).
    const data: tf.Tensor[] = [s.batch, t.pooled, ...(t.tokens ? [t.tokens] : []), ...(t.logits ? [t.logits] : [])];
    const eager = () => [tf.tidy(() => {
      const xs = toStudentInput(s.batch, s.student);
      let kept: tf.Scalar[] = [];
      const { value, grads } = tf.variableGrads(() => {
        const terms = s.method.losses(s.student.apply(xs, true), t);
        const names = Object.keys(terms);
        s.termNames.splice(0, s.termNames.length, ...names);
        // Keep the unweighted terms past variableGrads' scope, for the log.
        kept = names.map((k) => tf.keep(terms[k]!));
        return names.reduce<tf.Scalar>((acc, k) => tf.add(acc, tf.mul(terms[k]!, s.method.weights[k] ?? 1)), tf.scalar(0));
      }, s.variables);
      s.optimizer.applyGradients(grads);
      const out = tf.stack([value, ...kept]);
      tf.dispose(kept);
      return out;
    })];
    const { results, graph } = s.stepper.step(data, eager);
    const values = results[0]!.dataSync() as Float32Array;
    tf.dispose(results);
    return { names: s.termNames.slice(), values, graph };
  } finally {
    tf.dispose([s.batch, ...(teacher ? [teacher.pooled, teacher.tokens, teacher.logits].filter((x) => x !== undefined) : [])] as tf.Tensor[]);
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The shape of the run, fixed by the config and the data: batch size, steps and the learning-rate schedule. */
interface RunPlan {
  /** Rows of the data to train on (undefined: all). */
  pool: Int32Array | undefined;
  trainCount: number;
  batch: number;
  perEpoch: number;
  totalSteps: number;
  lrAt: (step: number) => number;
}

function planRun(opts: TrainOptions): RunPlan {
  const { config, data } = opts;
  const pool = opts.trainRows;
  const trainCount = pool ? pool.length : data.count;
  if (pool && (trainCount < 1 || pool.some((r) => r < 0 || r >= data.count))) throw new Error('train: trainRows must be rows of data');
  const batch = Math.min(config.batchSize, trainCount);
  const perEpoch = stepsPerEpoch(trainCount, batch);
  const totalSteps = perEpoch * config.epochs;
  const warmupSteps = config.warmupSteps ?? Math.round(config.warmupEpochs * perEpoch);
  const lrAt = warmupCosine({ baseLr: config.lr, minLr: config.minLr, warmupSteps, totalSteps });
  return { pool, trainCount, batch, perEpoch, totalSteps, lrAt };
}

/** The settings a resume must match, and their hash (stored in every checkpoint). */
function runFingerprint(opts: TrainOptions, plan: RunPlan): { fingerprint: string; fingerprintConfig: Record<string, unknown> } {
  const { config, data } = opts;
  // precision fp32 is left out, so runs from before the key existed still resume.
  const { progress: _p, precision: _precision, ...trainKnobs } = config;
  if (config.precision === 'bf16') Object.assign(trainKnobs, { precision: 'bf16' });
  const fingerprinted: Record<string, unknown> = {
    train: trainKnobs, data: { name: data.name, count: data.count, height: data.height, width: data.width, channels: data.channels, ...(plan.pool ? { trainRows: plan.trainCount } : {}) },
    ...(opts.fingerprintExtra ?? {}),
  };
  // Round-trip through JSON so the stored copy compares equal to the one rebuilt on resume.
  const fingerprintConfig = JSON.parse(JSON.stringify(fingerprinted)) as Record<string, unknown>;
  return { fingerprint: hashJson(fingerprintConfig), fingerprintConfig };
}

/** Where the run stands besides the weights: what a checkpoint stores and a resume restores. */
interface RunState {
  epoch: number;
  stepInEpoch: number;
  step: number;
  epochMeans: Array<Record<string, number>>;
  lossTail: StepRecord[];
  /** Sums of the loss terms over the current epoch's steps so far, and their count. */
  sums: Record<string, number>;
  sumCount: number;
  /** Wall time of earlier sessions. */
  elapsedBefore: number;
}

/**
 * The state to start from: a fresh run (refused when the folder already holds a checkpoint; the old log goes),
 * or, with `resume`, the checkpoint's weights, optimiser state and position (the log is cut back to its step).
 */
async function openRun(opts: TrainOptions, paths: { ckPath: string; logPath: string }, fp: ReturnType<typeof runFingerprint>, optimizer: AdamW): Promise<RunState> {
  const { ckPath, logPath } = paths;
  if (opts.resume) {
    if (!existsSync(ckPath)) throw new UserError(`--resume: no checkpoint at ${ckPath}; start without --resume`);
    const ck = await loadCheckpoint(ckPath);
    assertSameConfig(ck, fp.fingerprint, fp.fingerprintConfig, ckPath);
    restoreModel(opts.student.model, ck.student, ckPath);
    restoreVariables(opts.method.variables, ck.method, 'method', ckPath);
    optimizer.importState(ck.optimizer, ckPath);
    truncateLog(logPath, ck.step);
    return {
      epoch: ck.epoch, stepInEpoch: ck.stepInEpoch, step: ck.step, epochMeans: ck.epochMeans, lossTail: ck.lossTail,
      sums: ck.partialEpoch?.sums ?? {}, sumCount: ck.partialEpoch?.count ?? 0, elapsedBefore: ck.elapsedSeconds,
    };
  }
  if (existsSync(ckPath)) {
    throw new UserError(`${opts.runDir}: already holds a checkpoint; pass --resume to continue it, or choose another run directory`);
  }
  rmSync(logPath, { force: true });
  return { epoch: 0, stepInEpoch: 0, step: 0, epochMeans: [], lossTail: [], sums: {}, sumCount: 0, elapsedBefore: 0 };
}

/** Everything the epoch and step loops share: the run's parts, its state, and what is shown (not checkpointed). */
interface Loop {
  opts: TrainOptions;
  plan: RunPlan;
  fp: ReturnType<typeof runFingerprint>;
  state: RunState;
  ckPath: string;
  logPath: string;
  emit: (e: TrainEvent) => void;
  variables: tf.Variable[];
  optimizer: AdamW;
  stepper: Stepper;
  termNames: string[];
  progress: ReturnType<typeof createProgress>;
  /** Start of this call (performance.now()). */
  t0: number;
  /** The step path last reported with a 'path' event. */
  reportedPath: string | undefined;
  lastTerms: Record<string, number>;
  /** Smoothed images per second, for the progress bar. */
  emaIps: number;
  /** The monitor's figures of the current epoch, for its progress line. */
  lastLabelFree: Record<string, number> | undefined;
}

function makeCheckpoint(l: Loop): CheckpointData {
  const s = l.state;
  return {
    configFingerprint: l.fp.fingerprint, config: l.fp.fingerprintConfig, epoch: s.epoch, stepInEpoch: s.stepInEpoch, step: s.step, seed: l.opts.config.seed,
    elapsedSeconds: s.elapsedBefore + (performance.now() - l.t0) / 1000, lossTail: s.lossTail, epochMeans: s.epochMeans,
    partialEpoch: s.stepInEpoch > 0 ? { sums: s.sums, count: s.sumCount } : undefined,
    student: blobs(l.opts.student.model.weights.map((w) => w.read())), method: blobs(l.opts.method.variables), optimizer: l.optimizer.exportState(),
  };
}

async function writeCheckpoint(l: Loop): Promise<void> {
  await saveCheckpoint(l.ckPath, makeCheckpoint(l), l.opts.checkpointWriter);
  l.emit({ type: 'checkpoint', path: l.ckPath, epoch: l.state.epoch, step: l.state.step });
}

/** One step of the epoch whose image order is `order`: the optimiser step, the running sums, the log record, the events. */
async function runStep(l: Loop, order: Int32Array): Promise<void> {
  const { opts, plan, state: s } = l;
  const { config, data, student } = opts;
  const { height: H, width: W, channels: C } = data;
  const stepStart = performance.now();
  const indices = order.subarray(s.stepInEpoch * plan.batch, (s.stepInEpoch + 1) * plan.batch);
  const viewId = stepView(config.seed, s.epoch, s.stepInEpoch, config.views);
  const pixels = viewId === 0 ? gatherRows(data.pixels, H * W * C, indices) : opts.augment!(indices, viewId);
  const lr = plan.lrAt(s.step);
  l.optimizer.setLearningRate(lr);

  const { names, values: v } = await trainStep({
    stepper: l.stepper, termNames: l.termNames, student, method: opts.method, teacherFeatures: opts.teacherFeatures,
    optimizer: l.optimizer, variables: l.variables, indices, viewId,
    batch: tf.tensor4d(pixels, [indices.length, H, W, C]),
  });
  if (l.stepper.path !== l.reportedPath) {
    l.reportedPath = l.stepper.path;
    l.emit({ type: 'path', path: l.stepper.path, reason: l.stepper.reason, kernels: l.stepper.kernels });
  }
  const loss = v[0]!;
  const terms: Record<string, number> = {};
  names.forEach((k, i) => { terms[k] = v[i + 1]!; });
  s.step += 1;
  s.stepInEpoch += 1;
  if (!Number.isFinite(loss)) {
    throw new UserError(`training diverged: loss is ${loss} at epoch ${s.epoch + 1} step ${s.stepInEpoch} (lr ${lr.toExponential(2)}); lower the learning rate (--lr) and start again`);
  }
  for (const [k, x] of Object.entries(terms)) s.sums[k] = (s.sums[k] ?? 0) + x;
  s.sumCount += 1;
  const labelFree = s.stepInEpoch === plan.perEpoch && opts.monitor ? await opts.monitor(student) : undefined;
  if (labelFree) l.lastLabelFree = labelFree;
  const record: StepRecord = { epoch: s.epoch + 1, step: s.step, lr, loss, terms, ...(labelFree ? { labelFree } : {}) };
  l.lastTerms = terms;
  s.lossTail.push(record);
  if (s.lossTail.length > 200) s.lossTail = s.lossTail.slice(-200);
  appendStep(l.logPath, record);
  const ips = indices.length / ((performance.now() - stepStart) / 1000);
  l.emaIps = l.emaIps === 0 ? ips : 0.9 * l.emaIps + 0.1 * ips;
  l.emit({ type: 'step', record, imagesPerSec: ips });
  l.progress.step(s.step, s.epoch + 1, config.epochs, terms, l.emaIps);
}

/** After an epoch's last step: its mean terms, the checkpoint, the progress line and the 'epoch' event. */
async function closeEpoch(l: Loop, epochStart: number): Promise<void> {
  const s = l.state;
  const means = Object.fromEntries(Object.entries(s.sums).map(([k, x]) => [k, x / Math.max(1, s.sumCount)]));
  s.epochMeans = [...s.epochMeans, means];
  s.epoch += 1;
  s.stepInEpoch = 0;
  s.sums = {};
  s.sumCount = 0;
  await writeCheckpoint(l);
  l.progress.epochDone(s.epoch, l.opts.config.epochs, l.lastLabelFree ? { ...means, ...l.lastLabelFree } : means, l.emaIps);
  l.lastLabelFree = undefined;
  l.emit({
    type: 'epoch', epoch: s.epoch, means, numTensors: tf.memory().numTensors, rssBytes: process.memoryUsage().rss,
    seconds: (performance.now() - epochStart) / 1000,
  });
}

/**
 * The rest of the current epoch (all of it, or what a resume left), then its close. Returns true when the
 * signal stopped the run: mid-epoch a checkpoint is written first; at an epoch's end the epoch's own one stands.
 */
async function runEpoch(l: Loop): Promise<boolean> {
  const { opts, plan, state: s } = l;
  const drawn = epochPermutation(opts.config.seed, s.epoch, plan.trainCount);
  const pool = plan.pool;
  const order = pool ? Int32Array.from(drawn, (i) => pool[i]!) : drawn;
  const epochStart = performance.now();
  while (s.stepInEpoch < plan.perEpoch) {
    await runStep(l, order);
    await yieldToEventLoop(); // lets SIGINT (and other events) reach us between steps
    if (opts.signal?.aborted && s.stepInEpoch < plan.perEpoch) {
      await writeCheckpoint(l);
      l.emit({ type: 'interrupted', epoch: s.epoch, stepInEpoch: s.stepInEpoch, step: s.step, checkpoint: l.ckPath });
      return true;
    }
  }
  await closeEpoch(l, epochStart);
  if (opts.signal?.aborted && s.epoch < opts.config.epochs) {
    l.emit({ type: 'interrupted', epoch: s.epoch, stepInEpoch: s.stepInEpoch, step: s.step, checkpoint: l.ckPath });
    return true;
  }
  return false;
}

function trainResult(l: Loop, interrupted: boolean): TrainResult {
  const s = l.state;
  const seconds = (performance.now() - l.t0) / 1000;
  const totalSeconds = s.elapsedBefore + seconds;
  return {
    interrupted, epochsCompleted: s.epoch, steps: s.step, seconds, totalSeconds,
    imagesPerSec: totalSeconds > 0 ? (s.step * l.plan.batch) / totalSeconds : 0,
    epochMeans: s.epochMeans, lastTerms: l.lastTerms, checkpointPath: l.ckPath,
  };
}

/**
 * Trains `student` with `method` for `config.epochs` epochs (or the rest of them, with `resume`), checkpointing
 * after every epoch and when `signal` stops it between steps.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { student, method, data, config, runDir } = opts;
  validate(config, data);
  if (config.views > 0 && !opts.augment) throw new Error('train: config.views > 0 needs an augment function');
  mkdirSync(runDir, { recursive: true });
  const ckPath = join(runDir, CHECKPOINT_FILE);
  const logPath = join(runDir, LOG_FILE);
  const emit = opts.onEvent ?? (() => {});
  const plan = planRun(opts);
  const fp = runFingerprint(opts, plan);

  const variables = [...student.trainableVariables(), ...method.variables];
  const optimizer = new AdamW(variables, { lr: plan.lrAt(0), weightDecay: config.weightDecay });
  const stepper = new Stepper({ mode: config.stepPath ?? 'auto', strict: true, precision: config.precision });
  const t0 = performance.now();

  let state: RunState;
  try {
    state = await openRun(opts, { ckPath, logPath }, fp, optimizer);
  } catch (e) {
    optimizer.dispose();
    stepper.dispose();
    throw e;
  }

  const l: Loop = {
    opts, plan, fp, state, ckPath, logPath, emit, variables, optimizer, stepper, termNames: [],
    progress: createProgress(config.progress ?? true), t0, reportedPath: undefined,
    lastTerms: state.lossTail.at(-1)?.terms ?? {}, emaIps: 0, lastLabelFree: undefined,
  };
  emit({ type: 'start', totalSteps: plan.totalSteps, stepsPerEpoch: plan.perEpoch, step: state.step, epoch: state.epoch, resumed: !!opts.resume });
  l.progress.start(plan.totalSteps, state.step);
  try {
    while (state.epoch < config.epochs) {
      if (await runEpoch(l)) return trainResult(l, true);
    }
    return trainResult(l, false);
  } finally {
    l.progress.stop();
    optimizer.dispose();
    stepper.dispose();
  }
}

export interface TimeStepsOptions {
  student: Student;
  method: DistillMethod;
  teacherFeatures: TeacherSource;
  data: ImageSet;
  batchSize: number;
  /** Timed steps. */
  steps: number;
  /** Untimed steps first (graph warm-up, allocator). Default 1. */
  warmup?: number;
  lr?: number;
  /** Step path (default 'auto'). */
  stepPath?: StepPath;
  /** Precision of the compiled step (default 'fp32'). */
  precision?: Precision;
}

/**
 * Seconds of each of `steps` full training steps (teacher features, forward, backward, AdamW update) on
 * the first `batchSize` images, after `warmup` untimed ones. The weights change: use throwaway models.
 * For --dry-run time estimates and the training-throughput benchmark.
 */
export async function timeTrainSteps(o: TimeStepsOptions): Promise<number[]> {
  const timer = createStepTimer(o);
  try {
    await timer.run(o.warmup ?? 1);
    return await timer.run(o.steps);
  } finally {
    timer.dispose();
  }
}

export interface StepTimer {
  /** Seconds of each of `steps` more steps (the optimiser state and any compiled graph carry over). */
  run(steps: number): Promise<number[]>;
  /** The path the last step took. */
  readonly path: 'graph' | 'eager';
  dispose(): void;
}

/** {@link timeTrainSteps} as a session, for benchmarks that alternate rounds with a peer. */
export function createStepTimer(o: Omit<TimeStepsOptions, 'steps' | 'warmup'> & { onFallback?: (reason: string) => void }): StepTimer {
  const variables = [...o.student.trainableVariables(), ...o.method.variables];
  const optimizer = new AdamW(variables, { lr: o.lr ?? 1e-4, weightDecay: 0.05 });
  const stepper = new Stepper({ mode: o.stepPath ?? 'auto', onFallback: o.onFallback, precision: o.precision });
  const termNames: string[] = [];
  const n = Math.min(o.batchSize, o.data.count);
  const indices = Int32Array.from({ length: o.batchSize }, (_, i) => i % n);
  const { height: H, width: W, channels: C } = o.data;
  const pixels = gatherRows(o.data.pixels, H * W * C, indices);
  return {
    get path() { return stepper.path; },
    async run(steps) {
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const t = performance.now();
        await trainStep({
          stepper, termNames, student: o.student, method: o.method, teacherFeatures: o.teacherFeatures, optimizer, variables, indices, viewId: 0,
          batch: tf.tensor4d(pixels, [indices.length, H, W, C]),
        });
        times.push((performance.now() - t) / 1000);
      }
      return times;
    },
    dispose() {
      optimizer.dispose();
      stepper.dispose();
    },
  };
}
