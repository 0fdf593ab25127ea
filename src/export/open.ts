/**
 * Opens an exported student from any byte source (Node files or browser fetch): verifies every file against
 * the SHA-256 in tintem.json, builds the tf.LayersModel from memory (no file:// or http handler needed) and
 * wraps it in an embedder. Browser-safe.
 */
import { tf } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import { UserError } from '../util/errors.js';
import { sha256Hex } from './checksum.js';
import { canonicalJson, describeSchemaError, METADATA_FILE, MODEL_FILE, STUDENT_FORMAT_VERSION, tintemJsonSchema, type TintemJson } from './meta.js';
import { toStudentInput } from './preprocess.js';

/** Reads one file of the export by name (relative to the export folder). */
export type ReadFile = (name: string) => Promise<Uint8Array>;
/** Turns a file name into what error messages show (a full path or URL). */
export type NameFile = (name: string) => string;

export interface EmbedOptions {
  /** Images per forward pass (default 64). */
  batchSize?: number;
}

export interface LoadedStudent {
  readonly meta: TintemJson;
  readonly model: tf.LayersModel;
  /** Pooled embeddings, N x meta.embedDim row-major; images are resized and gray/RGB-converted as needed. */
  embed(images: ImageSet | tf.Tensor4D, opts?: EmbedOptions): Promise<Float32Array>;
  /** Pooled embeddings of one batch as a tensor (any size/channels; the caller disposes the result). */
  embedBatch(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

const decoder = new TextDecoder();

function parseJson(bytes: Uint8Array, shown: string): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    throw new UserError(`${shown}: not valid JSON`);
  }
}

async function readOrFail(read: ReadFile, name: string, shown: NameFile): Promise<Uint8Array> {
  try {
    return await read(name);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${shown(name)}: cannot read (${(e as Error).message.split('\n')[0]})`);
  }
}

async function verify(bytes: Uint8Array, name: string, meta: TintemJson, shown: NameFile): Promise<void> {
  const expected = meta.files[name];
  if (!expected) throw new UserError(`${shown(METADATA_FILE)}: no checksum listed for '${name}'`);
  const actual = await sha256Hex(bytes);
  if (actual !== expected.sha256) {
    const size = bytes.length === expected.bytes ? '' : ` (expected ${expected.bytes} bytes, found ${bytes.length}: truncated?)`;
    throw new UserError(`${shown(name)}: SHA-256 mismatch, the file is corrupted${size}; re-export the model`);
  }
}

function safeWeightPath(path: string, shown: NameFile): string {
  const clean = path.replace(/^\.\//, '');
  if (clean === '' || clean.startsWith('/') || clean.split(/[\\/]/).includes('..')) {
    throw new UserError(`${shown(MODEL_FILE)}: weight path '${path}' must stay inside the model folder`);
  }
  return clean;
}

/**
 * Reads model.json and its weight files into a tf.LayersModel. When `meta` is given, every file is checked
 * against its SHA-256 first (exports); without it (a training run's student folder) nothing is checked.
 */
export async function loadLayersModelFrom(read: ReadFile, shown: NameFile, meta?: TintemJson): Promise<tf.LayersModel> {
  const modelBytes = await readOrFail(read, MODEL_FILE, shown);
  if (meta) await verify(modelBytes, MODEL_FILE, meta, shown);
  const json = parseJson(modelBytes, shown(MODEL_FILE)) as Partial<tf.io.ModelJSON>;
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new UserError(`${shown(MODEL_FILE)}: expected a TF.js layers model (modelTopology + weightsManifest)`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    for (const path of group.paths) {
      const name = safeWeightPath(path, shown);
      const bytes = await readOrFail(read, name, shown);
      if (meta) await verify(bytes, name, meta, shown);
      buffers.push(bytes.slice().buffer as ArrayBuffer);
    }
    weightSpecs.push(...group.weights);
  }
  const expectedBytes = weightSpecs.reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
  const weightData = tf.io.CompositeArrayBuffer.join(buffers);
  if (weightData.byteLength < expectedBytes) {
    throw new UserError(`${shown(MODEL_FILE)}: weight files hold ${weightData.byteLength} bytes, the manifest needs ${expectedBytes} (truncated?)`);
  }
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy }));
  } catch (e) {
    throw new UserError(`${shown(MODEL_FILE)}: cannot build the model (${(e as Error).message.split('\n')[0]})`);
  }
}

/** The seal of a tintem.json: SHA-256 of the canonical JSON of every field but `seal`. */
export async function metadataSeal(meta: Omit<TintemJson, 'seal'> & { seal?: string }): Promise<string> {
  const { seal: _seal, ...rest } = meta;
  return sha256Hex(new TextEncoder().encode(canonicalJson(rest)));
}

/**
 * Reads and validates tintem.json; from formatVersion 2 on its seal must match, so an edited field (inputSize,
 * channels, k, method, teacher id, tokenGrid, a checksum...) is refused rather than used.
 */
export async function readMetadata(read: ReadFile, shown: NameFile): Promise<TintemJson> {
  const raw = parseJson(await readOrFail(read, METADATA_FILE, shown), shown(METADATA_FILE));
  const parsed = tintemJsonSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${shown(METADATA_FILE)}: not tintem student metadata (${describeSchemaError(parsed.error)})`);
  const meta = parsed.data;
  if (meta.formatVersion >= STUDENT_FORMAT_VERSION || meta.seal !== undefined) {
    // Sealed over the file as written (unknown keys included): the schema drops those, the seal must not.
    if (!meta.seal || meta.seal !== await metadataSeal(raw as TintemJson)) {
      throw new UserError(`${shown(METADATA_FILE)}: seal mismatch, the file was edited or damaged after export; re-run 'tintem export'`);
    }
  }
  return meta;
}

/** Wraps a model whose first output is the pooled embedding into a LoadedStudent. */
export function wrapStudent(model: tf.LayersModel, meta: TintemJson): LoadedStudent {
  const embedBatch = (images: tf.Tensor4D): tf.Tensor2D =>
    tf.tidy(() => {
      const out = model.predict(toStudentInput(images, meta.inputSize, meta.channels));
      const pooled = (Array.isArray(out) ? out[0] : out) as tf.Tensor2D;
      return pooled;
    });

  async function embed(images: ImageSet | tf.Tensor4D, opts: EmbedOptions = {}): Promise<Float32Array> {
    const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 64));
    const isTensor = images instanceof tf.Tensor;
    const [count, h, w, c] = isTensor ? images.shape : [images.count, images.height, images.width, images.channels];
    const out = new Float32Array(count * meta.embedDim);
    const perImage = h * w * c;
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start);
      const pooled = tf.tidy(() => {
        const batch = isTensor
          ? tf.slice(images, [start, 0, 0, 0], [n, h, w, c])
          : tf.tensor4d(images.pixels.subarray(start * perImage, (start + n) * perImage), [n, h, w, c]);
        return embedBatch(batch);
      });
      try {
        out.set(await pooled.data() as Float32Array, start * meta.embedDim);
      } finally {
        pooled.dispose();
      }
    }
    return out;
  }

  return { meta, model, embed, embedBatch, dispose: () => model.dispose() };
}

/** Opens an export folder through `read`: metadata, checksums, model. */
export async function openStudent(read: ReadFile, shown: NameFile): Promise<LoadedStudent> {
  const meta = await readMetadata(read, shown);
  if (!meta.files[MODEL_FILE]) throw new UserError(`${shown(METADATA_FILE)}: this export holds no TF.js model (exported with --format onnx); use its ONNX form`);
  const model = await loadLayersModelFrom(read, shown, meta);
  const pooledShape = model.outputs[0]?.shape;
  if (pooledShape?.[1] !== meta.embedDim) {
    model.dispose();
    throw new UserError(`${shown(METADATA_FILE)}: embedDim ${meta.embedDim} does not match the model's first output ${JSON.stringify(pooledShape)}`);
  }
  return wrapStudent(model, meta);
}
