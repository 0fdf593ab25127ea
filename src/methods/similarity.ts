/**
 * Shared pieces of the similarity-based losses: row normalisation, cosine-similarity matrices, the symmetrised
 * t-SNE-style affinity with a masked diagonal, KL divergence between affinities, and a stop-gradient.
 * Every function works on a single matrix (n x n) or a batch of them (... x n x n), so the same code serves the
 * global (across the batch) and local (within one image, across its tokens) losses.
 */
import { tf } from '../backend/index.js';
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
  return tf.tidy(() => {
    const an = l2Normalize(a);
    const bn = b === undefined ? an : l2Normalize(b);
    return tf.matMul(an, bn, false, true) as T;
  });
}

/** Row-wise cosine similarity of two equally shaped tensors (last axis): N x D, N x D -> N. */
export function rowCosine(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.mul(l2Normalize(a), l2Normalize(b)), -1));
}

/** The n x n identity as a boolean mask, broadcastable against ... x n x n. */
function diagonalMask(n: number): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.eye(n), 'bool') as tf.Tensor2D);
}

/**
 * Row softmax of `logits` (... x n x n) over j != i: the diagonal gets probability exactly 0 and its value has
 * no influence on the other entries (nor any gradient).
 */
export function maskedRowSoftmax<T extends tf.Tensor>(logits: T): T {
  return tf.tidy(() => {
    const n = logits.shape[logits.rank - 1]!;
    if (n < 2) throw new UserError(`similarity losses need at least 2 items per set (got ${n}); use a batch size of 2 or more`);
    const mask = tf.broadcastTo(diagonalMask(n), logits.shape);
    // A large finite negative (not -Infinity) keeps the softmax's max-subtraction and gradients finite.
    const masked = tf.where(mask, tf.fill(logits.shape, -1e9), logits);
    return tf.softmax(masked, -1) as T;
  });
}

/**
 * Symmetrised t-SNE-style affinity of a similarity matrix S (... x n x n):
 * P_{j|i} = softmax_{j != i}(S_ij / tau), P = (P_{j|i} + P_{i|j}) / (2n). Each n x n block sums to 1, diagonal 0.
 */
export function symmetricAffinity<T extends tf.Tensor2D | tf.Tensor3D>(sims: T, tau: number): T {
  if (!(tau > 0)) throw new UserError(`tau must be > 0 (got ${tau})`);
  return tf.tidy(() => {
    const n = sims.shape[sims.rank - 1]!;
    const conditional = maskedRowSoftmax(tf.div(sims, tau));
    const perm = sims.rank === 2 ? [1, 0] : [0, 2, 1];
    return tf.div(tf.add(conditional, tf.transpose(conditional, perm)), 2 * n) as T;
  });
}

/**
 * KL(P || Q) = sum P log(P / Q) over the last two axes (one value per n x n block; a scalar for a single matrix).
 * Entries with P = 0 contribute 0; `eps` keeps log finite where float32 underflows Q (or P) to 0.
 */
export function klDivergence(p: tf.Tensor, q: tf.Tensor, eps = 1e-10): tf.Tensor {
  return tf.tidy(() => {
    const logRatio = tf.sub(tf.log(tf.add(p, eps)), tf.log(tf.add(q, eps)));
    return tf.sum(tf.mul(p, logRatio), [p.rank - 2, p.rank - 1]);
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
 * Mean over temperatures of KL(P_target || Q_pred), where both affinities are built from cosine similarities.
 * target, pred: n x D / n x d (one set) or N x n x D / N x n x d (N sets, averaged). Returns a scalar.
 * Similarities are computed once and reused across temperatures.
 */
export function multiTauAffinityKl(target: tf.Tensor2D | tf.Tensor3D, pred: tf.Tensor2D | tf.Tensor3D, taus: readonly number[]): tf.Scalar {
  if (taus.length === 0) throw new UserError('taus: expected at least one temperature');
  return tf.tidy(() => {
    const simsT = cosineMatrix(target);
    const simsP = cosineMatrix(pred);
    const perTau = taus.map((tau) => tf.mean(klDivergence(symmetricAffinity(simsT, tau), symmetricAffinity(simsP, tau))));
    return tf.div(tf.addN(perTau), taus.length) as tf.Scalar;
  });
}
