/**
 * TinTeM ("Teacher in the Middle", a.k.a. CosPress; arXiv 2411.15239): a teacher head h = LayerNorm + Linear
 * (teacher dim D -> student dim d) learns to compress the frozen teacher's embedding space while preserving its
 * cosine-similarity structure, and the student imitates h(teacher(x)). All terms train jointly from step 0.
 * As the authors compute it (goo/methods/self_supervised/proteus_vmfsne7_reversed.py with
 * run/CosPress_imagenet_dinov2_vits.yaml; golden values in test/methods/fixtures/method-goldens.json):
 *
 *   headGlobal    mean over taus of KL(P_teacher || Q_head) over the batch of token-0 (pooled / CLS) embeddings,
 *                 summed over the whole symmetrised n x n block
 *   headLocal     the same within each image across ALL its tokens [pooled; patches], averaged over images
 *   studentPooled mean_i 1 - cos(student_pooled_i, stopgrad(h(t_pooled_i)))
 *   studentTokens mean_i 1 - cos(flatten([s_pooled; s_tokens]_i), flatten(stopgrad(h([t_pooled; t_tokens]_i))))
 *
 * Affinities and KL are computed in log space (see similarity.ts). The head gets gradients only from the head
 * terms (the student terms see it through a stop-gradient) and the student only from the student terms. Token
 * terms are skipped when the teacher gives no tokens (or local=false). When the grids differ, the finer patch map
 * is average-pooled to the coarser grid before studentTokens (see tokenGrid.ts); headLocal always uses the
 * teacher's own grid.
 */
import { tf } from '../backend/index.js';
import type { StudentOutput } from '../students/types.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { expectWidth, resolveWeights } from './checks.js';
import { createLnLinear, layerNorm, type LnLinear } from './lnLinear.js';
import { topEigenvectors } from './pca-init.js';
import { DEFAULT_TAUS, multiTauAffinityKl, rowCosine, stopGradient } from './similarity.js';
import { alignTokenGrids } from './tokenGrid.js';
import type { DistillMethod, LossTerms, TeacherFeatures } from './types.js';

export interface TintemWeights {
  headGlobal: number;
  headLocal: number;
  studentPooled: number;
  studentTokens: number;
}

export interface TintemOptions {
  teacherDim: number;
  studentDim: number;
  seed: number;
  /** Temperatures the head losses average over (default 0.01, 0.02, ..., 0.10). */
  taus?: number[];
  weights?: Partial<TintemWeights>;
  /** Use the teacher's token map (headLocal, studentTokens) when it has one (default true). */
  local?: boolean;
}

export interface TintemMethod extends DistillMethod {
  readonly name: 'tintem';
  readonly teacherDim: number;
  readonly studentDim: number;
  readonly taus: readonly number[];
  readonly local: boolean;
  readonly weights: Record<keyof TintemWeights, number>;
  /** The teacher head h (variables 'tintem/head/ln/{gamma,beta}', 'tintem/head/linear/{kernel,bias}'). */
  readonly head: LnLinear;
  /** Just the head terms (headGlobal, and headLocal when tokens are given and local is on). */
  headLosses(teacher: TeacherFeatures): LossTerms;
  /** h applied to pooled teacher embeddings: N x D -> N x d. */
  mapTeacher(teacherPooled: tf.Tensor2D): tf.Tensor2D;
  /** h applied to every token: N x T x D -> N x T x d. */
  mapTeacherTokens(teacherTokens: tf.Tensor3D): tf.Tensor3D;
}

export const TINTEM_DEFAULT_WEIGHTS: TintemWeights = { headGlobal: 1, headLocal: 1, studentPooled: 1, studentTokens: 1 };

/** [pooled; tokens] along the token axis: N x D, N x T x D -> N x (1 + T) x D (token 0 is the pooled / CLS vector). */
export function withPooledToken(pooled: tf.Tensor2D, tokens: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => tf.concat([tf.expandDims(pooled, 1), tokens], 1) as tf.Tensor3D);
}

function checkDims(teacherDim: number, studentDim: number): void {
  for (const [name, v] of [['teacherDim', teacherDim], ['studentDim', studentDim]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new UserError(`tintem: ${name} must be a positive integer (got ${v})`);
  }
}

export function createTintem(opts: TintemOptions): TintemMethod {
  checkDims(opts.teacherDim, opts.studentDim);
  const taus = opts.taus ?? [...DEFAULT_TAUS];
  if (taus.length === 0 || taus.some((t) => !(t > 0))) throw new UserError(`tintem: taus must be a non-empty list of numbers > 0 (got ${JSON.stringify(taus)})`);
  const weights = resolveWeights<keyof TintemWeights>('tintem', TINTEM_DEFAULT_WEIGHTS, opts.weights as Record<string, number> | undefined);
  const local = opts.local ?? true;
  const head = createLnLinear('tintem/head', opts.teacherDim, opts.studentDim, opts.seed);
  const useTokens = (teacher: TeacherFeatures): teacher is TeacherFeatures & { tokens: tf.Tensor3D } => local && teacher.tokens !== undefined;

  const headTerms = (teacher: TeacherFeatures, mapped: { pooled: tf.Tensor2D; tokens?: tf.Tensor3D }): LossTerms => {
    const terms: LossTerms = { headGlobal: multiTauAffinityKl(teacher.pooled, mapped.pooled, taus) };
    if (teacher.tokens && mapped.tokens) {
      terms.headLocal = multiTauAffinityKl(withPooledToken(teacher.pooled, teacher.tokens), withPooledToken(mapped.pooled, mapped.tokens), taus);
    }
    return terms;
  };
  const mapAll = (teacher: TeacherFeatures) => {
    expectWidth(teacher.pooled, opts.teacherDim, 'tintem: teacher pooled embedding');
    const pooled = head.apply(teacher.pooled);
    if (!useTokens(teacher)) return { pooled };
    expectWidth(teacher.tokens, opts.teacherDim, 'tintem: teacher tokens');
    return { pooled, tokens: head.apply(teacher.tokens) };
  };

  return {
    name: 'tintem',
    teacherDim: opts.teacherDim,
    studentDim: opts.studentDim,
    taus,
    local,
    weights,
    head,
    variables: head.variables,
    losses(student: StudentOutput, teacher: TeacherFeatures): LossTerms {
      return tf.tidy(() => {
        expectWidth(student.pooled, opts.studentDim, 'tintem: student pooled embedding');
        const mapped = mapAll(teacher);
        const terms = headTerms(teacher, mapped);
        const target = stopGradient(mapped.pooled);
        terms.studentPooled = tf.mean(tf.sub(1, rowCosine(student.pooled, target))) as tf.Scalar;
        if (mapped.tokens) {
          expectWidth(student.tokens, opts.studentDim, 'tintem: student tokens');
          const [s, t] = alignTokenGrids(student.tokens, stopGradient(mapped.tokens));
          const n = s.shape[0];
          const flatS = tf.reshape(withPooledToken(student.pooled, s), [n, -1]);
          const flatT = tf.reshape(withPooledToken(target, t), [n, -1]);
          terms.studentTokens = tf.mean(tf.sub(1, rowCosine(flatS, flatT))) as tf.Scalar;
        }
        return terms;
      });
    },
    headLosses(teacher: TeacherFeatures): LossTerms {
      return tf.tidy(() => headTerms(teacher, mapAll(teacher)));
    },
    mapTeacher(teacherPooled: tf.Tensor2D): tf.Tensor2D {
      expectWidth(teacherPooled, opts.teacherDim, 'tintem: teacher pooled embedding');
      return head.apply(teacherPooled);
    },
    mapTeacherTokens(teacherTokens: tf.Tensor3D): tf.Tensor3D {
      expectWidth(teacherTokens, opts.teacherDim, 'tintem: teacher tokens');
      return head.apply(teacherTokens);
    },
    dispose() {
      head.dispose();
    },
  };
}

function checkCount(method: TintemMethod, teacherPooled: Float32Array, what: string): number {
  const count = teacherPooled.length / method.teacherDim;
  if (!Number.isInteger(count) || count < 2) {
    throw new UserError(`${what}: teacher embeddings hold ${teacherPooled.length} values, expected a multiple of the teacher dim ${method.teacherDim} covering at least 2 images`);
  }
  return count;
}

export interface PrefitOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

/**
 * Pre-fits the teacher head on cached teacher embeddings (head losses only, Adam) before student training.
 * teacherPooled: count x D row-major; teacherTokens: count x T x D. Returns the mean head loss of each epoch.
 * Batches of fewer than 2 images (a trailing remainder) are skipped: affinities need pairs.
 */
export function prefitHead(method: TintemMethod, teacherPooled: Float32Array, teacherTokens: Float32Array | undefined, opts: PrefitOptions): { epochLosses: number[] } {
  const dim = method.teacherDim;
  const count = checkCount(method, teacherPooled, 'prefitHead');
  if (!(opts.epochs >= 1) || !(opts.batchSize >= 2) || !(opts.lr > 0)) {
    throw new UserError(`prefitHead: expected epochs >= 1, batchSize >= 2 and lr > 0 (got ${opts.epochs}, ${opts.batchSize}, ${opts.lr})`);
  }
  let tokensPerImage = 0;
  if (teacherTokens && method.local) {
    tokensPerImage = teacherTokens.length / (count * dim);
    if (!Number.isInteger(tokensPerImage) || tokensPerImage < 2) {
      throw new UserError(`prefitHead: teacher tokens hold ${teacherTokens.length} values, expected ${count} images x T tokens x ${dim} (T >= 2)`);
    }
  }
  const rng = new Rng(opts.seed).fork('prefitHead');
  const optimizer = tf.train.adam(opts.lr);
  const epochLosses: number[] = [];
  const rowsOf = (src: Float32Array, idx: ArrayLike<number>, rowSize: number) => {
    const out = new Float32Array(idx.length * rowSize);
    for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i]! * rowSize, (idx[i]! + 1) * rowSize), i * rowSize);
    return out;
  };
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const order = rng.fork(epoch).permutation(count);
      let sum = 0;
      let batches = 0;
      for (let start = 0; start + 2 <= count; start += opts.batchSize) {
        const idx = order.subarray(start, Math.min(count, start + opts.batchSize));
        const pooled = tf.tensor2d(rowsOf(teacherPooled, idx, dim), [idx.length, dim]);
        const tokens = tokensPerImage > 0 ? tf.tensor3d(rowsOf(teacherTokens!, idx, tokensPerImage * dim), [idx.length, tokensPerImage, dim]) : undefined;
        const cost = optimizer.minimize(() => {
          const terms = method.headLosses({ pooled, tokens });
          const weighted = Object.entries(terms).map(([k, v]) => tf.mul(v, method.weights[k as keyof TintemWeights] ?? 1));
          return tf.addN(weighted) as tf.Scalar;
        }, true, method.head.variables);
        sum += cost!.dataSync()[0]!;
        batches++;
        tf.dispose([cost!, pooled, ...(tokens ? [tokens] : [])]);
      }
      epochLosses.push(sum / Math.max(1, batches));
    }
  } finally {
    optimizer.dispose();
  }
  return { epochLosses };
}

/**
 * Initialises the head from the data: LayerNorm as the identity (gamma 1, beta 0), the Linear's columns the top-d
 * principal directions of the layer-normed teacher embeddings, bias 0. The directions are taken about the origin
 * (uncentred second moment) because cosines are measured about the origin: projecting onto the best rank-d
 * subspace then preserves inner products, hence cosine similarities, as well as any linear map of rank d can.
 * With d > D the extra columns are zero.
 */
export function pcaInitHead(method: TintemMethod, teacherPooled: Float32Array, count: number): void {
  const dim = method.teacherDim;
  if (!Number.isInteger(count) || count < 2 || teacherPooled.length !== count * dim) {
    throw new UserError(`pcaInitHead: expected ${count} x ${dim} teacher embeddings (at least 2), got ${teacherPooled.length} values`);
  }
  const { gamma, beta, kernel, bias } = method.head;
  const secondMoment = tf.tidy(() => {
    const x = tf.tensor2d(teacherPooled, [count, dim]);
    const normed = layerNorm(x, tf.ones([dim]), tf.zeros([dim])) as tf.Tensor2D;
    return tf.div(tf.matMul(normed, normed, true, false), count) as tf.Tensor2D;
  });
  const k = Math.min(method.studentDim, dim);
  const directions = topEigenvectors(secondMoment, k, 0);
  secondMoment.dispose();
  const init = new Float32Array(dim * method.studentDim);
  for (let r = 0; r < dim; r++) for (let c = 0; c < k; c++) init[r * method.studentDim + c] = directions[c * dim + r]!;
  tf.tidy(() => {
    gamma?.assign(tf.onesLike(gamma));
    beta?.assign(tf.zerosLike(beta));
    kernel.assign(tf.tensor2d(init, [dim, method.studentDim]));
    bias.assign(tf.zerosLike(bias));
  });
}
