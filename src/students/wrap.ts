/** Wraps a tf.LayersModel with outputs [pooled N x d, tokens N x T x d] as a Student (fresh or loaded). */
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import type { Student, StudentOutput } from './types.js';

/** Everything a Student reports about its shapes, read from the model itself. */
export function describeModel(model: tf.LayersModel, what = 'student model'): { inputSize: number; channels: 1 | 3; embedDim: number; tokenGrid: number } {
  const input = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || !input || input.length !== 4 || input[1] == null || input[1] !== input[2] || (input[3] !== 1 && input[3] !== 3)) {
    throw new UserError(`${what}: expected one square image input N x S x S x (1|3), got ${JSON.stringify(model.inputs.map((i) => i.shape))}`);
  }
  const [pooled, tokens] = model.outputs.map((o) => o.shape);
  if (model.outputs.length !== 2 || pooled?.length !== 2 || tokens?.length !== 3 || pooled[1] == null || pooled[1] !== tokens[2] || tokens[1] == null) {
    throw new UserError(`${what}: expected outputs [pooled N x d, tokens N x T x d], got ${JSON.stringify(model.outputs.map((o) => o.shape))}`);
  }
  const grid = Math.round(Math.sqrt(tokens[1]));
  if (grid * grid !== tokens[1]) throw new UserError(`${what}: ${tokens[1]} tokens do not form a square grid`);
  return { inputSize: input[1], channels: input[3] as 1 | 3, embedDim: pooled[1], tokenGrid: grid };
}

export function wrapModel(model: tf.LayersModel, spec: Record<string, unknown>): Student {
  const { inputSize, channels, embedDim, tokenGrid } = describeModel(model);
  return {
    spec, embedDim, inputSize, channels, tokenGrid, model,
    apply(images: tf.Tensor4D, training: boolean): StudentOutput {
      const [, h, w, c] = images.shape;
      if (h !== inputSize || w !== inputSize || c !== channels) {
        throw new UserError(`student: expected images N x ${inputSize} x ${inputSize} x ${channels}, got ${images.shape.join(' x ')}`);
      }
      const [pooled, tokens] = model.apply(images, { training }) as [tf.Tensor2D, tf.Tensor3D];
      return { pooled, tokens };
    },
    trainableVariables(): tf.Variable[] {
      return model.trainableWeights.map((w) => w.read() as tf.Variable);
    },
    dispose() {
      model.dispose();
    },
  };
}

/** Trainable parameters (BatchNorm moving statistics not counted). */
export function trainableParamCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}
