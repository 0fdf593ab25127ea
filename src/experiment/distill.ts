/**
 * The whole `tintem distill` pipeline for a resolved config: load data, build the teacher, fill the embedding
 * cache for every view, build student + method, train (resumable), and write the run folder through
 * ./run-folder.ts (which owns its layout, the run's identity, the lock and the checksums).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { backendInfo, tf } from '../backend/index.js';
import { assertBackendCanTrain } from '../backend/training-check.js';
import { graphAvailability } from '../backend/graph/index.js';
import { resolvePrecision, type Precision } from '../backend/precision.js';
import { configToYaml } from '../config/load.js';
import { DEFAULT_TEACHER_GRID } from '../config/defaults.js';
import type { DistillConfig } from '../config/schema.js';
import { augmentImages, IDENTITY_VIEW, isRedecodable, loadDataset, type ViewSpec } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import { embedWithCache } from '../cache/index.js';
import { requireCoverage } from '../cache/maintenance.js';
import { LOSS_VERSION } from '../methods/defaults.js';
import { createMethod, getMethodEntry, prepareMethod } from '../methods/registry.js';
import { studentFitRows } from '../methods/student-fit.js';
import type { DistillMethod } from '../methods/types.js';
import { checkStudentKeys, createStudent, describeStudent, smallerStudentHint, studentName, resolveStudentSpec as resolveSpec, type Student, type StudentSpec } from '../students/index.js';
import { forwardTeacher } from '../teachers/asyncTeacher.js';
import { checkTeacherFidelity, teacherPrecisionOptions } from '../teachers/fidelity.js';
import { createTeacher } from '../teachers/registry.js';
import { assertTeacherGridFits, teacherOptionsOf } from '../teachers/options.js';
import type { Teacher } from '../teachers/types.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { quoteName } from '../util/quote.js';
import { info, warn } from '../util/log.js';
import { hashSeed, Rng } from '../util/random.js';
import { mean } from '../util/stats.js';
import { toTrainConfig, trainingFingerprint } from '../training/config.js';
import { createTeacherSource, gatherRows, type CachedView } from '../training/teacher-source.js';
import { applyInitMethod, applyInitWeights, initLine, readInitSource, type InitSource } from '../training/init.js';
import { labelFreeFaithfulness } from '../training/label-free.js';
import type { HeldOutEmbeddings } from '../training/converge.js';
import { availableBytes, predictTrainBytes } from '../students/memory.js';
import { computeTeacherNorm, loadTeacherNorm, normalizeView, saveTeacherNorm, TEACHER_NORM_FILE } from '../training/teacher-norm.js';
import { loadCheckpoint } from '../training/checkpoint.js';
import { CHECKPOINT_FILE, stepsPerEpoch, timeTrainSteps, train, type TrainEvent, type TrainResult } from '../training/trainer.js';
import {
  acquireRunLock, checkRunFolderFor, readRunId, saveRunOutputs, startRunIdentity, writeRunConfig,
  type RunSummary, type RunSummaryInput,
} from '../training/run-folder.js';
import { teacherModel } from '../teachers/identity.js';

/** summary.json of a finished run (schema and seal in ./run-folder.ts). */
export type DistillSummary = RunSummary;

export interface DistillRunOptions {
  resume?: boolean;
  /** Image folders: fail on the first unreadable file instead of skipping it. */
  strict?: boolean;
  signal?: AbortSignal;
  onEvent?: (e: TrainEvent) => void;
  /** Called (synchronously) with the live student after every finished epoch, e.g. to probe its kNN accuracy. */
  onEpochEnd?: (epoch: number, model: tf.LayersModel) => void;
  /** Called (synchronously) with the student and method just before the first step of this session. */
  onTrainStart?: (model: tf.LayersModel, method: DistillMethod) => void;
  /**
   * Hold this many training images (a seeded choice) out of training and score the student against the teacher
   * on them after every epoch, without labels: linear CKA, mutual kNN overlap, RankMe (label-free.ts). The
   * figures go into train.jsonl (`labelFree` on each epoch's last step) and the epoch's progress line. 0 = off;
   * 'auto' = a fifth of the images, at most 256 (at least MIN_MONITOR_IMAGES).
   */
  monitor?: number | 'auto';
  /** With `monitor`: the held-out teacher and student embeddings after each epoch (--converge compares runs on them). */
  onHeldOut?: (e: HeldOutEmbeddings) => void;
}

/** Fewest held-out images for the label-free figures (mutual kNN at k = 10 needs a few times k). */
export const MIN_MONITOR_IMAGES = 32;

/** The held-out slice for `monitor` images of `count`: sorted rows, seeded by the run's seed. */
export function monitorRows(count: number, requested: number | 'auto', seed: number): { heldOut: Int32Array; train: Int32Array } {
  const monitor = requested === 'auto' ? Math.max(MIN_MONITOR_IMAGES, Math.min(256, Math.floor(count / 5))) : requested;
  if (!Number.isInteger(monitor) || monitor < MIN_MONITOR_IMAGES) throw new UserError(`--monitor: expected at least ${MIN_MONITOR_IMAGES} held-out images, got ${monitor}`);
  if (count - monitor < 2) throw new UserError(`--monitor ${monitor}: the training set has only ${count} images; hold out fewer`);
  const order = new Rng(seed).fork('monitor').permutation(count);
  return { heldOut: order.slice(0, monitor).sort(), train: order.slice(monitor).sort() };
}

export interface DistillRunResult {
  interrupted: boolean;
  runDir: string;
  checkpointPath: string;
  /** Where training stopped (interrupted runs). */
  epoch: number;
  step: number;
  summary?: DistillSummary;
}

/** The student spec: the config's preset and fields at the data's size and channels (src/students resolves it). */
export function resolveStudentSpec(config: DistillConfig, data: ImageSet): StudentSpec {
  return resolveSpec(config.student, data.height, data.channels, 'config student');
}

/** View 0 is the identity; views 1..n are seeded augmentations with the config's parameters. */
export function viewSpecs(config: DistillConfig, channels: 1 | 3): ViewSpec[] {
  const views: ViewSpec[] = [IDENTITY_VIEW];
  for (let id = 1; id <= config.views; id++) {
    views.push({
      id, seed: hashSeed(`${config.seed}:view`),
      crop: config.augment.crop === false ? undefined : config.augment.crop,
      flip: config.augment.flip || undefined,
      colorJitter: channels === 3 && config.augment.colorJitter > 0 ? config.augment.colorJitter : undefined,
    });
  }
  return views;
}

/** Teacher token grid: the config's teacherGrid, else 2x2 (or the student's grid when that is coarser). */
export { DEFAULT_TEACHER_GRID };

/**
 * Refuses a teacher token grid finer than the student's (teachers/options.ts assertTeacherGridFits), unless the
 * user asked for the whole patch grid (grid=full, a documented choice bounded by the model's own patch grid).
 */
export function checkTeacherGrid(config: DistillConfig, teacher: Teacher, studentGrid: number): void {
  const full = config.teacherOptions?.grid === 'full' || /[#,]grid=full(,|$)/.test(config.teacher);
  if (!full) assertTeacherGridFits(teacher.tokenGrid, studentGrid, `teacher ${teacherModel(teacher.id)}`);
}

export function teacherGridFor(config: DistillConfig, studentGrid: number): number {
  return config.teacherGrid ?? Math.min(DEFAULT_TEACHER_GRID, studentGrid);
}

/** The image shape the config asks of its data (undefined = the loader's default for the spec). */
export function configImageShape(config: DistillConfig): { size?: number; channels?: 1 | 3 } {
  const size = typeof config.student.inputSize === 'number' ? config.student.inputSize : undefined;
  const channels = config.student.channels === 1 || config.student.channels === 3 ? config.student.channels : undefined;
  return { size, channels };
}

/** The run's training images, exactly as training saw them (same limit, seed and shape). */
export async function loadTrainingData(config: DistillConfig, opts: { strict?: boolean } = {}): Promise<ImageSet> {
  return loadDataset(config.data.train, { limit: config.data.limit, ...configImageShape(config), seed: config.seed, strict: opts.strict });
}

/**
 * Fewer optimiser steps than this in the whole run train almost nothing (the warm-up alone takes a good part of
 * them). Counted over the run, not per epoch: 300 photos at batch 16 for 32 epochs (18 steps an epoch, 576 in
 * all) train fine and were warned about (issue 27).
 */
export const MIN_TOTAL_STEPS = 300;

/**
 * A warning with the fix when the run has fewer than {@link MIN_TOTAL_STEPS} steps, else undefined. The suggested
 * batch size is the largest power of two (at least 8, below the current one) that reaches that many steps in the
 * same epochs; failing that, the epochs that would.
 */
export function fewStepsWarning(count: number, batchSize: number, epochs: number): string | undefined {
  const steps = stepsPerEpoch(count, Math.min(batchSize, count));
  const total = steps * epochs;
  if (total >= MIN_TOTAL_STEPS) return undefined;
  const what = `${steps} step${steps === 1 ? '' : 's'} an epoch (${count} images at batch size ${batchSize}; ${total} steps in all, under ${MIN_TOTAL_STEPS}), so the student will barely train`;
  for (let fit = 2 ** Math.floor(Math.log2(Math.max(1, batchSize - 1))); fit >= 8; fit /= 2) {
    const per = stepsPerEpoch(count, fit);
    if (fit < batchSize && per * epochs >= MIN_TOTAL_STEPS) return `${what}: use --batch-size ${fit} (${per} steps an epoch, ${per * epochs} in all), or more --epochs / images`;
  }
  const epochsFor = Math.ceil(MIN_TOTAL_STEPS / steps);
  return `${what}: too few images for a smaller batch to reach ${MIN_TOTAL_STEPS} steps; use more images, or about --epochs ${epochsFor} for ${epochsFor * steps} steps`;
}

/**
 * The training images as the teacher sees them: the same images (same seed, limit and order) decoded a second
 * time at the teacher's own resolution when the source allows it and the teacher wants more pixels than the
 * student, so a 224 px teacher never sees a 64 px image upsampled. Otherwise the student's set itself.
 */
export async function loadTeacherData(config: DistillConfig, student: ImageSet, teacher: Teacher): Promise<ImageSet> {
  const size = teacher.decodeSize ?? teacher.inputSize;
  if (size <= student.height || !isRedecodable(config.data.train)) return student;
  const set = await loadDataset(config.data.train, { limit: config.data.limit, size, channels: student.channels, seed: config.seed });
  if (set.count !== student.count) throw new Error(`teacher-resolution decode gave ${set.count} images, the student's ${student.count}`);
  return set;
}

function buildMethod(config: DistillConfig, teacherDim: number, studentDim: number, teacherTokens: boolean): Promise<DistillMethod> {
  return createMethod(config.method, { teacherDim, studentDim, teacherTokens, seed: config.seed });
}

export interface DryRunEstimate {
  images: number;
  views: number;
  teacherId: string;
  teacherDim: number;
  tokenCount: number;
  /** Teacher forwards to fill the cache (an upper bound: cached images are not recomputed). */
  teacherForwards: number;
  cacheBytes: number;
  teacherSecondsPerImage: number;
  trainSecondsPerStep: number;
  stepsPerEpoch: number;
  totalSteps: number;
  embedSeconds: number;
  trainSeconds: number;
  /** Predicted peak training memory and the memory available now. */
  trainBytes: number;
  availableBytes: number;
  /** Set when an epoch has too few steps (see {@link fewStepsWarning}). */
  fewSteps?: string;
  /** The student and how it fits the teacher (preset, parameters, FLOPs, token grids and their rule), as rows. */
  studentRows: Array<[string, string]>;
}

/** The student-vs-teacher rows (methods/student-fit.ts) for this config; `grid` is the teacher's cached grid side. */
function fitRows(config: DistillConfig, student: Student, teacher: { embedDim: number; inputSize: number; grid: number }): Array<[string, string]> {
  const requested = teacherGridFor(config, student.tokenGrid);
  const fullGrid = teacher.grid > 0 && (teacher.grid !== requested || config.teacherOptions?.grid === 'full' || /[#,]grid=full\b/.test(config.teacher));
  return studentFitRows(describeStudent(student), { embedDim: teacher.embedDim, tokenGrid: teacher.grid, inputSize: teacher.inputSize, fullGrid }, config.method.name);
}

const gb = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;

/** Refuses (one line) a student x batch size whose predicted training memory exceeds what is available. */
export function checkTrainMemory(model: tf.LayersModel, spec: StudentSpec, batchSize: number): { trainBytes: number; availableBytes: number } {
  const trainBytes = predictTrainBytes(model, batchSize);
  const available = availableBytes();
  if (trainBytes > available) {
    const fits = Math.max(1, Math.floor(batchSize * (available / trainBytes)));
    throw new UserError(`config batchSize ${batchSize}: a ${studentName(spec)} student at ${spec.inputSize} px needs about ${gb(trainBytes)} to train, ${gb(available)} is available; use --batch-size ${fits} or less, or ${smallerStudentHint(spec)}`);
  }
  return { trainBytes, availableBytes: available };
}

/** Estimates cost from a tiny timed teacher forward and a few timed training steps; trains nothing. */
export async function estimateDistill(config: DistillConfig, opts: { strict?: boolean } = {}): Promise<DryRunEstimate> {
  assertBackendCanTrain();
  checkStudentKeys(config.student);
  const data = await loadTrainingData(config, opts);
  const spec = resolveStudentSpec(config, data);
  if (config.init !== undefined) await readInitSource(config.init, spec); // a mismatched --init fails the dry run too
  const student = createStudent(spec, config.seed);
  const teacher = await createTeacher(config.teacher, { grid: teacherGridFor(config, student.tokenGrid), teacher: teacherOptionsOf(config.teacherOptions), ...teacherPrecisionOptions(config) }).catch((e) => { student.dispose(); throw e; });
  try {
    if (config.method.tokens) checkTeacherGrid(config, teacher, student.tokenGrid);
    if (config.teacherPrecision !== 'fp32') await checkTeacherFidelity(teacher, await loadTeacherData(config, data, teacher), config);
  } catch (e) {
    student.dispose(); teacher.dispose(); throw e;
  }
  try {
    const n = Math.min(16, data.count);
    const side = Math.max(data.height, teacher.decodeSize ?? teacher.inputSize);
    const batch = tf.tidy(() => {
      const x = tf.tensor4d(data.pixels.subarray(0, n * data.height * data.width * data.channels), [n, data.height, data.width, data.channels]);
      return side === data.height ? x : tf.image.resizeBilinear(x, [side, side], false, true);
    });
    let teacherSeconds = 0;
    try {
      for (let i = 0; i < 2; i++) {
        const t = performance.now();
        const out = await forwardTeacher(teacher, batch);
        await out.pooled.data();
        tf.dispose([out.pooled, ...(out.tokens ? [out.tokens] : []), ...(out.logits ? [out.logits] : [])]);
        teacherSeconds = (performance.now() - t) / 1000 / n; // keep the second (warm) timing
      }
    } finally {
      batch.dispose();
    }
    const tokenCount = config.method.tokens && teacher.tokenGrid ? teacher.tokenGrid ** 2 : 0;
    const memory = checkTrainMemory(student.model, spec, Math.min(config.batchSize, data.count));
    const studentRows = fitRows(config, student, { embedDim: teacher.embedDim, inputSize: teacher.inputSize, grid: tokenCount > 0 ? teacher.tokenGrid ?? 0 : 0 });
    const fake = randomView(data.count, teacher.embedDim, tokenCount);
    const method = await buildMethod(config, teacher.embedDim, spec.embedDim, tokenCount > 0);
    let stepSeconds: number;
    try {
      const times = await timeTrainSteps({
        student, method, teacherFeatures: createTeacherSource({ cached: new Map([[0, fake]]), tokens: config.method.tokens }),
        data, batchSize: Math.min(config.batchSize, data.count), steps: 2,
        precision: resolvePrecision(config.precision, { graph: config.trainStep !== 'eager' && graphAvailability().available, oneDnn: process.env.TF_ENABLE_ONEDNN_OPTS === '1' }).precision,
      });
      stepSeconds = mean(times);
    } finally {
      student.dispose();
      method.dispose();
    }
    const perEpoch = stepsPerEpoch(data.count, Math.min(config.batchSize, data.count));
    const forwards = data.count * (config.views + 1);
    return {
      images: data.count, views: config.views, teacherId: teacher.id, teacherDim: teacher.embedDim, tokenCount,
      teacherForwards: forwards,
      cacheBytes: forwards * teacher.embedDim * (1 + tokenCount) * (config.fp16 ? 2 : 4),
      teacherSecondsPerImage: teacherSeconds, trainSecondsPerStep: stepSeconds,
      stepsPerEpoch: perEpoch, totalSteps: perEpoch * config.epochs,
      embedSeconds: forwards * teacherSeconds, trainSeconds: perEpoch * config.epochs * stepSeconds,
      ...memory,
      fewSteps: fewStepsWarning(data.count, config.batchSize, config.epochs),
      studentRows,
    };
  } finally {
    teacher.dispose();
  }
}

function randomView(count: number, dim: number, tokenCount: number): CachedView {
  const rng = new Rng(1);
  const fill = (length: number) => Float32Array.from({ length }, () => rng.normal());
  return { pooled: fill(count * dim), dim, tokens: tokenCount > 0 ? fill(count * tokenCount * dim) : undefined, tokenCount };
}

async function embedViews(teacher: Teacher, data: ImageSet, views: ViewSpec[], config: DistillConfig, signal?: AbortSignal) {
  const cached = new Map<number, CachedView>();
  const totals = { hits: 0, misses: 0, seconds: 0 };
  for (const view of views) {
    const r = await embedWithCache(teacher, data, {
      cacheDir: config.cacheDir, view, batchSize: config.teacherBatchSize, fp16: config.fp16, tokens: config.method.tokens,
      progress: config.progress && Boolean(process.stderr.isTTY), signal, noCompute: config.cacheOnly,
    });
    cached.set(view.id, { pooled: r.pooled, dim: r.dim, tokens: r.tokens, tokenCount: r.tokenCount });
    totals.hits += r.hits; totals.misses += r.misses; totals.seconds += r.seconds;
  }
  return { cached, totals };
}

/**
 * The precision this run trains in, and why. A resume keeps the checkpoint's (precision auto follows it; asking
 * for the other one refuses); a new run resolves the `precision` key (src/backend/precision.ts).
 */
async function runPrecision(config: DistillConfig, resume: boolean, ckPath: string, oneDnn: boolean): Promise<{ precision: Precision; reason: string }> {
  const graph = config.trainStep !== 'eager' && graphAvailability().available;
  if (resume && existsSync(ckPath)) {
    const ck = await loadCheckpoint(ckPath);
    const was: Precision = (ck.config.train as { precision?: string } | undefined)?.precision === 'bf16' ? 'bf16' : 'fp32';
    if (config.precision !== 'auto' && config.precision !== was) {
      throw new UserError(`precision ${config.precision}: ${quoteName(ckPath)} trained in ${was} and a resume keeps it; resume with precision ${was} (or auto), or use a new run directory`);
    }
    if (was === 'bf16' && !graph) throw new UserError(`${quoteName(ckPath)}: this run trains in bf16, which needs the graph training path (${config.trainStep === 'eager' ? 'trainStep is eager' : graphAvailability().reason}); resume where it is available`);
    return { precision: was, reason: 'kept from the checkpoint' };
  }
  return resolvePrecision(config.precision, { graph, oneDnn });
}

/** Runs the whole pipeline; an abort (SIGINT) during training ends with a checkpoint and `interrupted: true`. */
export async function runDistill(config: DistillConfig, opts: DistillRunOptions = {}): Promise<DistillRunResult> {
  const runDir = config.runDir;
  assertBackendCanTrain();
  checkStudentKeys(config.student);
  // Fail before the (possibly long) cache fill when the run folder cannot be used as asked.
  checkRunFolderFor(runDir, opts.resume ?? false);
  await mkdirOrFail(runDir);
  const lock = acquireRunLock(runDir);
  try {
    checkRunFolderFor(runDir, opts.resume ?? false); // again, now that no other distill can change the folder
    const runId = opts.resume ? readRunId(runDir) : await startRunIdentity(runDir);
    if (runId === undefined) throw new UserError(`${quoteName(runDir)}: has a checkpoint but no run.json identity (written by an older tintem); start a fresh run in another --run-dir`);
    return await runLocked(config, runId, opts);
  } finally {
    lock.release();
  }
}

async function mkdirOrFail(dir: string): Promise<void> {
  const { mkdir, stat } = await import('node:fs/promises');
  const info = await stat(dir).catch(() => undefined);
  if (info && !info.isDirectory()) throw new UserError(`--run-dir ${quoteName(dir)}: exists and is not a folder`);
  await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`--run-dir ${quoteName(dir)}: cannot create the folder (${e.code ?? e.message})`);
  });
}

async function runLocked(config: DistillConfig, runId: string, opts: DistillRunOptions): Promise<DistillRunResult> {
  const runDir = config.runDir;
  const ckPath = join(runDir, CHECKPOINT_FILE);
  const data = await loadTrainingData(config, { strict: opts.strict });
  // The held-out slice (--monitor) is checked here, before any teacher work, and trains no steps.
  const trained = opts.monitor ? monitorRows(data.count, opts.monitor, config.seed).train.length : data.count;
  const fewSteps = fewStepsWarning(trained, config.batchSize, config.epochs);
  if (fewSteps) warn(fewSteps);
  // Resume must continue on the same images, not merely as many of the same size: hash their pixels.
  const dataSha256 = sha256(data.pixels);
  const spec = resolveStudentSpec(config, data);
  const views = viewSpecs(config, data.channels);
  const student = createStudent(spec, config.seed);
  // --init: read and check the source before the (long) cache fill; a resume takes everything from its checkpoint.
  let init: InitSource | undefined;
  try {
    checkTrainMemory(student.model, spec, Math.min(config.batchSize, data.count));
    if (config.init !== undefined && !opts.resume) {
      init = await readInitSource(config.init, spec);
      applyInitWeights(init, student.model);
    }
  } catch (e) { student.dispose(); throw e; }
  let teacher: Teacher;
  let teacherSize: number;
  try {
    // Lazy: a run whose every view is already cached never loads the teacher weights.
    teacher = await createTeacher(config.teacher, { grid: teacherGridFor(config, student.tokenGrid), lazy: true, teacher: teacherOptionsOf(config.teacherOptions), ...teacherPrecisionOptions(config) });
    teacherSize = teacher.inputSize;
    if (config.method.tokens) checkTeacherGrid(config, teacher, student.tokenGrid);
  } catch (e) {
    student.dispose();
    throw e;
  }
  let embedded: Awaited<ReturnType<typeof embedViews>>;
  const teacherInfo = { id: teacher.id, spec: config.teacher, embedDim: 0, tokenCount: 0 };
  try {
    // The training images as the teacher sees them (decoded again at its resolution where the source allows).
    const teacherData = await loadTeacherData(config, data, teacher);
    // A quantised teacher is checked against fp32 before anything is cached; its id then carries the figures.
    if (await checkTeacherFidelity(teacher, teacherData, config)) teacherInfo.id = teacher.id;
    if (config.cacheOnly) await requireCoverage(config.cacheDir, { teacher, set: teacherData, views, tokens: config.method.tokens, fp16: config.fp16 });
    embedded = await embedViews(teacher, teacherData, views, config, opts.signal);
  } catch (e) {
    student.dispose();
    throw e;
  } finally {
    teacher.dispose(); // every view is cached: training needs no live teacher
  }
  // teacherNorm: statistics of the identity view, taken once and kept with the run (a resume reuses the stored ones).
  const normStats = opts.resume && existsSync(join(runDir, TEACHER_NORM_FILE))
    ? loadTeacherNorm(runDir, config.teacherNorm)
    : computeTeacherNorm(config.teacherNorm, embedded.cached.get(0)!);
  if (normStats) {
    await saveTeacherNorm(runDir, normStats);
    for (const [id, view] of embedded.cached) embedded.cached.set(id, normalizeView(view, normStats));
  }
  const source = createTeacherSource({ cached: embedded.cached, tokens: config.method.tokens });
  const identity = embedded.cached.get(0)!;
  // From the cached features: a lazy teacher served from the cache never loaded its weights.
  teacherInfo.embedDim = identity.dim;
  teacherInfo.tokenCount = source.hasTokens ? identity.tokenCount : 0;
  const studentRows = fitRows(config, student, { embedDim: identity.dim, inputSize: teacherSize, grid: Math.round(Math.sqrt(teacherInfo.tokenCount)) });
  for (const [label, text] of studentRows) info(label === 'student size' ? text : `${label}: ${text}`);
  await writeRunConfig(runDir, configToYaml(config));

  const dropped = droppedTokenTermsWarning(config, source.hasTokens);
  if (dropped) warn(dropped);
  let method: DistillMethod;
  try {
    method = await buildMethod(config, identity.dim, spec.embedDim, source.hasTokens);
  } catch (e) {
    student.dispose();
    throw e;
  }
  try {
    const freshHead = init ? applyInitMethod(init, method, teacherInfo.id, config.teacherNorm) : '';
    if (init) info(initLine(init, method, freshHead));
    init = undefined; // the weights are in the student now
    if (!opts.resume && freshHead !== undefined) await prepareMethod(method, config.method, { pooled: identity.pooled, tokens: identity.tokens, count: data.count, seed: config.seed });
    let training: DistillSummary['training'];
    const oneDnn = process.env.TF_ENABLE_ONEDNN_OPTS === '1';
    const { precision, reason: precisionReason } = await runPrecision(config, opts.resume ?? false, ckPath, oneDnn);
    info(`training precision: ${precision} (${precisionReason})`);
    const onEvent = (e: TrainEvent) => {
      if (e.type === 'path') {
        training = { path: e.path, reason: e.reason, kernels: e.kernels, oneDnn, precision: e.path === 'graph' ? precision : 'fp32' };
        // One line a run saying which path the steps take (and why not the graph, when not).
        info(e.path === 'graph'
          ? `training path: graph (each step is one TensorFlow graph of ${e.kernels} kernels; oneDNN ${oneDnn ? 'on' : 'off'})`
          : `training path: eager${e.reason ? ` (${e.reason})` : ''}`);
      }
      if (e.type === 'start') opts.onTrainStart?.(student.model, method);
      if (e.type === 'start' && e.resumed) {
        info(`resuming from step ${e.step} of ${e.totalSteps} (epoch ${Math.min(e.epoch + 1, config.epochs)} of ${config.epochs}, ${e.stepsPerEpoch} steps an epoch)`);
      }
      opts.onEvent?.(e);
      if (e.type === 'epoch') opts.onEpochEnd?.(e.epoch, student.model);
    };
    const slice = opts.monitor ? monitorRows(data.count, opts.monitor, config.seed) : undefined;
    if (slice) info(`label-free faithfulness every epoch on ${slice.heldOut.length} held-out training images (not trained on): CKA, mutual kNN (k=10), RankMe`);
    const monitor = slice ? (s: Student) => labelFreeOnRows(s, data, identity.pooled, identity.dim, slice.heldOut, opts.onHeldOut) : undefined;
    const result = await train({
      student, method, data, teacherFeatures: source, config: { ...toTrainConfig(config), precision }, runDir, resume: opts.resume,
      signal: opts.signal, onEvent, ...(slice ? { trainRows: slice.train, monitor } : {}),
      augment: (indices, viewId) => augmentImages(data, indices, views[viewId]!),
      fingerprintExtra: { ...trainingFingerprint(config, spec as unknown as Record<string, unknown>), teacherId: teacherInfo.id, runId, dataSha256 },
    });
    if (result.interrupted) {
      return { interrupted: true, runDir, checkpointPath: ckPath, epoch: result.epochsCompleted, step: result.steps };
    }
    let summary: RunSummary;
    try {
      const input = { ...makeSummary(config, teacherInfo, method, spec, student, data, dataSha256, result, embedded.totals), training };
      summary = await saveRunOutputs(runDir, runId, student.model, method, input);
    } catch (e) {
      // A full disk (or lost permissions) here loses nothing: the final checkpoint holds the trained weights.
      const code = (e as NodeJS.ErrnoException).code;
      if (typeof code !== 'string' || !code.startsWith('E')) throw e;
      throw new UserError(`${quoteName(runDir)}: could not save the trained student (${(((e as Error).cause as Error | undefined) ?? (e as Error)).message.split('\n')[0]}); training is finished and checkpointed: free some space, then run the same command with --resume to write it`);
    }
    return { interrupted: false, runDir, checkpointPath: ckPath, epoch: result.epochsCompleted, step: result.steps, summary };
  } finally {
    student.dispose();
    method.dispose();
  }
}

/** summary.json's student: the spec, `params` and what the dry run shows (preset, FLOPs, both token grids). */
function studentSummary(spec: StudentSpec, student: Student, teacherTokens: number): RunSummary['student'] {
  const d = describeStudent(student);
  return { spec, params: d.parameters, preset: d.name, flops: d.flops, tokenGrid: d.tokenGrid, teacherGrid: Math.round(Math.sqrt(teacherTokens)) };
}

/**
 * A warning when the method has token terms but the teacher gives no patch tokens (e.g. an ONNX ViT with
 * `output=pooler_output`: one vector an image): those terms get no target and are dropped, which used to
 * happen silently (issue 27). Undefined when tokens were switched off on purpose (method.tokens=false) or the
 * method has no token terms.
 */
export function droppedTokenTermsWarning(config: DistillConfig, hasTokens: boolean): string | undefined {
  if (hasTokens || config.method.tokens === false) return undefined;
  const entry = getMethodEntry(config.method.name);
  const weights = (config.method as { weights?: Record<string, number> }).weights ?? {};
  const all = Object.entries(entry.terms as Record<string, { weight: number }>);
  const tokenTerms = all.filter(([name]) => /local|token/i.test(name)).filter(([name, t]) => (weights[name] ?? t.weight) > 0).map(([name]) => name);
  if (tokenTerms.length === 0) return undefined;
  const kept = all.map(([name]) => name).filter((n) => !tokenTerms.includes(n));
  const output = /[#,]output=([^,#]+)/.exec(config.teacher)?.[1] ?? teacherOptionsOf(config.teacherOptions)?.outputs?.join('+');
  const why = output ? `its output=${String(output)} is one vector an image, with no patch tokens` : 'it gives one vector an image, with no patch tokens';
  return `teacher ${config.teacher.replace(/^([a-z]+:)?(?:[^:#]*\/)/, '$1')}: ${why}, so ${config.method.name}'s token terms (${tokenTerms.join(', ')}) have no target and are dropped; only ${kept.join(', ') || 'none'} train. `
    + `Keep them with a token output (e.g. output=last_hidden_state, with cls=pooler_output for the pooled vector), or set method.tokens=false to silence this`;
}

/** The label-free figures of `student` against the cached teacher (pooled, identity view) on `rows` of `data`. */
export function labelFreeOnRows(
  student: Student, data: ImageSet, teacherPooled: Float32Array, teacherDim: number, rows: Int32Array, onHeldOut?: (e: HeldOutEmbeddings) => void,
): Record<string, number> {
  const per = data.height * data.width * data.channels;
  const pixels = gatherRows(data.pixels, per, rows);
  const pooled = tf.tidy(() => {
    const y = student.model.predict(tf.tensor4d(pixels, [rows.length, data.height, data.width, data.channels]));
    return (Array.isArray(y) ? y[0]! : y) as tf.Tensor2D;
  });
  const studentDim = pooled.shape[1];
  const studentRows = pooled.dataSync() as Float32Array;
  pooled.dispose();
  const teacherRows = gatherRows(teacherPooled, teacherDim, rows);
  onHeldOut?.({ teacher: teacherRows, teacherDim, student: studentRows, studentDim, count: rows.length });
  const f = labelFreeFaithfulness(teacherRows, teacherDim, studentRows, studentDim, rows.length, 10);
  return { cka: f.cka, mutualKnn: f.mutualKnn, rankMe: f.rankMe };
}

/** The method's temperatures when it has them (TinTeM), for the summary and the method-state file. */
function methodTaus(config: DistillConfig): number[] {
  return Array.isArray(config.method.taus) ? (config.method.taus as number[]) : [];
}

function makeSummary(
  config: DistillConfig, teacher: RunSummary['teacher'], method: DistillMethod, spec: StudentSpec, student: Student, data: ImageSet,
  dataSha256: string, result: TrainResult, cache: RunSummary['cache'],
): RunSummaryInput {
  return {
    teacher,
    method: { name: method.name, weights: { ...method.weights }, taus: methodTaus(config) },
    lossVersion: LOSS_VERSION,
    teacherNorm: config.teacherNorm,
    student: studentSummary(spec, student, teacher.tokenCount),
    data: { train: config.data.train, limit: config.data.limit, count: data.count, name: data.name, sha256: dataSha256 },
    epochs: config.epochs, steps: result.steps, batchSize: config.batchSize, seed: config.seed,
    firstEpochTerms: result.epochMeans[0] ?? {},
    finalTerms: result.epochMeans.at(-1) ?? {},
    epochMeans: result.epochMeans,
    trainSeconds: result.totalSeconds, imagesPerSec: result.imagesPerSec,
    cache, backend: backendInfo()?.name ?? 'unknown',
  };
}
