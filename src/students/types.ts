import type { tf } from '../backend/index.js';

export interface StudentOutput {
  /** Pooled embedding, N x d. */
  pooled: tf.Tensor2D;
  /** Token / spatial map, N x T x d, for the local and token losses. */
  tokens: tf.Tensor3D;
}

export interface Student {
  /** The student's architecture description (JSON-able), enough to rebuild it. */
  readonly spec: Record<string, unknown>;
  readonly embedDim: number;
  readonly inputSize: number;
  readonly channels: 1 | 3;
  /** Side of the token grid (tokens has tokenGrid^2 rows). */
  readonly tokenGrid: number;
  /** A tf.LayersModel with outputs [pooled, tokens]; what `tintem export` saves. */
  readonly model: tf.LayersModel;
  /** images N x H x W x C in [0, 1] at the student's input size. */
  apply(images: tf.Tensor4D, training: boolean): StudentOutput;
  trainableVariables(): tf.Variable[];
  dispose(): void;
}
