/**
 * The training run folder, the one module that knows its layout. Everyone else (distill, eval, export, demo)
 * goes through it:
 *   run.json          the run's identity (a random id made when the run starts), written first
 *   run.lock          held while a `tintem distill` works in the folder (pid + host; a dead holder's is taken over)
 *   config.yaml       the resolved config
 *   checkpoint.bin    latest checkpoint (its fingerprint carries the run id and the data's content hash)
 *   train.jsonl       every step's loss terms
 *   student/          model.json + weights.bin
 *   method-state/     variables.json + weights.bin (the TinTeM head or the baselines' projectors)
 *   summary.json      written last: the seal. It names the run id and the SHA-256 and size of every file above
 *                     (besides the checkpoint and lock), so a damaged file, or one left over from another run,
 *                     is refused with one line when the folder is read back.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { tf } from '../backend/index.js';
import type { DistillMethod } from '../methods/types.js';
import { STUDENT_LIMITS, validateStudentSpec, type StudentSpec } from '../students/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { quoteName } from '../util/quote.js';
import { GiB, MiB, readFileChecked } from '../util/safe-read.js';
import { saveLayersModel, saveMethodState, MODEL_FILE, VARIABLES_FILE, WEIGHTS_FILE, type MethodStateFile } from './save.js';
import type { StepRecord } from './checkpoint.js';
import { CHECKPOINT_FILE, LOG_FILE } from './trainer.js';

export const RUN_FORMAT = 'tintem-run';
export const RUN_FORMAT_VERSION = 1;

/** File names inside a run folder. */
export const RUN_FILES = {
  identity: 'run.json',
  lock: 'run.lock',
  config: 'config.yaml',
  checkpoint: CHECKPOINT_FILE,
  log: LOG_FILE,
  studentDir: 'student',
  studentModel: `student/${MODEL_FILE}`,
  studentWeights: `student/${WEIGHTS_FILE}`,
  methodDir: 'method-state',
  methodVariables: `method-state/${VARIABLES_FILE}`,
  methodWeights: `method-state/${WEIGHTS_FILE}`,
  summary: 'summary.json',
} as const;

/** The files summary.json seals, in the order they are written. */
const SEALED = [RUN_FILES.config, RUN_FILES.log, RUN_FILES.studentWeights, RUN_FILES.studentModel, RUN_FILES.methodWeights, RUN_FILES.methodVariables] as const;

const MAX_JSON_BYTES = 64 * MiB;
const MAX_WEIGHTS_BYTES = 2 * GiB;

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const terms = z.record(z.string().max(128), finite);
const fileEntry = z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: count });

/** summary.json: what a finished run learned from and how it went, plus the seal over the folder's files. */
export const runSummarySchema = z.strictObject({
  format: z.literal(RUN_FORMAT),
  formatVersion: z.literal(RUN_FORMAT_VERSION),
  runId: z.string().regex(/^[0-9a-f-]{8,64}$/),
  teacher: z.strictObject({
    id: z.string().min(1).max(1024), spec: z.string().min(1).max(4096),
    embedDim: z.number().int().min(1).max(65536), tokenCount: z.number().int().min(0).max(65536),
  }),
  method: z.strictObject({ name: z.string().min(1).max(64), weights: terms, taus: z.array(finite.refine((t) => t > 0, 'expected > 0')).max(64) }), // empty for methods without temperatures
  /** Version of the loss formulas (methods/index.ts LOSS_VERSION); absent in runs made before version 2. */
  lossVersion: z.number().int().min(1).optional(),
  /** Teacher-feature normalisation (statistics in teacher-norm.json); absent = none. */
  teacherNorm: z.enum(['none', 'center', 'standardize']).optional(),
  student: z.strictObject({
    spec: z.record(z.string(), z.unknown()), params: count,
    /** Preset name, FLOPs per image and the student's and teacher's token grid sides; absent in older runs. */
    preset: z.string().min(1).max(64).optional(), flops: count.optional(), tokenGrid: count.optional(), teacherGrid: count.optional(),
  }),
  data: z.strictObject({
    train: z.string().min(1).max(4096), limit: z.number().int().positive().optional(), count: z.number().int().min(1),
    name: z.string().max(4096), sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  epochs: z.number().int().min(1), steps: count, batchSize: z.number().int().min(1), seed: z.number().int(),
  /** Mean loss terms of the first and the last epoch. */
  firstEpochTerms: terms, finalTerms: terms, epochMeans: z.array(terms),
  /** Training seconds and images/s of the final session (a resumed run counts its last session). */
  trainSeconds: finite.refine((x) => x >= 0), imagesPerSec: finite.refine((x) => x >= 0),
  cache: z.strictObject({ hits: count, misses: count, seconds: finite.refine((x) => x >= 0) }),
  backend: z.string().max(64),
  /** How the final session's steps ran: one graph each, or eager (with why), and whether oneDNN was on. */
  training: z.strictObject({
    path: z.enum(['graph', 'eager']), reason: z.string().max(2048).optional(), kernels: count, oneDnn: z.boolean(),
    /** The precision the steps trained in (absent in runs from before the `precision` key: fp32). */
    precision: z.enum(['fp32', 'bf16']).optional(),
  }).optional(),
  /** SHA-256 and size of every sealed file, by path relative to the run folder. */
  files: z.record(z.string(), fileEntry),
});
export type RunSummary = Omit<z.output<typeof runSummarySchema>, 'student'> & {
  student: Omit<z.output<typeof runSummarySchema>['student'], 'spec'> & { spec: StudentSpec };
};
/** What the distill pipeline supplies; the module adds format, run id and the seal. */
export type RunSummaryInput = Omit<RunSummary, 'format' | 'formatVersion' | 'runId' | 'files'>;

const identitySchema = z.strictObject({
  format: z.literal(`${RUN_FORMAT}-identity`), formatVersion: z.literal(RUN_FORMAT_VERSION),
  runId: z.string().regex(/^[0-9a-f-]{8,64}$/), startedAt: z.string().max(64),
});
const lockSchema = z.object({ pid: z.number().int().positive(), host: z.string(), runId: z.string().optional(), startedAt: z.string().optional() });

function zodLine(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  return `${issue.path.map(String).join('.') || '(top level)'}: ${issue.message}`;
}

function readJson(path: string, what: string, maxBytes = MAX_JSON_BYTES): unknown {
  const text = readFileChecked(path, { what, maxBytes }).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`${quoteName(path)}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Identity and lock

/** The run id of a folder's run.json, or undefined when there is none. */
export function readRunId(dir: string): string | undefined {
  const path = join(dir, RUN_FILES.identity);
  if (!existsSync(path)) return undefined;
  const parsed = identitySchema.safeParse(readJson(path, 'run identity', 64 * 1024));
  if (!parsed.success) throw new UserError(`${quoteName(path)}: not a tintem run identity (${zodLine(parsed.error)})`);
  return parsed.data.runId;
}

/** Starts a new run in `dir`: a fresh id in run.json. */
export async function startRunIdentity(dir: string): Promise<string> {
  const runId = randomUUID();
  const body = { format: `${RUN_FORMAT}-identity`, formatVersion: RUN_FORMAT_VERSION, runId, startedAt: new Date().toISOString() };
  await writeFileAtomic(join(dir, RUN_FILES.identity), `${JSON.stringify(body, null, 2)}\n`);
  return runId;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RunLock { path: string; release(): void }

/**
 * Takes the folder's lock, so two `tintem distill` never interleave their files. A lock whose process is gone
 * (kill -9, power cut) is taken over; one held by a live process, or by another host (which cannot be checked),
 * is refused with one line.
 */
export function acquireRunLock(dir: string): RunLock {
  const path = join(dir, RUN_FILES.lock);
  const body = `${JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() })}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new UserError(`${quoteName(path)}: cannot create the run lock (${code})`);
      let holder: z.infer<typeof lockSchema> | undefined;
      try {
        const parsed = lockSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
        holder = parsed.success ? parsed.data : undefined;
      } catch { holder = undefined; }
      if (holder && holder.host !== hostname()) {
        throw new UserError(`${quoteName(dir)}: in use by tintem process ${holder.pid} on host ${holder.host} (${RUN_FILES.lock}); if it is not running, delete ${quoteName(path)}`);
      }
      if (holder && holder.pid !== process.pid && pidAlive(holder.pid)) {
        throw new UserError(`${quoteName(dir)}: another tintem distill (pid ${holder.pid}) is using this run folder; wait for it, or use another --run-dir`);
      }
      // The holder is gone (or the lock is torn): take it over.
      rmSync(path, { force: true });
      continue;
    }
    try { writeSync(fd, body); } finally { closeSync(fd); }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      process.off('exit', release);
      try {
        const now = lockSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
        if (now.success && now.data.pid === process.pid) rmSync(path, { force: true });
      } catch { /* already gone */ }
    };
    process.on('exit', release);
    return { path, release };
  }
  throw new UserError(`${quoteName(path)}: could not take the run lock (it keeps reappearing); is another tintem running here?`);
}

// ---------------------------------------------------------------------------------------------------------
// State and writing

export type RunState = 'empty' | 'started' | 'interrupted' | 'finished';

/** What a folder holds: nothing, a started run without checkpoint, an interrupted run, or a finished one. */
export function runState(dir: string): RunState {
  if (existsSync(join(dir, RUN_FILES.summary))) return 'finished';
  if (existsSync(join(dir, RUN_FILES.checkpoint))) return 'interrupted';
  if (existsSync(join(dir, RUN_FILES.identity)) || existsSync(join(dir, RUN_FILES.config))) return 'started';
  return 'empty';
}

/**
 * Checks before any work that `dir` can take the run as asked: --resume needs a checkpoint; a fresh run refuses
 * a folder holding a checkpoint or another run's trained outputs (which it would mix with its own).
 */
export function checkRunFolderFor(dir: string, resume: boolean): void {
  const ck = join(dir, RUN_FILES.checkpoint);
  if (resume && !existsSync(ck)) throw new UserError(`--resume: no checkpoint at ${quoteName(ck)}; start without --resume`);
  if (resume) return;
  if (existsSync(ck)) throw new UserError(`${quoteName(dir)}: already holds a checkpoint; pass --resume to continue it, or choose another --run-dir`);
  const left = [RUN_FILES.summary, RUN_FILES.studentDir, RUN_FILES.methodDir].filter((f) => existsSync(join(dir, f)));
  if (left.length > 0) {
    throw new UserError(`${quoteName(dir)}: holds another run's ${left.join(', ')}; choose another --run-dir, or delete the folder to start over`);
  }
}

/** True when the folder's config.yaml is exactly `yaml` (a re-run of the same config can reuse or resume it). */
export function runConfigIs(dir: string, yaml: string): boolean {
  const path = join(dir, RUN_FILES.config);
  if (!existsSync(path)) return false;
  return readFileChecked(path, { what: 'run config', maxBytes: 4 * MiB }).toString('utf8') === yaml;
}

export async function writeRunConfig(dir: string, yaml: string): Promise<void> {
  await writeFileAtomic(join(dir, RUN_FILES.config), yaml);
}

async function entryFor(dir: string, name: string): Promise<{ sha256: string; bytes: number }> {
  const bytes = readFileChecked(join(dir, name), { what: 'run folder file', maxBytes: MAX_WEIGHTS_BYTES, within: dir });
  return { sha256: sha256(bytes), bytes: bytes.length };
}

/**
 * Writes the trained student, the method state and, last, summary.json with the run id and every file's
 * checksum. A crash before summary.json leaves an unfinished folder that resume completes.
 */
export async function saveRunOutputs(dir: string, runId: string, model: tf.LayersModel, method: DistillMethod, summary: RunSummaryInput): Promise<RunSummary> {
  await saveLayersModel(model, join(dir, RUN_FILES.studentDir));
  await saveMethodState(method, join(dir, RUN_FILES.methodDir), { taus: summary.method.taus, teacherId: summary.teacher.id, runId });
  const files: RunSummary['files'] = {};
  for (const name of SEALED) files[name] = await entryFor(dir, name);
  const full = { format: RUN_FORMAT, formatVersion: RUN_FORMAT_VERSION, runId, ...summary, files } as RunSummary;
  const parsed = runSummarySchema.safeParse(full);
  if (!parsed.success) throw new Error(`run summary does not fit its own schema: ${zodLine(parsed.error)}`);
  await writeFileAtomic(join(dir, RUN_FILES.summary), `${JSON.stringify(full, null, 2)}\n`);
  return full;
}

// ---------------------------------------------------------------------------------------------------------
// Reading

/** Reads and checks summary.json: schema, bounds, the student spec, and that the run id matches run.json. */
export function readRunSummary(dir: string): RunSummary {
  const path = join(dir, RUN_FILES.summary);
  if (!existsSync(path)) {
    const state = runState(dir);
    const why = state === 'interrupted' ? 'the run was interrupted; finish it with tintem distill ... --resume'
      : state === 'started' ? 'the run never reached its first checkpoint' : 'not a tintem run folder';
    throw new UserError(`${quoteName(path)}: not found (${why})`);
  }
  const parsed = runSummarySchema.safeParse(readJson(path, 'run summary'));
  if (!parsed.success) throw new UserError(`${quoteName(path)}: not a tintem run summary (${zodLine(parsed.error)})`);
  const summary = parsed.data as RunSummary;
  summary.student.spec = validateStudentSpec(summary.student.spec, `${quoteName(path)}: student.spec`);
  if (summary.student.spec.inputSize > STUDENT_LIMITS.inputSize) throw new UserError(`${quoteName(path)}: student.spec.inputSize is out of bounds`);
  const identity = readRunId(dir);
  if (identity !== undefined && identity !== summary.runId) {
    throw new UserError(`${quoteName(dir)}: mixes two runs (summary.json is run ${summary.runId}, run.json is run ${identity}); re-run distill in a fresh --run-dir`);
  }
  for (const name of SEALED) if (!summary.files[name]) throw new UserError(`${quoteName(path)}: no checksum for ${name}`);
  return summary;
}

/** Reads one sealed file and checks it against summary.json. */
function readSealed(dir: string, summary: RunSummary, name: string): Buffer {
  const entry = summary.files[name];
  if (!entry) throw new UserError(`${quoteName(join(dir, RUN_FILES.summary))}: no checksum for ${name}`);
  const path = join(dir, name);
  if (!existsSync(path)) throw new UserError(`${quoteName(path)}: not found (run ${summary.runId} wrote it; restore the folder or re-run distill)`);
  const mismatch = (detail: string) => new UserError(`${quoteName(path)}: SHA-256 mismatch with summary.json${detail}: damaged, or left by another run; re-run distill (--resume if the checkpoint is intact) to rewrite it`);
  // The size first (from stat, before reading): a file that grew is refused without reading it.
  const size = statSync(path).size;
  if (size !== entry.bytes) throw mismatch(` (expected ${entry.bytes} bytes, found ${size})`);
  const bytes = readFileChecked(path, { what: 'run folder file', maxBytes: entry.bytes, within: dir });
  if (sha256(bytes) !== entry.sha256) throw mismatch('');
  return bytes;
}

/** Every sealed file, verified. */
export function verifyRunFolder(dir: string, summary = readRunSummary(dir)): RunSummary {
  for (const name of SEALED) readSealed(dir, summary, name);
  return summary;
}

/** config.yaml's text, verified against the seal. */
export function readRunConfigText(dir: string, summary: RunSummary): string {
  return readSealed(dir, summary, RUN_FILES.config).toString('utf8');
}

/** The loss log of a finished run, verified against the seal (the report's training curves). */
export function readRunLog(dir: string, summary: RunSummary): StepRecord[] {
  const text = readSealed(dir, summary, RUN_FILES.log).toString('utf8');
  return text.split('\n').filter((l) => l.trim()).map((l, i) => {
    try {
      return JSON.parse(l) as StepRecord;
    } catch {
      throw new UserError(`${quoteName(join(dir, RUN_FILES.log))}: line ${i + 1} is not valid JSON`);
    }
  });
}

/** The student as a tf.LayersModel, every byte verified against the seal and finite. */
export async function loadRunStudent(dir: string, summary: RunSummary): Promise<tf.LayersModel> {
  const modelBytes = readSealed(dir, summary, RUN_FILES.studentModel);
  const weights = readSealed(dir, summary, RUN_FILES.studentWeights);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(modelBytes.toString('utf8')) as tf.io.ModelJSON;
  } catch {
    throw new UserError(`${quoteName(join(dir, RUN_FILES.studentModel))}: not valid JSON`);
  }
  const specs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
  assertFinite(weights, join(dir, RUN_FILES.studentWeights));
  const data = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  await import('../students/layers.js');
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: data, format: json.format }));
  } catch (e) {
    throw new UserError(`${quoteName(join(dir, RUN_FILES.studentModel))}: cannot build the model (${(e as Error).message.split('\n')[0]})`);
  }
}

/** The method state (variables.json + weights.bin), verified. */
export function readRunMethodState(dir: string, summary: RunSummary): { meta: MethodStateFile; data: Float32Array } {
  const metaBytes = readSealed(dir, summary, RUN_FILES.methodVariables);
  let meta: MethodStateFile;
  try {
    meta = JSON.parse(metaBytes.toString('utf8')) as MethodStateFile;
  } catch {
    throw new UserError(`${quoteName(join(dir, RUN_FILES.methodVariables))}: not valid JSON`);
  }
  const bytes = readSealed(dir, summary, RUN_FILES.methodWeights);
  assertFinite(bytes, join(dir, RUN_FILES.methodWeights));
  const copy = new Uint8Array(bytes.length - (bytes.length % 4));
  copy.set(bytes.subarray(0, copy.length));
  return { meta, data: new Float32Array(copy.buffer) };
}

/** float32 little-endian bytes must hold finite values only: a NaN/Inf weight is damage, not a model. */
function assertFinite(bytes: Uint8Array, path: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    if (!Number.isFinite(view.getFloat32(i, true))) throw new UserError(`${quoteName(path)}: holds a non-finite weight at byte ${i}; the file is damaged`);
  }
}
