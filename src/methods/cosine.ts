/**
 * Cosine feature matching: a student-side projector (LayerNorm + Linear, d -> D) and 1 - cos to the teacher's
 * pooled embedding, plus the mean over token positions of 1 - cos per token when the teacher has tokens
 * (the finer token map average-pooled to the coarser grid first).
 */
import { tf } from '../backend/index.js';
import { createProjectorMethod, type ProjectorMethod, type ProjectorMethodOptions } from './proteus.js';
import { rowCosine } from './similarity.js';

/** mean(1 - cos) over rows (last axis = features), for N x D or N x T x D. */
export function meanCosineDistance(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(1, rowCosine(a, b))) as tf.Scalar);
}

export function createCosine(opts: ProjectorMethodOptions): ProjectorMethod {
  return createProjectorMethod('cosine', opts, meanCosineDistance);
}
