/**
 * Custom Keras-style layers the students need beyond tfjs's built-ins (for the ViT). They import only
 * '@tensorflow/tfjs' (no Node modules) so the browser bundle can load exported students, and each is registered
 * with tf.serialization.registerClass so tf.loadLayersModel can rebuild them from model.json.
 * Initialisers take a seed so the same student seed gives the same weights.
 */
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;
type Shape = Array<number | null>;

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

function singleShape(inputShape: tf.Shape | tf.Shape[]): Shape {
  return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
}

function truncatedNormal(seed: number | undefined, offset: number, stddev = 0.02) {
  return tf.initializers.truncatedNormal({ stddev, seed: seed === undefined ? undefined : seed + offset });
}

export interface ClassTokenPositionArgs extends LayerArgs {
  seed?: number;
}

/**
 * Prepends a learned class token to a token sequence (N x T x W -> N x (T+1) x W) and adds learned position
 * embeddings. Weights: '<layer>/cls_token' (1 x 1 x W), '<layer>/pos_embedding' (1 x (T+1) x W).
 */
export class ClassTokenPosition extends tf.layers.Layer {
  static readonly className = 'TintemClassTokenPosition';
  private readonly seed?: number;
  private clsToken?: tf.LayerVariable;
  private posEmbedding?: tf.LayerVariable;

  constructor(args: ClassTokenPositionArgs = {}) {
    super(args);
    this.seed = args.seed ?? undefined; // model.json stores a missing seed as null
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [, tokens, width] = singleShape(inputShape);
    if (tokens == null || width == null) throw new Error(`${this.name}: needs a known token count and width`);
    this.clsToken = this.addWeight('cls_token', [1, 1, width], 'float32', truncatedNormal(this.seed, 0));
    this.posEmbedding = this.addWeight('pos_embedding', [1, tokens + 1, width], 'float32', truncatedNormal(this.seed, 1));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, tokens, width] = singleShape(inputShape);
    return [n ?? null, tokens == null ? null : tokens + 1, width ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      // broadcastTo, not tile: tile's gradient is a loop of slices, one per repeat
      const cls = tf.broadcastTo(this.clsToken!.read(), [x.shape[0]!, 1, x.shape[2]!]);
      return tf.add(tf.concat([cls, x], 1), this.posEmbedding!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed ?? null };
  }
}

export interface MultiHeadSelfAttentionArgs extends LayerArgs {
  numHeads: number;
  seed?: number;
}

/**
 * Multi-head self-attention over a token sequence (N x L x W -> N x L x W): fused q/k/v projection,
 * softmax(q k^T / sqrt(W/heads)) v per head, output projection. Weights: '<layer>/qkv/kernel', '<layer>/qkv/bias',
 * '<layer>/proj/kernel', '<layer>/proj/bias'.
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  static readonly className = 'TintemMultiHeadSelfAttention';
  readonly numHeads: number;
  private readonly seed?: number;
  private qkvKernel?: tf.LayerVariable;
  private qkvBias?: tf.LayerVariable;
  private projKernel?: tf.LayerVariable;
  private projBias?: tf.LayerVariable;

  constructor(args: MultiHeadSelfAttentionArgs) {
    super(args);
    this.numHeads = args.numHeads;
    this.seed = args.seed ?? undefined; // model.json stores a missing seed as null
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const width = singleShape(inputShape)[2];
    if (width == null) throw new Error(`${this.name}: needs a known width`);
    if (width % this.numHeads !== 0) throw new Error(`${this.name}: width ${width} is not divisible by ${this.numHeads} heads`);
    const glorot = (offset: number) => tf.initializers.glorotUniform({ seed: this.seed === undefined ? undefined : this.seed + offset });
    this.qkvKernel = this.addWeight('qkv/kernel', [width, 3 * width], 'float32', glorot(0));
    this.qkvBias = this.addWeight('qkv/bias', [3 * width], 'float32', tf.initializers.zeros());
    this.projKernel = this.addWeight('proj/kernel', [width, width], 'float32', glorot(1));
    this.projBias = this.addWeight('proj/bias', [width], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor3D;
      const [n, len, width] = x.shape;
      const heads = this.numHeads;
      const headDim = width / heads;
      const flat = tf.reshape(x, [n * len, width]) as tf.Tensor2D;
      const qkv = tf.add(tf.matMul(flat, this.qkvKernel!.read() as tf.Tensor2D), this.qkvBias!.read());
      // N*L x 3W -> 3 x N x heads x L x headDim
      const split = tf.transpose(tf.reshape(qkv, [n, len, 3, heads, headDim]), [2, 0, 3, 1, 4]);
      const [q, k, v] = tf.unstack(split, 0) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim));
      const attended = tf.matMul(tf.softmax(scores, -1), v); // N x heads x L x headDim
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [n * len, width]) as tf.Tensor2D;
      const out = tf.add(tf.matMul(merged, this.projKernel!.read() as tf.Tensor2D), this.projBias!.read());
      return tf.reshape(out, [n, len, width]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads, seed: this.seed ?? null };
  }
}

export interface LayerNormArgs extends LayerArgs {
  epsilon?: number;
}

/**
 * Layer normalisation over the last axis with learned scale and shift ('<layer>/gamma', '<layer>/beta').
 * Replaces tf.layers.layerNormalization, whose gradient tiles gamma and beta to the full input shape and then
 * differentiates tf.tile with one slice per repeat: thousands of ops per step for a batch of token sequences.
 */
export class LayerNorm extends tf.layers.Layer {
  static readonly className = 'TintemLayerNorm';
  readonly epsilon: number;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;

  constructor(args: LayerNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-6;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const width = shape[shape.length - 1];
    if (width == null) throw new Error(`${this.name}: needs a known last dimension`);
    this.gamma = this.addWeight('gamma', [width], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [width], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma!.read()), this.beta!.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}

export interface TokenSliceArgs extends LayerArgs {
  start: number;
  /** Number of tokens to keep (null: to the end). */
  size: number | null;
  /** Drop the token axis (only with size 1): N x 1 x W -> N x W. */
  squeeze: boolean;
}

/** Selects a contiguous range of tokens: N x L x W -> N x size x W (or N x W when squeezed). No weights. */
export class TokenSlice extends tf.layers.Layer {
  static readonly className = 'TintemTokenSlice';
  readonly start: number;
  readonly size: number | null;
  readonly squeeze: boolean;

  constructor(args: TokenSliceArgs) {
    super(args);
    this.start = args.start;
    this.size = args.size ?? null;
    this.squeeze = args.squeeze ?? false;
    if (this.squeeze && this.size !== 1) throw new Error(`${this.name}: squeeze needs size 1`);
  }

  private outLength(len: number | null): number | null {
    if (this.size !== null) return this.size;
    return len == null ? null : len - this.start;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [n, len, width] = singleShape(inputShape);
    return this.squeeze ? [n ?? null, width ?? null] : [n ?? null, this.outLength(len ?? null), width ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const sliced = tf.slice(x, [0, this.start, 0], [-1, this.size ?? -1, -1]);
      return this.squeeze ? tf.squeeze(sliced, [1]) : sliced;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), start: this.start, size: this.size, squeeze: this.squeeze };
  }
}

tf.serialization.registerClass(ClassTokenPosition);
tf.serialization.registerClass(MultiHeadSelfAttention);
tf.serialization.registerClass(TokenSlice);
tf.serialization.registerClass(LayerNorm);

/** Class names of the custom layers (for export metadata / sanity checks). */
export const customLayerClassNames: readonly string[] = [
  ClassTokenPosition.className, MultiHeadSelfAttention.className, TokenSlice.className, LayerNorm.className,
];
