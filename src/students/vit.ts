/**
 * Small ViT student: patch embedding (conv with stride = patch), learned class token and position embeddings,
 * pre-LN transformer blocks (multi-head self-attention + GELU MLP, each with a residual), final LayerNorm.
 * pooled = class token, tokens = patch tokens; both through one shared Dense to d when width != d.
 */
import { tf } from '../backend/index.js';
import { hashSeed } from '../util/random.js';
import { checkVitSpec, vitTokenGrid } from './entries/vit.js';
import { ClassTokenPosition, MultiHeadSelfAttention, TokenSlice } from './layers.js';
import { layerNormalization } from './native-kernels.js';

export type VitSpec = {
  kind: 'vit';
  /** The preset name this spec came from (display only; tintem's own cnn/vit specs have none). */
  preset?: string;
  inputSize: number;
  channels: 1 | 3;
  /** Embedding width d. */
  embedDim: number;
  patchSize: number;
  /** Transformer width. */
  width: number;
  depth: number;
  numHeads: number;
  /** MLP hidden width = mlpRatio * width. */
  mlpRatio: number;
};

export { checkVitSpec, vitTokenGrid } from './entries/vit.js';

export function buildVit(spec: VitSpec, seed: number): tf.LayersModel {
  checkVitSpec(spec, 'student spec');
  const seedFor = (layer: string) => hashSeed(`${seed}:${layer}`);
  const dense = (name: string, units: number, activation?: 'gelu') =>
    tf.layers.dense({ name, units, activation, kernelInitializer: tf.initializers.glorotUniform({ seed: seedFor(name) }) });
  const layerNorm = (name: string) => layerNormalization({ name, epsilon: 1e-6 });
  const grid = vitTokenGrid(spec);

  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, spec.channels], name: 'image' });
  const patches = tf.layers.conv2d({
    name: 'patch_embed', filters: spec.width, kernelSize: spec.patchSize, strides: spec.patchSize, padding: 'valid',
    kernelInitializer: tf.initializers.glorotUniform({ seed: seedFor('patch_embed') }),
  }).apply(input) as tf.SymbolicTensor;
  const sequence = tf.layers.reshape({ name: 'patch_tokens', targetShape: [grid * grid, spec.width] }).apply(patches);
  let x = new ClassTokenPosition({ name: 'cls_pos', seed: seedFor('cls_pos') }).apply(sequence) as tf.SymbolicTensor;

  for (let b = 0; b < spec.depth; b++) {
    const p = `block${b}`;
    const attn = new MultiHeadSelfAttention({ name: `${p}_attn`, numHeads: spec.numHeads, seed: seedFor(`${p}_attn`) })
      .apply(layerNorm(`${p}_ln1`).apply(x));
    x = tf.layers.add({ name: `${p}_add1` }).apply([x, attn as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const hidden = dense(`${p}_mlp1`, Math.round(spec.mlpRatio * spec.width), 'gelu').apply(layerNorm(`${p}_ln2`).apply(x));
    const mlp = dense(`${p}_mlp2`, spec.width).apply(hidden);
    x = tf.layers.add({ name: `${p}_add2` }).apply([x, mlp as tf.SymbolicTensor]) as tf.SymbolicTensor;
  }
  x = layerNorm('final_ln').apply(x) as tf.SymbolicTensor;

  let pooled = new TokenSlice({ name: 'cls_token', start: 0, size: 1, squeeze: true }).apply(x) as tf.SymbolicTensor;
  let tokens = new TokenSlice({ name: 'patch_out', start: 1, size: null, squeeze: false }).apply(x) as tf.SymbolicTensor;
  if (spec.width !== spec.embedDim) {
    const project = dense('embed_proj', spec.embedDim); // shared, so pooled and tokens live in one space
    pooled = project.apply(pooled) as tf.SymbolicTensor;
    tokens = project.apply(tokens) as tf.SymbolicTensor;
  }
  return tf.model({ name: 'tintem_vit_student', inputs: input, outputs: [pooled, tokens] });
}
