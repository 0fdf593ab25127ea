import type { tf } from '../backend/index.js';
import type { TeacherIdentity } from './identity.js';

/** What a frozen teacher gives for a batch. */
export interface TeacherOutput {
  /** Pooled embedding, N x D. */
  pooled: tf.Tensor2D;
  /** Spatial token map, N x T x D (T = grid*grid), for TinTeM's local loss; absent if the teacher has none. */
  tokens?: tf.Tensor3D;
  /** Class logits, N x K, when the teacher has a classifier (for logit-kd). */
  logits?: tf.Tensor2D;
}

export interface Teacher {
  /** Identity for cache keys and reports: model + cut layer + input size + preprocessing. */
  readonly id: string;
  /**
   * The same identity typed (model, token layout, input size, preprocessing, grid, precision); id is
   * formatTeacherId(identity). Optional for teachers written outside tintem: teacherIdentity() reads their id.
   */
  readonly identity?: TeacherIdentity;
  readonly embedDim: number;
  /** Side of the token grid (tokens has grid*grid rows), if the teacher returns tokens. */
  readonly tokenGrid?: number;
  /** Side the teacher resizes its input to. */
  readonly inputSize: number;
  /** Side to decode images at for this teacher (inputSize, or more when it centre-crops); default inputSize. */
  readonly decodeSize?: number;
  /** images: N x H x W x C in [0, 1], C = 1 or 3, any H, W; the teacher resizes and normalises itself. */
  forward(images: tf.Tensor4D): TeacherOutput;
  dispose(): void;
}
