/**
 * Any TF.js model as a teacher: a LayersModel or GraphModel from a model.json path, optionally cut at a named
 * layer (LayersModel) or output node (GraphModel). 4-D outputs give pooled (GAP) + tokens; 2-D outputs pooled only.
 */
import { resolve } from 'node:path';
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { FeatureMapTeacher } from './featureMapTeacher.js';
import { MINUS_ONE_TO_ONE, normalizationTag, type Normalization } from './features.js';
import { readModelArtifacts } from './fsHandler.js';
import type { Teacher } from './types.js';

export interface TfjsTeacherOptions {
  /** LayersModel: a layer name whose output becomes the features; GraphModel: an output node name. */
  output?: string;
  inputSize?: number;
  grid?: number;
  normalization?: Normalization;
  channels?: 1 | 3;
}

export async function createTfjsTeacher(path: string, opts: TfjsTeacherOptions = {}): Promise<Teacher> {
  const { artifacts, format, hash } = readModelArtifacts(resolve(path));
  const inputSize = opts.inputSize ?? 224;
  const grid = opts.grid ?? 2;
  const norm = opts.normalization ?? MINUS_ONE_TO_ONE;
  let run: (x: tf.Tensor4D) => tf.Tensor;
  let release: () => void;
  try {
    if (format === 'layers') {
      const full = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      let model: tf.LayersModel = full;
      if (opts.output) {
        let layer: tf.layers.Layer;
        try { layer = full.getLayer(opts.output); } catch {
          full.dispose();
          throw new UserError(`tfjs teacher: '${path}' has no layer '${opts.output}'`);
        }
        model = tf.model({ inputs: full.inputs, outputs: layer.output as tf.SymbolicTensor });
      }
      run = (x) => model.predict(x) as tf.Tensor;
      release = () => full.dispose();
    } else {
      const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
      const node = opts.output;
      run = (x) => (node ? model.execute(x, node) : model.execute(x)) as tf.Tensor;
      release = () => model.dispose();
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`tfjs teacher: could not load '${path}' (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    return FeatureMapTeacher.create({
      // The content hash (not the path) names the model: moving a file keeps its cache, changing weights does not.
      id: `tfjs:${hash.slice(0, 16)}:${opts.output ?? 'output'}|${inputSize}px|${normalizationTag(norm)}`,
      inputSize, grid, normalization: norm, channels: opts.channels, run, release,
    });
  } catch (e) {
    release();
    if (e instanceof UserError) throw e;
    throw new UserError(`tfjs teacher: '${path}' failed on a ${inputSize}px input (${(e as Error).message.split('\n')[0]}); check --input-size and the output name`);
  }
}
