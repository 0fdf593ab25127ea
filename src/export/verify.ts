/**
 * The verifying open of an export folder that `serve`, `eval --model` and `distill --init` share: tintem.json's
 * seal, every file it lists (size and SHA-256, bounded reads of regular files inside the folder), and the ONNX
 * files' own metadata cross-checked against tintem.json. Anything tampered with is one line naming the file.
 * The forms are then built from the verified bytes (never read again from disk): the TF.js LayersModel
 * (openTfjsStudent), the onnxruntime-node embedder of the ONNX forms (loadOnnxStudent), and the raw weights that
 * `distill --init` copies (registered with src/training/init.ts, which sits below this stage).
 */
import { initBackend, tf } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import { createSession, modelMetadata, parseModel, valueInfoDims, type OrtSession } from '../onnx/index.js';
import { setExportInitReader, type InitWeights } from '../training/init.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { folderReader } from './load.js';
import { exportForms, METADATA_FILE, MODEL_FILE, ONNX_FILE, ONNX_INT8_FILE, type ExportForm, type TintemJson } from './meta.js';
import { onnxMetadata, runBatches } from './onnx-export.js';
import { ONNX_INPUT, ONNX_POOLED } from './onnx-convert.js';
import { openStudent, readMetadata, type LoadedStudent, type NameFile, type ReadFile } from './open.js';
import { toStudentInput } from './preprocess.js';

export interface VerifiedExport {
  dir: string;
  meta: TintemJson;
  forms: ExportForm[];
  /** The verified bytes of each listed file, by name (and of tintem.json itself). */
  files: ReadonlyMap<string, Uint8Array>;
  shown: NameFile;
}

/** The command that writes each form (for the one line that says a form is missing). */
export const FORM_COMMAND: Record<ExportForm, string> = {
  tfjs: 'tintem export --format tfjs',
  onnx: 'tintem export --format onnx',
  'onnx-int8': 'tintem export --format onnx --quantize int8',
};

/** The file each form runs. */
export const FORM_FILE: Record<ExportForm, string> = { tfjs: MODEL_FILE, onnx: ONNX_FILE, 'onnx-int8': ONNX_INT8_FILE };

/** Refuses, in one line, a form the export does not hold. */
export function requireForm(exp: VerifiedExport, form: ExportForm, where = exp.shown(METADATA_FILE)): void {
  if (!exp.forms.includes(form)) {
    throw new UserError(`${where}: this export has no ${form} form (it holds ${exp.forms.join(', ') || 'none'}; ${FORM_COMMAND[form]} writes ${FORM_FILE[form]})`);
  }
}

/** Reads a verified export's files from memory, so nothing is read from disk after verification. */
function verifiedReader(exp: VerifiedExport): ReadFile {
  return async (name) => {
    const bytes = exp.files.get(name);
    if (!bytes) throw new UserError(`${exp.shown(METADATA_FILE)}: lists no checksum for '${name}', so it cannot be verified; re-run 'tintem export'`);
    return bytes;
  };
}

function checkOnnxFile(bytes: Uint8Array, name: string, meta: TintemJson, shown: NameFile): void {
  let model;
  try { model = parseModel(bytes, shown(name)); } catch (e) { throw new UserError((e as Error).message); }
  const props = modelMetadata(model);
  const want = onnxMetadata(meta);
  for (const key of ['tintem.inputSize', 'tintem.channels', 'tintem.embedDim', 'tintem.tokenGrid', 'tintem.teacher', 'tintem.method', 'tintem.outputs']) {
    if (props[key] !== want[key]) throw new UserError(`${shown(METADATA_FILE)}: ${key.slice(7)} ${JSON.stringify(want[key])} does not match ${name}'s ${JSON.stringify(props[key] ?? null)} (edited?); re-run 'tintem export'`);
  }
  const input = model.graph!.input.find((i) => i.name === ONNX_INPUT);
  const dims = input ? valueInfoDims(input) : undefined;
  if (!dims || dims[1] !== meta.inputSize || dims[2] !== meta.inputSize || dims[3] !== meta.channels) {
    throw new UserError(`${shown(name)}: input ${JSON.stringify(dims ?? null)} does not match ${METADATA_FILE} (${meta.inputSize}x${meta.inputSize}x${meta.channels})`);
  }
}

/** Opens and verifies an export folder (see the module comment). */
export async function openExport(dir: string, read?: ReadFile): Promise<VerifiedExport> {
  const reader = folderReader(dir);
  const readFile = read ?? reader.read;
  const { shown } = reader;
  const files = new Map<string, Uint8Array>();
  const meta = await readMetadata(async (name) => {
    const bytes = await readFile(name);
    files.set(name, bytes);
    return bytes;
  }, shown);
  for (const [name, entry] of Object.entries(meta.files)) {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new UserError(`${shown(METADATA_FILE)}: file name '${name.slice(0, 80)}' must be a plain name inside the export`);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(name);
    } catch (e) {
      if (e instanceof UserError && / file not found /.test(e.message)) throw new UserError(`${shown(name)}: listed in ${METADATA_FILE} but missing; re-run 'tintem export'`);
      throw e;
    }
    if (bytes.length !== entry.bytes || sha256(bytes) !== entry.sha256) {
      throw new UserError(`${shown(name)}: SHA-256 mismatch with ${METADATA_FILE} (expected ${entry.bytes} bytes, found ${bytes.length}): damaged or replaced; re-run 'tintem export'`);
    }
    files.set(name, bytes);
  }
  for (const name of [ONNX_FILE, ONNX_INT8_FILE]) {
    const bytes = files.get(name);
    if (bytes) checkOnnxFile(bytes, name, meta, shown);
  }
  return { dir, meta, forms: exportForms(meta), files, shown };
}

/** An exported student run by onnxruntime-node (float32 or int8 form). */
export interface OnnxStudent {
  readonly meta: TintemJson;
  readonly form: 'onnx' | 'onnx-int8';
  /** Pooled embeddings, N x meta.embedDim; images are resized / converted like the TF.js student's. */
  embed(images: ImageSet): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** The TF.js form of a verified export, built from the verified bytes. */
export async function openTfjsStudent(exp: VerifiedExport): Promise<LoadedStudent> {
  await initBackend();
  requireForm(exp, 'tfjs');
  return openStudent(verifiedReader(exp), exp.shown);
}

/** Opens an export's ONNX form (verified; an export folder or one already verified) for embedding with onnxruntime-node. */
export async function loadOnnxStudent(source: string | VerifiedExport, form: 'onnx' | 'onnx-int8' = 'onnx', opts: { threads?: number } = {}): Promise<OnnxStudent> {
  const exp = typeof source === 'string' ? await openExport(source) : source;
  requireForm(exp, form);
  const name = form === 'onnx' ? ONNX_FILE : ONNX_INT8_FILE;
  const session: OrtSession = await createSession(exp.files.get(name)!, exp.shown(name), { threads: opts.threads });
  const { meta } = exp;
  return {
    meta, form,
    async embed(images: ImageSet): Promise<Float32Array> {
      const out = new Float32Array(images.count * meta.embedDim);
      const per = images.height * images.width * images.channels;
      const chunk = 64;
      for (let start = 0; start < images.count; start += chunk) {
        const n = Math.min(chunk, images.count - start);
        const input = tf.tidy(() => toStudentInput(tf.tensor4d(images.pixels.subarray(start * per, (start + n) * per), [n, images.height, images.width, images.channels]), meta.inputSize, meta.channels));
        const pixels = (await input.data()) as Float32Array;
        input.dispose();
        const set: ImageSet = { name: images.name, count: n, height: meta.inputSize, width: meta.inputSize, channels: meta.channels, pixels };
        const pooled = (await runBatches(session, set, [ONNX_POOLED]))[ONNX_POOLED]!;
        if (pooled.length !== n * meta.embedDim) throw new UserError(`${exp.shown(name)}: output '${ONNX_POOLED}' has ${pooled.length} values for ${n} images, expected ${n} x ${meta.embedDim} (${METADATA_FILE}'s embedDim)`);
        out.set(pooled, start * meta.embedDim);
      }
      return out;
    },
    dispose: () => session.release(),
  };
}

/** The TF.js weights of a verified export by weight name, float32 as stored (for `distill --init`). */
export function exportWeights(exp: VerifiedExport): InitWeights {
  requireForm(exp, 'tfjs');
  const shownModel = exp.shown(MODEL_FILE);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(new TextDecoder().decode(exp.files.get(MODEL_FILE)!)) as tf.io.ModelJSON;
  } catch {
    throw new UserError(`${shownModel}: not valid JSON`);
  }
  const weights: InitWeights = new Map();
  for (const group of json.weightsManifest ?? []) {
    const parts = group.paths.map((p) => {
      const bytes = exp.files.get(p.replace(/^\.\//, ''));
      if (!bytes) throw new UserError(`${shownModel}: weight file '${p}' is not listed in ${METADATA_FILE}, so it cannot be verified; re-run 'tintem export'`);
      return bytes;
    });
    const bytes = Buffer.concat(parts);
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== undefined && w.dtype !== 'float32') throw new UserError(`${shownModel}: weight '${w.name}' is ${w.dtype}, expected float32`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (offset + n * 4 > bytes.length) throw new UserError(`${shownModel}: the weight files are shorter than the manifest`);
      const data = new Float32Array(n);
      new Uint8Array(data.buffer).set(bytes.subarray(offset, offset + n * 4));
      weights.set(w.name, { shape: w.shape.slice(), data });
      offset += n * 4;
    }
  }
  return weights;
}

// `distill --init <export>` reads through openExport: the training stage cannot import this one, so it is handed
// the reader (loaded by the distill command when --init is set).
setExportInitReader(async (dir) => {
  const exp = await openExport(dir);
  return { student: exp.meta.student, runId: exp.meta.runId, weights: exportWeights(exp) };
});
