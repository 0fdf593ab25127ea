/**
 * Hinton et al. (2015) knowledge distillation on the teacher's class logits: a linear classifier (d -> K) owned
 * by the method gives the student's logits, and the loss is T^2 * mean_i KL(softmax(t_i / T) || softmax(s_i / T)).
 * The T^2 factor keeps gradient magnitudes comparable across temperatures.
 */
import { tf } from '../backend/index.js';
import type { StudentOutput } from '../students/types.js';
import { UserError } from '../util/errors.js';
import { expectWidth, resolveWeights } from './checks.js';
import { createLnLinear, type LnLinear } from './lnLinear.js';
import type { DistillMethod, LossTerms, TeacherFeatures } from './types.js';

export const DEFAULT_KD_TEMPERATURE = 4;

/** T^2 * mean over rows of KL(softmax(teacher / T) || softmax(student / T)), both N x K. */
export function kdLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(tf.div(teacherLogits, temperature), -1);
    const logQ = tf.logSoftmax(tf.div(studentLogits, temperature), -1);
    const perRow = tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1);
    return tf.mul(tf.mean(perRow), temperature * temperature) as tf.Scalar;
  });
}

export interface LogitKdMethod extends DistillMethod {
  readonly classifier: LnLinear;
  readonly temperature: number;
  /** The student's logits from its pooled embedding: N x d -> N x K. */
  studentLogits(studentPooled: tf.Tensor2D): tf.Tensor2D;
}

export function createLogitKd(opts: { studentDim: number; numClasses: number; seed: number; temperature?: number; weights?: Partial<{ kd: number }> }): LogitKdMethod {
  if (!Number.isInteger(opts.numClasses) || opts.numClasses < 2) throw new UserError(`logit-kd: numClasses must be an integer >= 2 (got ${opts.numClasses})`);
  const temperature = opts.temperature ?? DEFAULT_KD_TEMPERATURE;
  if (!(temperature > 0)) throw new UserError(`logit-kd: temperature must be > 0 (got ${temperature})`);
  const weights = resolveWeights('logit-kd', { kd: 1 }, opts.weights as Record<string, number> | undefined);
  const classifier = createLnLinear('logit-kd/classifier', opts.studentDim, opts.numClasses, opts.seed, { layerNorm: false });
  return {
    name: 'logit-kd',
    weights,
    classifier,
    temperature,
    variables: classifier.variables,
    losses(student: StudentOutput, teacher: TeacherFeatures): LossTerms {
      if (!teacher.logits) throw new UserError('logit-kd: the teacher gives no logits; choose a teacher with a classifier head or another method');
      expectWidth(teacher.logits, opts.numClasses, 'logit-kd: teacher logits');
      expectWidth(student.pooled, opts.studentDim, 'logit-kd: student pooled embedding');
      return tf.tidy(() => ({ kd: kdLoss(classifier.apply(student.pooled), teacher.logits!, temperature) }));
    },
    studentLogits(studentPooled: tf.Tensor2D): tf.Tensor2D {
      return classifier.apply(studentPooled);
    },
    dispose() {
      classifier.dispose();
    },
  };
}
