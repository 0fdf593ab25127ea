/**
 * `distill --init <run dir | export dir>`: start the student from an earlier student instead of a fresh
 * initialisation. The source is read and verified before any data is embedded (a run folder against its
 * summary.json seal, an export folder against the SHA-256s of its tintem.json), its architecture is compared
 * with the run's student spec, and its weights are copied into the new student by weight name (float32 to
 * float32: bit-identical).
 *
 * From a run folder the method's own variables (TinTeM's teacher head, the baselines' projectors) come too, when
 * they were learnt for the same method, teacher and teacherNorm; otherwise (and from an export, which carries no
 * head) the method starts fresh and its usual `prepare` (prefit / PCA init) fits it.
 *
 * The AdamW moments are NOT carried over: they are the gradient statistics of another run's data and loss, taken
 * at the end of its cosine decay, and the new run restarts its schedule with a warm-up, which is exactly what a
 * fresh optimiser needs (the standard way to fine-tune). Exports have none, so both sources start alike.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tf } from '../backend/index.js';
import type { DistillMethod } from '../methods/types.js';
import { validateStudentSpec, type StudentSpec } from '../students/index.js';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';
import { stableStringify } from '../util/hash.js';
import { loadRunStudent, readRunMethodState, readRunSummary, RUN_FILES } from './run-folder.js';

/** The export folder's metadata file (src/export/meta.ts METADATA_FILE; export is a later stage). */
const EXPORT_METADATA = 'tintem.json';

export interface InitSource {
  kind: 'run' | 'export';
  /** The folder as given. */
  dir: string;
  spec: StudentSpec;
  /** Weights by name (the layer's weight name, e.g. 'stem_conv/kernel'). */
  weights: InitWeights;
  /** Run folders: the method state and what it was learnt against. */
  method?: { name: string; teacherId: string; teacherNorm: string; shapes: number[][]; arrays: Float32Array[] };
  /** The run id the source came from, when it names one. */
  runId?: string;
}

/** One line describing a student architecture: kind and every spec field. */
export function describeArchitecture(spec: StudentSpec): string {
  const { kind, ...rest } = spec as unknown as Record<string, unknown>;
  return `${String(kind)}(${Object.keys(rest).sort().map((k) => `${k}=${stableStringify(rest[k])}`).join(', ')})`;
}

/** Weights by name (the layer's weight name, e.g. 'stem_conv/kernel'), float32 as stored. */
export type InitWeights = Map<string, { shape: number[]; data: Float32Array }>;

/** What an export folder gives `--init`, read and verified by src/export/verify.ts (a later stage). */
export type ExportInitReader = (dir: string) => Promise<{ student: unknown; runId?: string; weights: InitWeights }>;

let exportReader: ExportInitReader | undefined;

/**
 * Hands `--init` the export stage's verifying reader (openExport: seal, every listed file's SHA-256, ONNX
 * metadata). src/export/verify.ts calls it when loaded; this stage may not import that one.
 */
export function setExportInitReader(reader: ExportInitReader): void {
  exportReader = reader;
}

/** An export folder through the export stage's verifying open; its messages gain the '--init' prefix. */
async function readExport(dir: string): Promise<InitSource> {
  if (!exportReader) throw new Error('distill --init <export>: the export reader is not loaded (import src/export/verify.js first)');
  let read: Awaited<ReturnType<ExportInitReader>>;
  try {
    read = await exportReader(dir);
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`--init ${e.message}`);
    throw e;
  }
  const spec = validateStudentSpec(read.student, `--init ${quoteName(join(resolve(dir), EXPORT_METADATA))}: student`);
  return { kind: 'export', dir, spec, weights: read.weights, runId: read.runId };
}

/** A finished run folder, verified against its seal: the student's weights and the method state. */
async function readRun(dir: string): Promise<InitSource> {
  const summary = readRunSummary(dir);
  const model = await loadRunStudent(dir, summary);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  try {
    for (const w of model.weights) weights.set(w.originalName, { shape: w.shape.slice() as number[], data: w.read().dataSync() as Float32Array });
  } finally {
    model.dispose();
  }
  const state = readRunMethodState(dir, summary);
  const arrays = state.meta.variables.map((v) => state.data.slice(v.offset, v.offset + v.length));
  return {
    kind: 'run', dir, spec: summary.student.spec, weights, runId: summary.runId,
    method: { name: state.meta.method, teacherId: summary.teacher.id, teacherNorm: summary.teacherNorm ?? 'none', shapes: state.meta.variables.map((v) => v.shape), arrays },
  };
}

/** Reads the --init source (run folder or export folder) and refuses one whose architecture differs from `spec`. */
export async function readInitSource(dir: string, spec: StudentSpec): Promise<InitSource> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`--init ${quoteName(dir)}: not found (expected a tintem run folder or an export folder)`);
  const isRun = existsSync(join(dir, RUN_FILES.summary)) || existsSync(join(dir, RUN_FILES.identity));
  const isExport = existsSync(join(dir, EXPORT_METADATA));
  if (!isRun && !isExport) throw new UserError(`--init ${quoteName(dir)}: neither a tintem run folder (summary.json) nor an export folder (tintem.json)`);
  const source = isRun ? await readRun(dir) : await readExport(dir);
  if (stableStringify(source.spec) !== stableStringify(spec)) {
    throw new UserError(`--init ${quoteName(dir)}: its student is ${describeArchitecture(source.spec)}, this run's is ${describeArchitecture(spec)}; set the run's student (config student / --set student.key=value) to match`);
  }
  return source;
}

/** Copies the source's weights into `model` by weight name; every weight must be present with its shape. */
export function applyInitWeights(source: InitSource, model: tf.LayersModel): void {
  const values = model.weights.map((w) => {
    const src = source.weights.get(w.originalName);
    if (!src) throw new UserError(`--init ${quoteName(source.dir)}: has no weight '${w.originalName}' (the student's layers differ)`);
    if (stableStringify(src.shape) !== stableStringify(w.shape)) {
      throw new UserError(`--init ${quoteName(source.dir)}: weight '${w.originalName}' has shape ${JSON.stringify(src.shape)}, the student's is ${JSON.stringify(w.shape)}`);
    }
    return tf.tensor(src.data, src.shape, 'float32');
  });
  try { model.setWeights(values); } finally { tf.dispose(values); }
}

/**
 * Loads the method's variables from a run source when they fit (same method, teacher, teacherNorm and shapes).
 * Returns undefined when loaded, else why a fresh one is fitted (for the log line).
 */
export function applyInitMethod(source: InitSource, method: DistillMethod, teacherId: string, teacherNorm: string): string | undefined {
  const m = source.method;
  if (!m) return 'an export carries no head';
  if (method.variables.length === 0) return undefined;
  if (m.name !== method.name) return `the run trained ${m.name}, this run ${method.name}`;
  if (m.teacherId !== teacherId) return `the run's teacher was ${m.teacherId}, this run's is ${teacherId}`;
  if (m.teacherNorm !== teacherNorm) return `the run's teacherNorm was ${m.teacherNorm}, this run's is ${teacherNorm}`;
  if (m.shapes.length !== method.variables.length || m.shapes.some((s, i) => stableStringify(s) !== stableStringify(method.variables[i]!.shape))) {
    return 'its shapes differ';
  }
  method.variables.forEach((v, i) => {
    const t = tf.tensor(m.arrays[i]!, m.shapes[i], 'float32');
    try { v.assign(t); } finally { t.dispose(); }
  });
  return undefined;
}

/** The one log line saying where the student (and the head) came from. */
export function initLine(source: InitSource, method: DistillMethod, freshWhy: string | undefined): string {
  const from = `${source.kind} ${quoteName(source.dir)}${source.runId ? ` (run ${source.runId})` : ''}`;
  const what = method.variables.length === 0 ? ''
    : freshWhy === undefined ? `; the ${method.name} method state (head) from the run`
      : `; a fresh ${method.name} head is fitted (${freshWhy})`;
  return `init: student weights from ${from}${what}; AdamW starts fresh (new warm-up)`;
}
