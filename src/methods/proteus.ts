/**
 * Proteus-style feature matching: a student-side projector (LayerNorm + Linear, d -> D) maps the student into
 * the teacher's space and is trained with the student by mean squared error to the teacher's pooled embedding
 * and, when the teacher has them, its tokens (the finer token map average-pooled to the coarser grid).
 */
import { tf } from '../backend/index.js';
import type { StudentOutput } from '../students/types.js';
import { expectWidth, resolveWeights } from './checks.js';
import { createLnLinear, type LnLinear } from './lnLinear.js';
import { alignTokenGrids } from './tokenGrid.js';
import type { DistillMethod, LossTerms, TeacherFeatures } from './types.js';

export interface ProjectorMethodOptions {
  teacherDim: number;
  studentDim: number;
  seed: number;
  weights?: Partial<{ pooled: number; tokens: number }>;
}

export interface ProjectorMethod extends DistillMethod {
  /** Student -> teacher space (variables '<name>/projector/...'). */
  readonly projector: LnLinear;
  projectStudent(studentPooled: tf.Tensor2D): tf.Tensor2D;
}

/** Builds a projector method whose per-position loss is `distance(projected student, teacher)` (a scalar mean). */
export function createProjectorMethod(
  name: string,
  opts: ProjectorMethodOptions,
  distance: (student: tf.Tensor, teacher: tf.Tensor) => tf.Scalar,
): ProjectorMethod {
  const weights = resolveWeights(name, { pooled: 1, tokens: 1 }, opts.weights as Record<string, number> | undefined);
  const projector = createLnLinear(`${name}/projector`, opts.studentDim, opts.teacherDim, opts.seed);
  return {
    name,
    weights,
    projector,
    variables: projector.variables,
    losses(student: StudentOutput, teacher: TeacherFeatures): LossTerms {
      return tf.tidy(() => {
        expectWidth(student.pooled, opts.studentDim, `${name}: student pooled embedding`);
        expectWidth(teacher.pooled, opts.teacherDim, `${name}: teacher pooled embedding`);
        const terms: LossTerms = { pooled: distance(projector.apply(student.pooled), teacher.pooled) };
        if (teacher.tokens) {
          expectWidth(teacher.tokens, opts.teacherDim, `${name}: teacher tokens`);
          // Pool before projecting: cheaper, and the projector then sees the same kind of input as for pooled.
          const [s, t] = alignTokenGrids(student.tokens, teacher.tokens);
          terms.tokens = distance(projector.apply(s), t);
        }
        return terms;
      });
    },
    projectStudent(studentPooled: tf.Tensor2D): tf.Tensor2D {
      return projector.apply(studentPooled);
    },
    dispose() {
      projector.dispose();
    },
  };
}

/** Mean squared error over all elements. */
export function meanSquaredError(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)) as tf.Scalar);
}

export function createProteus(opts: ProjectorMethodOptions): ProjectorMethod {
  return createProjectorMethod('proteus', opts, meanSquaredError);
}
