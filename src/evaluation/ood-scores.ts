/**
 * OOD scores. Convention: a HIGHER score means MORE out-of-distribution, for every score here.
 */
import { knnDistanceFromCosine } from './knn-distance.js';
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { l2NormalizeRows, nearestNeighbors, oneHotFloat, readAndDispose, toTensor, type NeighborResult } from './neighbors.js';
import { checkLabels, inferNumClasses, type Embeddings } from './types.js';

/**
 * Deep nearest-neighbour OOD score (Sun, Ming, Zhu & Li, "Out-of-Distribution Detection with Deep Nearest
 * Neighbors", ICML 2022): Euclidean distance from the L2-normalised query to its k-th nearest normalised
 * ID-train embedding (k = 50 by default, the paper's CIFAR-10 setting). Computed as sqrt(2 - 2 cos).
 */
export function knnOodScores(idTrain: Embeddings, queries: Embeddings, k = 50): Float64Array {
  return kthNeighborDistance(nearestNeighbors(idTrain, queries, k), k);
}

/** {@link knnOodScores} from neighbours already found (uses the k-th, or the last one found if fewer). */
export function kthNeighborDistance(nn: NeighborResult, k = 50): Float64Array {
  const kk = Math.min(k, nn.k);
  const count = nn.indices.length / nn.k;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = knnDistanceFromCosine(nn.similarities[i * nn.k + kk - 1]!);
  return out;
}

/** Energy score (Liu et al. 2020) with T = 1, sign chosen so higher = more OOD: -logsumexp(logits). */
export function energyScores(logits: Float32Array, numClasses: number): Float64Array {
  const count = logits.length / numClasses;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[i * numClasses + c]!);
    let sum = 0;
    for (let c = 0; c < numClasses; c++) sum += Math.exp(logits[i * numClasses + c]! - max);
    out[i] = -(max + Math.log(sum));
  }
  return out;
}

/** Maximum softmax probability baseline (Hendrycks & Gimpel 2017), negated so higher = more OOD. */
export function mspScores(logits: Float32Array, numClasses: number): Float64Array {
  const energy = energyScores(logits, numClasses);
  const out = new Float64Array(energy.length);
  for (let i = 0; i < energy.length; i++) {
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) max = Math.max(max, logits[i * numClasses + c]!);
    // max softmax = exp(max - logsumexp) = exp(max + energy)
    out[i] = -Math.exp(max + energy[i]!);
  }
  return out;
}

export interface MahalanobisOptions {
  /** Shrinkage towards a scaled identity: (1-a) S + a (tr S / d) I (default 0.1), for a stable inverse when n is small or d large. */
  shrinkage?: number;
  /** L2-normalise embeddings first (default true: the cosine geometry the kNN metrics use). */
  normalize?: boolean;
}

export interface MahalanobisModel {
  /** 'class-conditional' (Lee et al. 2018: class means, shared covariance) when labels were given, else 'single-gaussian'. */
  variant: 'class-conditional' | 'single-gaussian';
  /** Squared Mahalanobis distance to the closest class mean (higher = more OOD). */
  score(x: Embeddings): Float64Array;
}

/**
 * Fits the Mahalanobis OOD detector on ID-train embeddings: class means with one shared (shrunk) covariance
 * when labels are given (Lee et al., NeurIPS 2018), a single Gaussian otherwise.
 */
export function fitMahalanobis(train: Embeddings, labels: Int32Array | undefined, opts: MahalanobisOptions = {}): MahalanobisModel {
  if (train.count < 2) throw new UserError(`Mahalanobis: needs at least 2 training embeddings, got ${train.count}`);
  const shrinkage = opts.shrinkage ?? 0.1;
  if (!(shrinkage >= 0 && shrinkage <= 1)) throw new UserError(`Mahalanobis: shrinkage must be in [0, 1], got ${shrinkage}`);
  const normalize = opts.normalize ?? true;
  if (labels) checkLabels(labels, train.count, 'Mahalanobis labels');
  const d = train.dim;
  const numClasses = labels ? inferNumClasses(labels) : 1;
  const prep = (e: Embeddings) => tf.tidy(() => (normalize ? l2NormalizeRows(toTensor(e)) : toTensor(e)));

  // Class means (rows) and the pooled within-class covariance, both from centred residuals.
  const x = prep(train);
  const [meansT, cov] = tf.tidy(() => {
    const onehot = oneHotFloat(labels ?? new Int32Array(train.count), numClasses);
    const counts = onehot.sum(0).maximum(1).expandDims(1);
    const means = onehot.matMul(x, true, false).div(counts);
    const resid = x.sub(onehot.matMul(means));
    return [means, resid.matMul(resid, true, false).div(train.count)];
  });
  x.dispose();
  const present = new Uint8Array(numClasses);
  for (let i = 0; i < train.count; i++) present[labels ? labels[i]! : 0] = 1;
  const S = Float64Array.from(readAndDispose(cov));
  let trace = 0;
  for (let i = 0; i < d; i++) trace += S[i * d + i]!;
  // A tiny ridge keeps degenerate (e.g. constant) features positive definite without changing real ones.
  const ridge = shrinkage * (trace / d) + 1e-6 * Math.max(trace / d, 1e-6);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) S[i * d + j] = (1 - shrinkage) * S[i * d + j]! + (i === j ? ridge : 0);
  // Whitening W = L^{-T} with S = L L^T, so (x - m)^T S^{-1} (x - m) = ||(x - m) W||^2. Kept as plain arrays
  // (uploaded per call) so the model holds no tensors and needs no dispose.
  const whiten = Float32Array.from(transpose(invertLower(cholesky(S, d), d), d));
  const kept = Int32Array.from(Array.from(present.keys()).filter((c) => present[c] === 1));
  const whitenedMeans = readAndDispose(tf.tidy(() => meansT.gather(tf.tensor1d(kept, 'int32')).matMul(tf.tensor2d(whiten, [d, d]))));
  meansT.dispose();

  return {
    variant: labels ? 'class-conditional' : 'single-gaussian',
    score(q: Embeddings): Float64Array {
      if (q.dim !== d) throw new UserError(`Mahalanobis: fitted on dimension ${d}, got ${q.dim}`);
      if (q.count === 0) return new Float64Array(0);
      const dist = readAndDispose(tf.tidy(() => {
        const z = prep(q).matMul(tf.tensor2d(whiten, [d, d]));
        const m = tf.tensor2d(whitenedMeans, [kept.length, d]);
        // ||z - m||^2 = ||z||^2 - 2 z.m + ||m||^2, minimised over class means.
        const d2 = z.square().sum(1, true).sub(z.matMul(m, false, true).mul(2)).add(m.square().sum(1).expandDims(0));
        return d2.min(1).maximum(0);
      }));
      return Float64Array.from(dist);
    },
  };
}

/** Lower Cholesky factor of a symmetric positive-definite d x d matrix (row-major). */
export function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = a[j * d + j]!;
    for (let k = 0; k < j; k++) s -= l[j * d + k]! ** 2;
    if (!(s > 0)) throw new Error(`Cholesky: matrix is not positive definite (pivot ${j} = ${s})`);
    const ljj = Math.sqrt(s);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[i * d + j]!;
      for (let k = 0; k < j; k++) t -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = t / ljj;
    }
  }
  return l;
}

/** Inverse of a lower-triangular matrix by forward substitution (result is lower triangular). */
export function invertLower(l: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  for (let col = 0; col < d; col++) {
    inv[col * d + col] = 1 / l[col * d + col]!;
    for (let i = col + 1; i < d; i++) {
      let s = 0;
      for (let k = col; k < i; k++) s += l[i * d + k]! * inv[k * d + col]!;
      inv[i * d + col] = -s / l[i * d + i]!;
    }
  }
  return inv;
}

function transpose(a: Float64Array, d: number): Float64Array {
  const t = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[j * d + i] = a[i * d + j]!;
  return t;
}
