/**
 * torchvision's MobileNetV3 `.features` (mobilenet_v3_small / mobilenet_v3_large, width 1.0): a 3x3 stride-2
 * conv (16 ch) + BN + hard-swish, the paper's inverted-residual blocks (1x1 expand + BN + act when the expansion
 * differs from the input, k x k depthwise + BN + act, squeeze-excite where the table says so, 1x1 project + BN,
 * a residual when the stride is 1 and the width is kept), then a 1x1 conv to 6x the last block's width + BN +
 * hard-swish (576 / 960 channels). BatchNorm as torchvision's (eps 0.001, momentum 0.01).
 * tokens = that last map, pooled = its global average; a shared 1x1 projection to embedDim only when asked.
 *
 * Built from standard tfjs layers only. hard-sigmoid is MobileNetV3's relu6(x + 3) / 6 = min(max(x / 6 + 0.5, 0), 1),
 * built as Rescaling(scale 1/6, offset 0.5) then ReLU(maxValue 1) (not tfjs's `hardSigmoid` activation, which is
 * Keras's 0.2 x + 0.5); hard-swish is Multiply([x, hardSigmoid(x)]). Squeeze-excite: GlobalAveragePooling2D,
 * Dense(squeeze, relu), Dense(expanded), hard-sigmoid, Reshape to 1 x 1 x C, Multiply with the map (the two 1x1
 * convs of torchvision as Dense layers: the same weights). Stride-2 convs pad as PyTorch does (ZeroPadding2D of
 * (k - 1) / 2 on every side, then 'valid'); stride-1 convs use 'same', which is that same symmetric padding.
 */
import { tf } from '../backend/index.js';
import { hashSeed } from '../util/random.js';
import { batchNormalization } from './native-kernels.js';
import { featureMapModel } from './resnet.js';
import { MOBILENETV3_BLOCKS, mobilenetV3Width } from './entries/mobilenetv3.js';

export { MOBILENETV3_BLOCKS, mobilenetV3TokenGrid, mobilenetV3Width } from './entries/mobilenetv3.js';

export type MobilenetV3Size = 'small' | 'large';

export type MobilenetV3Spec = {
  kind: 'mobilenetv3';
  /** The preset name this spec came from (display only). */
  preset?: string;
  size: MobilenetV3Size;
  inputSize: number;
  channels: 1 | 3;
  /** Embedding width d; the trunk's own (576 small, 960 large) unless a projection is wanted. */
  embedDim: number;
};




/** torchvision's _make_divisible(v, 8). */
export function makeDivisible(v: number, divisor = 8): number {
  let out = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}


export function buildMobilenetV3(spec: MobilenetV3Spec, seed: number): tf.LayersModel {
  const seedFor = (layer: string) => hashSeed(`${seed}:${layer}`);
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;
  const pad = (x: tf.SymbolicTensor, name: string, kernel: number, stride: number) =>
    stride === 1 || kernel === 1 ? x : apply(tf.layers.zeroPadding2d({ name: `${name}_pad`, padding: (kernel - 1) / 2 }), x);
  const paddingFor = (stride: number) => (stride === 1 ? 'same' : 'valid');
  const conv = (x: tf.SymbolicTensor, name: string, filters: number, kernelSize: number, strides = 1) =>
    apply(tf.layers.conv2d({
      name, filters, kernelSize, strides, padding: paddingFor(strides), useBias: false,
      kernelInitializer: tf.initializers.heNormal({ seed: seedFor(name) }),
    }), pad(x, name, kernelSize, strides));
  const depthwise = (x: tf.SymbolicTensor, name: string, kernelSize: number, strides: number) =>
    apply(tf.layers.depthwiseConv2d({
      name, kernelSize, strides, depthMultiplier: 1, padding: paddingFor(strides), useBias: false,
      depthwiseInitializer: tf.initializers.heNormal({ seed: seedFor(name) }),
    }), pad(x, name, kernelSize, strides));
  const bn = (x: tf.SymbolicTensor, name: string) => apply(batchNormalization({ name, momentum: 0.99, epsilon: 1e-3 }), x);
  const hardSigmoid = (x: tf.SymbolicTensor, name: string) =>
    apply(tf.layers.reLU({ name: `${name}_clip`, maxValue: 1 }), apply(tf.layers.rescaling({ name: `${name}_affine`, scale: 1 / 6, offset: 0.5 }), x));
  const act = (x: tf.SymbolicTensor, name: string, kind: 'RE' | 'HS') =>
    kind === 'RE' ? apply(tf.layers.reLU({ name }), x) : apply(tf.layers.multiply({ name }), [x, hardSigmoid(x, `${name}_hsig`)]);
  const dense = (x: tf.SymbolicTensor, name: string, units: number, activation?: 'relu') =>
    apply(tf.layers.dense({ name, units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: seedFor(name) }) }), x);

  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, spec.channels], name: 'image' });
  let x = act(bn(conv(input, 'stem_conv', 16, 3, 2), 'stem_bn'), 'stem_act', 'HS');
  MOBILENETV3_BLOCKS[spec.size].forEach(([inWidth, kernel, expanded, outWidth, se, kind, stride], i) => {
    const p = `block${i + 1}`;
    let y = x;
    if (expanded !== inWidth) y = act(bn(conv(y, `${p}_expand`, expanded, 1), `${p}_expand_bn`), `${p}_expand_act`, kind);
    y = act(bn(depthwise(y, `${p}_dw`, kernel, stride), `${p}_dw_bn`), `${p}_dw_act`, kind);
    if (se) {
      const squeeze = makeDivisible(Math.floor(expanded / 4));
      let s = apply(tf.layers.globalAveragePooling2d({ name: `${p}_se_pool` }), y);
      s = dense(s, `${p}_se_fc1`, squeeze, 'relu');
      s = hardSigmoid(dense(s, `${p}_se_fc2`, expanded), `${p}_se`);
      s = apply(tf.layers.reshape({ name: `${p}_se_reshape`, targetShape: [1, 1, expanded] }), s);
      y = apply(tf.layers.multiply({ name: `${p}_se_scale` }), [y, s]);
    }
    y = bn(conv(y, `${p}_project`, outWidth, 1), `${p}_project_bn`);
    x = stride === 1 && inWidth === outWidth ? apply(tf.layers.add({ name: `${p}_add` }), [x, y]) : y;
  });
  const last = mobilenetV3Width(spec.size);
  x = act(bn(conv(x, 'last_conv', last, 1), 'last_bn'), 'last_act', 'HS');
  return featureMapModel(input, x, spec.embedDim, seedFor, `tintem_mobilenetv3_${spec.size}_student`);
}
