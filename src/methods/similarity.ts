/**
 * Shared pieces of the similarity-based losses: row normalisation, cosine-similarity matrices, the symmetrised
 * t-SNE-style log affinity with a boolean-masked diagonal, KL divergence between log affinities, and a stop-gradient.
 * Follows the reference (emannix/cospress..., proteus_vmfsne7_reversed.py, sne_style 'full') in log space: no
 * probability is ever clamped by an eps, so affinities of 1e-72 at tau = 0.01 keep their weight.
 * Every function works on a single matrix (n x n) or a batch of them (... x n x n), so the same code serves the
 * global (across the batch) and local (within one image, across its tokens) losses.
 */
import { tf } from '../backend/index.js';
import { fullPrecision } from '../backend/precision.js';
import { UserError } from '../util/errors.js';

/** Divides each row (last axis) by its L2 norm; `eps` keeps all-zero rows finite (they stay zero). */
export function l2Normalize<T extends tf.Tensor>(x: T, eps = 1e-8): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), eps * eps));
    return tf.div(x, norm) as T;
  });
}

/**
 * Cosine similarities between the rows of `a` and the rows of `b` (default: `a` with itself).
 * a: ... x n x D, b: ... x m x D  ->  ... x n x m.
 */
export function cosineMatrix<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b?: T): T {
  // Float32 even in a bf16 step: the affinities divide these by temperatures down to 0.01, which would scale
  // bf16's rounding (3 significant digits) a hundredfold.
  return fullPrecision(() => tf.tidy(() => {
    const an = l2Normalize(a);
    const bn = b === undefined ? an : l2Normalize(b);
    return tf.matMul(an, bn, false, true) as T;
  }));
}

/** Row-wise cosine similarity of two equally shaped tensors (last axis): N x D, N x D -> N. */
export function rowCosine(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.mul(l2Normalize(a), l2Normalize(b)), -1));
}

/** The n x n identity as a boolean mask broadcast to `shape` (... x n x n). */
function diagonalMask(n: number, shape: number[]): tf.Tensor {
  return tf.tidy(() => tf.broadcastTo(tf.cast(tf.eye(n), 'bool'), shape));
}

/**
 * log(sum(exp(x))) over `axes` of the entries where `mask` is false. Masked entries are excluded by the boolean
 * mask alone (never by subtracting a large number, which overflows in float16 and loses digits in float32), and
 * every intermediate stays finite so no NaN reaches the gradient. The shift is stop-gradient: the result does not
 * depend on it.
 */
function maskedLogSumExp(x: tf.Tensor, mask: tf.Tensor, axes: number[]): tf.Tensor {
  return tf.tidy(() => {
    const zeros = tf.zerosLike(x);
    const shift = stopGradient(tf.max(tf.where(mask, tf.fill(x.shape, -Infinity), x), axes, true));
    const shifted = tf.where(mask, zeros, tf.sub(x, shift));
    return tf.add(shift, tf.log(tf.sum(tf.where(mask, zeros, tf.exp(shifted)), axes, true)));
  });
}

/** Transposes the last two axes. */
function swapLast(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1]!, perm[x.rank - 2]!];
  return tf.transpose(x, perm);
}

function checkTaus(taus: readonly number[]): void {
  if (taus.length === 0 || taus.some((t) => !(t > 0))) throw new UserError(`taus: expected a non-empty list of numbers > 0 (got ${JSON.stringify(taus)})`);
}

/** Temperatures as a K x 1 x ... x 1 tensor that broadcasts against K x (similarity shape). */
function tauTensor(taus: readonly number[], simsRank: number): tf.Tensor {
  return tf.tensor(taus as number[], [taus.length, ...Array<number>(simsRank).fill(1)]);
}

/**
 * log(exp(a) + exp(b)) elementwise, without stacking a and b: max(a, b) + log(1 + exp(-|a - b|)). Where a = b
 * its gradient goes all to a (tfjs's maximum) instead of half to each; the losses here weight (i, j) and (j, i)
 * alike, so the sum over both is the same.
 */
function logAddExp(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.maximum(a, b), tf.softplus(tf.neg(tf.abs(tf.sub(a, b))))));
}

/**
 * Log of the symmetrised t-SNE affinity ('full' style of the reference), for every temperature at once:
 *   lp = log_softmax_{j != i}(S_ij / tau)             (row-conditional, diagonal masked)
 *   LP = logsumexp(lp_ij, lp_ji) - log(2n)
 * The reference normalises by the logsumexp over the whole n x n block of the same; each row of exp(lp) sums
 * to 1, so that block sums to exactly 2n: the constant saves a masked logsumexp over K x ... x n x n (and its
 * gradient) per call, and is exact where the sum is rounded.
 * sims: ... x n x n; returns K x ... x n x n (K = taus.length). Diagonal entries hold a finite filler value and
 * must be ignored through `mask` (the K x ... x n x n boolean identity, also returned).
 */
export function logAffinity(sims: tf.Tensor2D | tf.Tensor3D, taus: readonly number[]): { logP: tf.Tensor; mask: tf.Tensor } {
  const n = sims.shape[sims.rank - 1]!;
  if (n < 2) throw new UserError(`similarity losses need at least 2 items per set (got ${n}); use a batch size of 2 or more`);
  checkTaus(taus);
  const mask = diagonalMask(n, [taus.length, ...sims.shape]);
  const logP = tf.tidy(() => {
    const logits = tf.div(tf.expandDims(sims, 0), tauTensor(taus, sims.rank));
    const rowLse = maskedLogSumExp(logits, mask, [logits.rank - 1]);
    const lp = tf.where(mask, tf.zerosLike(logits), tf.sub(logits, rowLse));
    return tf.sub(logAddExp(lp, swapLast(lp)), Math.log(2 * n));
  });
  return { logP, mask };
}

/**
 * KL(P || Q) = sum exp(LP) (LP - LQ) over the last two axes (one value per n x n block) from log affinities;
 * masked (diagonal) entries contribute exactly 0, as the reference's non-finite entries do.
 */
export function logKl(logP: tf.Tensor, logQ: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const terms = tf.mul(tf.exp(logP), tf.sub(logP, logQ));
    return tf.sum(tf.where(mask, tf.zerosLike(terms), terms), [terms.rank - 2, terms.rank - 1]);
  });
}

/**
 * The identity in the forward pass with a zero gradient (tfjs has no stop_gradient).
 * Used so the student's imitation loss never moves the teacher head.
 */
export const stopGradient: <T extends tf.Tensor>(x: T) => T = (() => {
  const op = tf.customGrad((...inputs) => ({
    value: tf.clone(inputs[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return <T extends tf.Tensor>(x: T): T => op(x) as T;
})();

/** Default temperatures for TinTeM's head losses: 0.01, 0.02, ..., 0.10. */
export { DEFAULT_TAUS } from './defaults.js';

/**
 * Mean over temperatures of KL(P_target || Q_pred), where both affinities are built from cosine similarities
 * (log space throughout, stable in float32 at tau = 0.01). target, pred: n x D / n x d (one set: the reference's
 * global loss, a sum over the n x n block) or N x n x D / N x n x d (N sets: the local loss, averaged over sets).
 * All temperatures are computed as one batched tensor. Returns a scalar.
 */
export function multiTauAffinityKl(target: tf.Tensor2D | tf.Tensor3D, pred: tf.Tensor2D | tf.Tensor3D, taus: readonly number[]): tf.Scalar {
  if (taus.length === 0) throw new UserError('taus: expected at least one temperature');
  return tf.tidy(() => {
    const p = logAffinity(cosineMatrix(target), taus);
    const q = logAffinity(cosineMatrix(pred), taus);
    return tf.mean(logKl(p.logP, q.logP, p.mask)) as tf.Scalar;
  });
}
