/**
 * torchvision's ResNet trunk (resnet18/34: basic blocks; resnet50/101/152: bottlenecks, stride on the 3x3 conv as in
 * torchvision's "v1.5"), without the classifier: a 7x7 stride-2 conv + BN + ReLU, a 3x3 stride-2 max-pool, four
 * stages of 64, 128, 256, 512 channels (x4 for bottlenecks), each after the first starting with stride 2 and a
 * 1x1 conv + BN projection shortcut. Padding is PyTorch's (symmetric zero padding before a 'valid' conv), so the
 * layout is torchvision's to the pixel. tokens = the last feature map (N x (g*g) x C), pooled = its global
 * average; a shared 1x1 projection to embedDim only when embedDim differs from the trunk's width.
 * Built from standard tfjs layers only (Conv2D, ZeroPadding2D, BatchNormalization, ReLU, MaxPooling2D, Add,
 * Reshape, GlobalAveragePooling2D).
 */
import { tf } from '../backend/index.js';
import { hashSeed } from '../util/random.js';
import { RESNET_LAYOUTS } from './entries/resnet.js';
import { batchNormalization } from './native-kernels.js';

export { RESNET_LAYOUTS, resnetTokenGrid, resnetWidth } from './entries/resnet.js';

export type ResnetDepth = 18 | 34 | 50 | 101 | 152;

export type ResnetSpec = {
  kind: 'resnet';
  /** The preset name this spec came from (display only). */
  preset?: string;
  inputSize: number;
  channels: 1 | 3;
  /** Embedding width d; the trunk's width (512, or 2048 with bottlenecks) unless a projection is wanted. */
  embedDim: number;
  depth: ResnetDepth;
};





export function buildResnet(spec: ResnetSpec, seed: number): tf.LayersModel {
  const seedFor = (layer: string) => hashSeed(`${seed}:${layer}`);
  const { bottleneck, blocks } = RESNET_LAYOUTS[spec.depth];
  // conv k x k, stride s, padding k // 2 on every side as torchvision pads (a 'valid' conv after ZeroPadding2D).
  const conv = (x: tf.SymbolicTensor, name: string, filters: number, kernelSize: number, strides: number, useBias = false) => {
    const pad = Math.floor(kernelSize / 2);
    const padded = pad > 0 ? tf.layers.zeroPadding2d({ name: `${name}_pad`, padding: pad }).apply(x) as tf.SymbolicTensor : x;
    return tf.layers.conv2d({
      name, filters, kernelSize, strides, padding: 'valid', useBias,
      kernelInitializer: tf.initializers.heNormal({ seed: seedFor(name) }),
    }).apply(padded) as tf.SymbolicTensor;
  };
  // torchvision: BatchNorm2d(eps 1e-5, momentum 0.1) = Keras momentum 0.9.
  const bn = (x: tf.SymbolicTensor, name: string) => batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor, name: string) => tf.layers.reLU({ name }).apply(x) as tf.SymbolicTensor;

  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, spec.channels], name: 'image' });
  let x = relu(bn(conv(input, 'conv1', 64, 7, 2), 'bn1'), 'relu');
  x = tf.layers.zeroPadding2d({ name: 'maxpool_pad', padding: 1 }).apply(x) as tf.SymbolicTensor;
  // Zero padding before the max-pool equals PyTorch's -inf padding here: the input is a ReLU output (>= 0).
  x = tf.layers.maxPooling2d({ name: 'maxpool', poolSize: 3, strides: 2, padding: 'valid' }).apply(x) as tf.SymbolicTensor;
  let inWidth = 64;
  blocks.forEach((count, s) => {
    const planes = 64 * 2 ** s;
    const outWidth = bottleneck ? planes * 4 : planes;
    for (let b = 0; b < count; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const p = `layer${s + 1}_${b}`;
      let y: tf.SymbolicTensor;
      if (bottleneck) {
        y = relu(bn(conv(x, `${p}_conv1`, planes, 1, 1), `${p}_bn1`), `${p}_relu1`);
        y = relu(bn(conv(y, `${p}_conv2`, planes, 3, stride), `${p}_bn2`), `${p}_relu2`);
        y = bn(conv(y, `${p}_conv3`, outWidth, 1, 1), `${p}_bn3`);
      } else {
        y = relu(bn(conv(x, `${p}_conv1`, planes, 3, stride), `${p}_bn1`), `${p}_relu1`);
        y = bn(conv(y, `${p}_conv2`, planes, 3, 1), `${p}_bn2`);
      }
      const shortcut = stride !== 1 || inWidth !== outWidth ? bn(conv(x, `${p}_downsample_conv`, outWidth, 1, stride), `${p}_downsample_bn`) : x;
      x = relu(tf.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as tf.SymbolicTensor, `${p}_relu_out`);
      inWidth = outWidth;
    }
  });
  return featureMapModel(input, x, spec.embedDim, seedFor, 'tintem_resnet_student');
}

/**
 * The outputs every CNN preset shares: an optional 1x1 projection (with bias) of the map to embedDim when it
 * differs from the map's width, tokens = the map as N x (g*g) x d, pooled = its global average.
 */
export function featureMapModel(input: tf.SymbolicTensor, map: tf.SymbolicTensor, embedDim: number, seedFor: (layer: string) => number, name: string): tf.LayersModel {
  let x = map;
  if (x.shape[3] !== embedDim) {
    x = tf.layers.conv2d({
      name: 'embed_proj', filters: embedDim, kernelSize: 1, padding: 'valid', useBias: true,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seedFor('embed_proj') }),
    }).apply(x) as tf.SymbolicTensor;
  }
  const tokens = tf.layers.reshape({ name: 'tokens', targetShape: [x.shape[1]! * x.shape[2]!, embedDim] }).apply(x) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pooled' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ name, inputs: input, outputs: [pooled, tokens] });
}
