/**
 * Student-side projector baselines. `createProjectorMethod` (used by `cosine`): one projector (LayerNorm + Linear,
 * d -> D) for the pooled vector and every token. `createProteus` follows the authors' Proteus baseline
 * (goo/methods/self_supervised/proteus.py with run/proteus_imagenet_dinov2_vits.yaml: metric MSE,
 * lambda_token = lambda_fea = 1, lambda_patch = 0; golden values in test/methods/fixtures/method-goldens.json):
 *   pooled  MSE(token_head(s_pooled), t_pooled)                                  (the reference's token loss)
 *   tokens  MSE([token_head(s_pooled); fea_head(s_tokens)], [t_pooled; t_tokens])  (its fea loss, token 0 included)
 * with two projectors, token_head ('proteus/projector') and fea_head ('proteus/token-projector'). The finer token
 * map is average-pooled to the coarser grid first. The reference's masked-patch (iBOT) term has weight 0 in its run
 * config and is not implemented.
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

export interface ProteusMethod extends ProjectorMethod {
  /** The reference's fea_head: student patch tokens -> teacher space (variables 'proteus/token-projector/...'). */
  readonly tokenProjector: LnLinear;
}

export function createProteus(opts: ProjectorMethodOptions): ProteusMethod {
  const name = 'proteus';
  const weights = resolveWeights(name, { pooled: 1, tokens: 1 }, opts.weights as Record<string, number> | undefined);
  const projector = createLnLinear(`${name}/projector`, opts.studentDim, opts.teacherDim, opts.seed);
  const tokenProjector = createLnLinear(`${name}/token-projector`, opts.studentDim, opts.teacherDim, opts.seed + 1);
  return {
    name,
    weights,
    projector,
    tokenProjector,
    // The pooled projector first: runs made before the token projector existed hold only its 4 variables.
    variables: [...projector.variables, ...tokenProjector.variables],
    losses(student: StudentOutput, teacher: TeacherFeatures): LossTerms {
      return tf.tidy(() => {
        expectWidth(student.pooled, opts.studentDim, `${name}: student pooled embedding`);
        expectWidth(teacher.pooled, opts.teacherDim, `${name}: teacher pooled embedding`);
        const pooled = projector.apply(student.pooled);
        const terms: LossTerms = { pooled: meanSquaredError(pooled, teacher.pooled) };
        if (teacher.tokens) {
          expectWidth(teacher.tokens, opts.teacherDim, `${name}: teacher tokens`);
          const [s, t] = alignTokenGrids(student.tokens, teacher.tokens);
          const all = (p: tf.Tensor2D, tokens: tf.Tensor3D) => tf.concat([tf.expandDims(p, 1), tokens], 1);
          terms.tokens = meanSquaredError(all(pooled, tokenProjector.apply(s)), all(teacher.pooled, t));
        }
        return terms;
      });
    },
    projectStudent(studentPooled: tf.Tensor2D): tf.Tensor2D {
      return projector.apply(studentPooled);
    },
    dispose() {
      projector.dispose();
      tokenProjector.dispose();
    },
  };
}
