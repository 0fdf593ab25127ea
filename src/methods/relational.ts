/**
 * PKT-style relational distillation (Passalis & Tefas 2018), directly between student and teacher pooled
 * embeddings (no projector; widths may differ): cosine similarities mapped to [0, 1] by (c + 1) / 2, each row
 * normalised to a distribution over j != i, and KL(teacher row || student row) averaged over rows.
 */
import { tf } from '../backend/index.js';
import type { StudentOutput } from '../students/types.js';
import { UserError } from '../util/errors.js';
import { expectWidth, resolveWeights } from './checks.js';
import { cosineMatrix } from './similarity.js';
import type { DistillMethod, LossTerms, TeacherFeatures } from './types.js';

const EPS = 1e-7;

/** Row-conditional PKT distribution from pooled features: N x D -> N x N, rows sum to 1, diagonal 0. */
export function pktDistribution(features: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const n = features.shape[0];
    if (n < 2) throw new UserError(`relational: needs at least 2 images per batch (got ${n})`);
    const offDiagonal = tf.sub(1, tf.eye(n));
    const kernel = tf.mul(tf.div(tf.add(cosineMatrix(features), 1), 2), offDiagonal);
    return tf.div(kernel, tf.sum(kernel, 1, true)) as tf.Tensor2D;
  });
}

/** Mean over rows of KL(P_teacher row || P_student row); eps keeps it finite at exact zeros (cos = -1). */
export function pktLoss(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const p = pktDistribution(teacher);
    const q = pktDistribution(student);
    const perRow = tf.sum(tf.mul(p, tf.sub(tf.log(tf.add(p, EPS)), tf.log(tf.add(q, EPS)))), 1);
    return tf.mean(perRow) as tf.Scalar;
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
