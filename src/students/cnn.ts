/**
 * ResNet-style CNN student: a 3x3 stem conv, stages of basic blocks (two 3x3 convs with BatchNorm + ReLU and a
 * residual; a 1x1 conv + BN projection shortcut where the shape changes), stride-2 downsampling at the start of
 * every stage after the first, then a 1x1 conv to the embedding width d. tokens = that d-channel map as
 * N x (g*g) x d; pooled = its global average (N x d).
 */
import { tf } from '../backend/index.js';
import { hashSeed } from '../util/random.js';
import { batchNormalization } from './native-kernels.js';

export { cnnTokenGrid } from './entries/cnn.js';

export type CnnSpec = {
  kind: 'cnn';
  /** The preset name this spec came from (display only; tintem's own cnn/vit specs have none). */
  preset?: string;
  inputSize: number;
  channels: 1 | 3;
  /** Embedding width d. */
  embedDim: number;
  /** Channels of the stem conv; stage s has round(stemWidth * widthMultipliers[s]) channels. */
  stemWidth: number;
  /** 1 for tiny inputs (28 px), 2 to halve larger inputs early, 4 (stride-2 conv + 3x3 max-pool, ResNet-like) for photos. */
  stemStride: 1 | 2 | 4;
  widthMultipliers: number[];
  /** Basic blocks in each stage (same length as widthMultipliers). */
  blocksPerStage: number[];
};


export function buildCnn(spec: CnnSpec, seed: number): tf.LayersModel {
  const seedFor = (layer: string) => hashSeed(`${seed}:${layer}`);
  const conv = (name: string, filters: number, kernelSize: number, strides: number, useBias = false) =>
    tf.layers.conv2d({
      name, filters, kernelSize, strides, padding: 'same', useBias,
      kernelInitializer: tf.initializers.heNormal({ seed: seedFor(name) }),
    });
  const bn = (name: string) => batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 });
  const relu = (name: string) => tf.layers.reLU({ name });

  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, spec.channels], name: 'image' });
  let x = conv('stem_conv', spec.stemWidth, 3, Math.min(2, spec.stemStride)).apply(input) as tf.SymbolicTensor;
  x = relu('stem_relu').apply(bn('stem_bn').apply(x)) as tf.SymbolicTensor;
  // Large inputs: a ResNet-style max-pool halves the stem's map again before any full-width block runs.
  if (spec.stemStride === 4) x = tf.layers.maxPooling2d({ name: 'stem_pool', poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  let width = spec.stemWidth;

  spec.blocksPerStage.forEach((blocks, s) => {
    const outWidth = Math.max(1, Math.round(spec.stemWidth * spec.widthMultipliers[s]!));
    for (let b = 0; b < blocks; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const p = `s${s}b${b}`;
      let y = conv(`${p}_conv1`, outWidth, 3, stride).apply(x) as tf.SymbolicTensor;
      y = relu(`${p}_relu1`).apply(bn(`${p}_bn1`).apply(y)) as tf.SymbolicTensor;
      y = conv(`${p}_conv2`, outWidth, 3, 1).apply(y) as tf.SymbolicTensor;
      y = bn(`${p}_bn2`).apply(y) as tf.SymbolicTensor;
      const shortcut = stride !== 1 || width !== outWidth
        ? bn(`${p}_proj_bn`).apply(conv(`${p}_proj_conv`, outWidth, 1, stride).apply(x)) as tf.SymbolicTensor
        : x;
      x = relu(`${p}_relu2`).apply(tf.layers.add({ name: `${p}_add` }).apply([y, shortcut])) as tf.SymbolicTensor;
      width = outWidth;
    }
  });

  const map = conv('embed_conv', spec.embedDim, 1, 1, true).apply(x) as tf.SymbolicTensor;
  const grid = map.shape[1]!;
  const tokens = tf.layers.reshape({ name: 'tokens', targetShape: [grid * grid, spec.embedDim] }).apply(map) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pooled' }).apply(map) as tf.SymbolicTensor;
  return tf.model({ name: 'tintem_cnn_student', inputs: input, outputs: [pooled, tokens] });
}
