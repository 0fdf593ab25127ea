/**
 * Final training outputs: the student as a TF.js LayersModel folder (model.json + weights.bin) and the
 * method's variables (TinTeM: the teacher head) as variables.json + weights.bin, every file written atomically.
 */
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { DistillMethod } from '../methods/types.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const VARIABLES_FILE = 'variables.json';

/**
 * Saves a LayersModel as dir/model.json + dir/weights.bin (loadable with tf.loadLayersModel / a file handler) and
 * returns the bytes written, so callers can checksum them.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<{ modelJson: Uint8Array; weights: Uint8Array }> {
  let written: { modelJson: Uint8Array; weights: Uint8Array } | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
    };
    const modelBytes = new TextEncoder().encode(JSON.stringify(modelJson));
    // Weights first: model.json appearing last marks the folder complete.
    await writeFileAtomic(join(dir, WEIGHTS_FILE), weights);
    await writeFileAtomic(join(dir, MODEL_FILE), modelBytes);
    written = { modelJson: modelBytes, weights };
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
  return written!;
}

export interface MethodStateFile {
  method: string;
  weights: Record<string, number>;
  variables: Array<{ name: string; shape: number[]; offset: number; length: number }>;
  /** Anything else worth keeping (e.g. taus). */
  extra?: Record<string, unknown>;
}

/** Saves the method's variables (float32, in order) with their names and shapes. */
export async function saveMethodState(method: DistillMethod, dir: string, extra?: Record<string, unknown>): Promise<void> {
  const arrays = method.variables.map((v) => v.dataSync() as Float32Array);
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const data = new Float32Array(total);
  const variables: MethodStateFile['variables'] = [];
  let offset = 0;
  method.variables.forEach((v, i) => {
    data.set(arrays[i]!, offset);
    variables.push({ name: v.name, shape: v.shape.slice(), offset, length: arrays[i]!.length });
    offset += arrays[i]!.length;
  });
  const meta: MethodStateFile = { method: method.name, weights: { ...method.weights }, variables, extra };
  await writeFileAtomic(join(dir, WEIGHTS_FILE), new Uint8Array(data.buffer));
  await writeFileAtomic(join(dir, VARIABLES_FILE), `${JSON.stringify(meta, null, 2)}\n`);
}
