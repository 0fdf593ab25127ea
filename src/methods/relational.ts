/**
 * PKT relational distillation (Passalis & Tefas, ECCV 2018), directly between student and teacher pooled embeddings
 * (no projector; widths may differ), as the authors' code computes it (passalis/probabilistic_kt,
 * `cosine_similarity_loss`; golden values in test/methods/fixtures/method-goldens.json): rows normalised by
 * (norm + eps), cosine similarities mapped to [0, 1] by (c + 1) / 2, each row (diagonal included) divided by its
 * sum, and mean over all n x n entries of p log((p + eps) / (q + eps)), eps = 1e-7.
 */
import { tf } from '../backend/index.js';
import type { StudentOutput } from '../students/types.js';
import { UserError } from '../util/errors.js';
import { expectWidth, resolveWeights } from './checks.js';
import type { DistillMethod, LossTerms, TeacherFeatures } from './types.js';

const EPS = 1e-7;

/** Row-conditional PKT distribution from pooled features: N x D -> N x N, rows sum to 1 (diagonal included). */
export function pktDistribution(features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const n = features.shape[0];
    if (n < 2) throw new UserError(`relational: needs at least 2 images per batch (got ${n})`);
    const unit = tf.div(features, tf.add(tf.norm(features, 'euclidean', 1, true), EPS));
    const kernel = tf.div(tf.add(tf.matMul(unit, unit, false, true), 1), 2);
    return tf.div(kernel, tf.sum(kernel, 1, true)) as tf.Tensor2D;
  });
}

/** Mean over all n x n entries of P_teacher log((P_teacher + eps) / (P_student + eps)). */
export function pktLoss(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const p = pktDistribution(teacher);
    const q = pktDistribution(student);
    return tf.mean(tf.mul(p, tf.sub(tf.log(tf.add(p, EPS)), tf.log(tf.add(q, EPS))))) as tf.Scalar;
  });
}

export function createRelational(opts: { studentDim: number; teacherDim: number; weights?: Partial<{ relational: number }> }): DistillMethod {
  const weights = resolveWeights('relational', { relational: 1 }, opts.weights as Record<string, number> | undefined);
  return {
    name: 'relational',
    weights,
    variables: [],
    losses(student: StudentOutput, teacher: TeacherFeatures): LossTerms {
      expectWidth(student.pooled, opts.studentDim, 'relational: student pooled embedding');
      expectWidth(teacher.pooled, opts.teacherDim, 'relational: teacher pooled embedding');
      return { relational: pktLoss(student.pooled, teacher.pooled) };
    },
    dispose() {},
  };
}
