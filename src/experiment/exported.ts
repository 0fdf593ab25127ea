/**
 * Exported students as they run after `tintem export`: one embedder per exported form, chosen by a small
 * registry keyed by form name (`tfjs`: the TF.js LayersModel through TF.js; `onnx` / `onnx-int8`: student.onnx /
 * student.int8.onnx through onnxruntime-node). Every form reads tintem.json and checks its file against the
 * SHA-256 listed there before running it, and feeds the model the export's own preprocessing
 * (src/export/preprocess.ts: resize to the student's size, grey/RGB conversion, NHWC float32 in [0, 1]).
 *
 * The ONNX contract (written by the ONNX exporter): input `image` float32 NHWC [batch, size, size, channels],
 * output `pooled` [batch, d] (and optionally `tokens` [batch, T, d], unused here).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tf } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import { embeddings, type Embeddings } from '../evaluation/index.js';
import { folderReader, loadStudent } from '../export/load.js';
import { METADATA_FILE, MODEL_FILE, type TintemJson } from '../export/meta.js';
import { readMetadata } from '../export/open.js';
import { toStudentInput } from '../export/preprocess.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { quoteName } from '../util/quote.js';

/** A student as exported, embedding image sets exactly as it runs after export. */
export interface Embedder {
  /** Form name ('tfjs', 'onnx', 'onnx-int8'). */
  readonly form: string;
  readonly dir: string;
  readonly meta: TintemJson;
  /** Pooled embeddings of every image of the set (resized and converted as the export does). */
  embed(set: ImageSet): Promise<Embeddings>;
  dispose(): void;
}

export interface ExportForm {
  name: string;
  /** The export folder's file this form runs. */
  file: string;
  summary: string;
  /** The command that writes this form, for the missing-form message. */
  made: string;
  open(dir: string): Promise<Embedder>;
}

const forms = new Map<string, ExportForm>();

export function registerExportForm(form: ExportForm): void {
  if (forms.has(form.name)) throw new Error(`export form '${form.name}' is already registered`);
  forms.set(form.name, form);
}

export function exportForms(): ExportForm[] {
  return [...forms.values()];
}

export function getExportForm(name: string): ExportForm {
  const form = forms.get(name);
  if (!form) throw new UserError(`--model: unknown form '${name}' (expected one of: ${[...forms.keys()].join(', ')})`);
  return form;
}

/** '<export dir>[:form]' -> the folder and the forms to score (no suffix: every form the folder holds). */
export function parseModelSpec(spec: string): { dir: string; forms: ExportForm[] } {
  const colon = spec.lastIndexOf(':');
  const suffix = colon > 0 ? spec.slice(colon + 1) : '';
  if (colon > 0 && forms.has(suffix)) {
    const dir = spec.slice(0, colon);
    const form = forms.get(suffix)!;
    requireExport(dir, spec);
    if (!existsSync(join(dir, form.file))) {
      throw new UserError(`--model ${spec}: the export ${quoteName(dir)} has no ${form.name} form (${form.file} is missing; ${form.made} writes it)`);
    }
    return { dir, forms: [form] };
  }
  requireExport(spec, spec);
  const present = exportForms().filter((f) => existsSync(join(spec, f.file)));
  if (present.length === 0) throw new UserError(`--model ${spec}: the export holds none of ${exportForms().map((f) => f.file).join(', ')}`);
  return { dir: spec, forms: present };
}

function requireExport(dir: string, spec: string): void {
  if (!existsSync(join(dir, METADATA_FILE))) {
    const forms = [...exportForms().map((f) => f.name)].join('|');
    throw new UserError(`--model ${spec}: ${quoteName(dir)} is not a tintem export folder (no ${METADATA_FILE}); expected <export dir>[:${forms}]`);
  }
}

/** Reads one file of the export and checks it against tintem.json (an unlisted file is refused: it is not sealed). */
async function readSealed(dir: string, meta: TintemJson, name: string): Promise<Uint8Array> {
  const { read, shown } = folderReader(dir);
  const entry = meta.files[name];
  if (!entry) throw new UserError(`${shown(METADATA_FILE)}: lists no checksum for '${name}', so it cannot be verified; re-export the model`);
  const bytes = await read(name);
  if (bytes.length !== entry.bytes || sha256(bytes) !== entry.sha256) {
    throw new UserError(`${shown(name)}: SHA-256 mismatch with ${METADATA_FILE}, the file is damaged or was modified; re-export the model`);
  }
  return bytes;
}

async function batches(set: ImageSet, meta: TintemJson, run: (x: tf.Tensor4D, n: number) => Promise<Float32Array>, batchSize = 128): Promise<Embeddings> {
  const per = set.height * set.width * set.channels;
  const out = new Float32Array(set.count * meta.embedDim);
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const x = tf.tidy(() => toStudentInput(tf.tensor4d(set.pixels.subarray(start * per, (start + n) * per), [n, set.height, set.width, set.channels]), meta.inputSize, meta.channels));
    try {
      out.set(await run(x, n), start * meta.embedDim);
    } finally {
      x.dispose();
    }
  }
  return embeddings(out, meta.embedDim, `embeddings of ${set.name}`);
}

registerExportForm({
  name: 'tfjs',
  file: MODEL_FILE,
  summary: 'the TF.js LayersModel (model.json + weights), run by TF.js',
  made: 'tintem export --format tfjs',
  async open(dir) {
    const student = await loadStudent(dir);
    return {
      form: 'tfjs', dir, meta: student.meta,
      embed: (set) => batches(set, student.meta, async (x) => {
        const y = student.model.predict(x);
        const pooled = (Array.isArray(y) ? y[0]! : y) as tf.Tensor;
        try { return (await pooled.data()) as Float32Array; } finally { tf.dispose(y); }
      }),
      dispose: () => student.dispose(),
    };
  },
});

async function openOnnx(dir: string, form: string, file: string): Promise<Embedder> {
  const { read, shown } = folderReader(dir);
  const meta = await readMetadata(read, shown);
  const bytes = await readSealed(dir, meta, file);
  const ort = await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  } catch (e) {
    throw new UserError(`${shown(file)}: onnxruntime cannot load it (${(e as Error).message.split('\n')[0]})`);
  }
  if (!session.inputNames.includes('image') || !session.outputNames.includes('pooled')) {
    await session.release();
    throw new UserError(`${shown(file)}: expected input 'image' and output 'pooled' (has inputs ${session.inputNames.join(', ')}; outputs ${session.outputNames.join(', ')})`);
  }
  return {
    form, dir, meta,
    embed: (set) => batches(set, meta, async (x, n) => {
      const input = new ort.Tensor('float32', (await x.data()) as Float32Array, x.shape);
      const result = await session.run({ image: input }, ['pooled']);
      const pooled = result.pooled!;
      if (pooled.dims.length !== 2 || pooled.dims[0] !== n || pooled.dims[1] !== meta.embedDim) {
        throw new UserError(`${shown(file)}: output 'pooled' has shape [${pooled.dims.join(', ')}], expected [${n}, ${meta.embedDim}]`);
      }
      return Float32Array.from(pooled.data as Float32Array);
    }),
    dispose: () => { void session.release(); },
  };
}

registerExportForm({
  name: 'onnx', file: 'student.onnx', summary: 'student.onnx (float32), run by onnxruntime-node', made: 'tintem export --format onnx',
  open: (dir) => openOnnx(dir, 'onnx', 'student.onnx'),
});
registerExportForm({
  name: 'onnx-int8', file: 'student.int8.onnx', summary: 'student.int8.onnx (int8 weights), run by onnxruntime-node', made: 'tintem export --format onnx --quantize int8',
  open: (dir) => openOnnx(dir, 'onnx-int8', 'student.int8.onnx'),
});

/** A run folder candidate's run id (run.json), or undefined. */
export type RunIdOf = (dir: string) => string | undefined;

/**
 * Where the fp32 student of an export is: the --run whose run id the export's tintem.json names, else a run folder
 * next to the export (the export folder's parent or its siblings) with that id, else the only --run given.
 */
export function findSourceRun(exportDir: string, meta: TintemJson, runDirs: string[], runIdOf: RunIdOf): string | undefined {
  const id = meta.runId;
  if (id !== undefined) {
    const given = runDirs.find((d) => runIdOf(d) === id);
    if (given) return given;
    const parent = dirname(resolve(exportDir));
    const candidates = [parent, ...safeList(parent).map((n) => join(parent, n)).filter((p) => p !== resolve(exportDir))];
    const near = candidates.find((d) => runIdOf(d) === id);
    if (near) return near;
  }
  return runDirs.length === 1 ? runDirs[0] : undefined;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => { try { return statSync(join(dir, n)).isDirectory(); } catch { return false; } });
  } catch {
    return [];
  }
}

/** The scorecard name of an exported form: '<run name> [<form>]' ('<export folder> [<form>]' when names clash). */
export function exportedName(runName: string, form: string, dir: string, taken: Set<string>): string {
  let name = `${runName} [${form}]`;
  if (taken.has(name)) name = `${runName}:${basename(resolve(dir))} [${form}]`;
  taken.add(name);
  return name;
}
