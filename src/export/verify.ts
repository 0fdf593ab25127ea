/**
 * The verifying open of an export folder that `serve`, `eval --model` and `embed --model` share: tintem.json's
 * seal, every file it lists (size and SHA-256, bounded reads of regular files inside the folder), and the ONNX
 * files' own metadata cross-checked against tintem.json. Anything tampered with is one line naming the file.
 * Also the onnxruntime-node embedder of the ONNX forms.
 */
import { tf } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import { createSession, modelMetadata, parseModel, valueInfoDims, type OrtSession } from '../onnx/index.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { folderReader } from './load.js';
import { exportForms, METADATA_FILE, ONNX_FILE, ONNX_INT8_FILE, type ExportForm, type TintemJson } from './meta.js';
import { onnxMetadata, runBatches } from './onnx-export.js';
import { ONNX_INPUT, ONNX_POOLED } from './onnx-convert.js';
import { readMetadata, type NameFile, type ReadFile } from './open.js';
import { toStudentInput } from './preprocess.js';

export interface VerifiedExport {
  dir: string;
  meta: TintemJson;
  forms: ExportForm[];
  /** The verified bytes of each listed file, by name. */
  files: ReadonlyMap<string, Uint8Array>;
  shown: NameFile;
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
  const meta = await readMetadata(readFile, shown);
  const files = new Map<string, Uint8Array>();
  for (const [name, entry] of Object.entries(meta.files)) {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new UserError(`${shown(METADATA_FILE)}: file name '${name.slice(0, 80)}' must be a plain name inside the export`);
    const bytes = await readFile(name);
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

/** Opens an export's ONNX form (verified) for embedding with onnxruntime-node. */
export async function loadOnnxStudent(dir: string, form: 'onnx' | 'onnx-int8' = 'onnx', opts: { threads?: number } = {}): Promise<OnnxStudent> {
  const exp = await openExport(dir);
  if (!exp.forms.includes(form)) {
    throw new UserError(`${exp.shown(METADATA_FILE)}: this export has no ${form} form (it holds ${exp.forms.join(', ') || 'none'}); re-export with --format onnx${form === 'onnx-int8' ? ' --quantize int8' : ''}`);
  }
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
        out.set((await runBatches(session, set, [ONNX_POOLED]))[ONNX_POOLED]!, start * meta.embedDim);
      }
      return out;
    },
    dispose: () => session.release(),
  };
}
