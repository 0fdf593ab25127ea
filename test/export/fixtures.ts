/** Tiny seeded two-output models and image sets for export/web tests (not a test file itself). */
import { tf } from '../../src/backend/index.js';
import type { ImageSet } from '../../src/data/types.js';
import type { StudentMetadata } from '../../src/export/meta.js';
import { Rng } from '../../src/util/random.js';

/** A random-init CNN with outputs [pooled N x dim, tokens N x (size/2)^2 x dim], like a Student's model. */
export function tinyStudentModel(opts: { size?: number; channels?: 1 | 3; dim?: number; seed?: number } = {}): tf.LayersModel {
  const size = opts.size ?? 8, channels = opts.channels ?? 3, dim = opts.dim ?? 6, seed = opts.seed ?? 1;
  const input = tf.input({ shape: [size, size, channels] });
  const h = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed }), biasInitializer: tf.initializers.randomNormal({ seed: seed + 1, stddev: 0.1 }) }).apply(input) as tf.SymbolicTensor;
  const map = tf.layers.conv2d({ filters: dim, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 2 }) }).apply(h) as tf.SymbolicTensor;
  const grid = Math.ceil(size / 2);
  const tokens = tf.layers.reshape({ targetShape: [grid * grid, dim] }).apply(map) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(map) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [pooled, tokens] });
}

export function tinyMeta(model: tf.LayersModel, extra: Partial<StudentMetadata> = {}): StudentMetadata {
  const [, size, , channels] = model.inputs[0]!.shape as number[];
  const tokens = model.outputs[1]?.shape as number[] | undefined;
  return {
    inputSize: size!, channels: channels as 1 | 3, embedDim: model.outputs[0]!.shape[1] as number,
    tokenGrid: tokens ? Math.round(Math.sqrt(tokens[1]!)) : 0,
    student: { kind: 'tiny-cnn' }, teacher: { id: 'test-teacher@8' }, method: 'tintem', ...extra,
  };
}

/** Seeded random images with 8-bit levels (exactly representable as PNG bytes / 255). */
export function randomImages(count: number, size: number, channels: 1 | 3, seed: number, name = 'random'): ImageSet {
  const rng = new Rng(seed);
  const pixels = new Float32Array(count * size * size * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.round(rng.next() * 255) / 255;
  const labels = new Int32Array(count).map((_, i) => i % 3);
  return { name, count, height: size, width: size, channels, pixels, labels, classNames: ['a', 'b', 'c'] };
}
