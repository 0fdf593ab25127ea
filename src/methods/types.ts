import type { tf } from '../backend/index.js';
import type { StudentOutput } from '../students/types.js';

/** Teacher features as the methods see them (live teacher output or cached embeddings as tensors). */
export interface TeacherFeatures {
  pooled: tf.Tensor2D;
  tokens?: tf.Tensor3D;
  logits?: tf.Tensor2D;
}

/** Named, unweighted loss terms (scalars). The trainer minimises sum(weights[name] * term). */
export type LossTerms = Record<string, tf.Scalar>;

export interface DistillMethod {
  readonly name: string;
  /** Weight of each loss term (all 1 by default in TinTeM). */
  readonly weights: Record<string, number>;
  /** Trainable variables the method owns (teacher head, projector); optimised with the student. */
  readonly variables: tf.Variable[];
  losses(student: StudentOutput, teacher: TeacherFeatures): LossTerms;
  /**
   * Maps teacher pooled features into the space the student imitates, for evaluation
   * (TinTeM: the head h; feature-matching baselines: undefined, the student is compared through its projector).
   */
  mapTeacher?(teacherPooled: tf.Tensor2D): tf.Tensor2D;
  /** Maps student pooled features into teacher space when the method has a projector (proteus, cosine). */
  projectStudent?(studentPooled: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}
