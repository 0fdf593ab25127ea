/**
 * Label-free faithfulness of a student to its teacher on a set of images (issue 27, item 9): linear CKA, mutual
 * kNN overlap, and the student's effective rank (RankMe, Garrido et al., ICML 2023). Plain float64 arithmetic on
 * row-major embeddings (rows = images), so distill can compute them every epoch without labels.
 * Checked against numpy / scikit-learn values: test/training/label-free.test.ts (scripts/fixtures/make_label_free.py).
 */
import { jacobiEigen } from '../methods/pca-init.js';

/** Rows scaled to unit length (zero rows stay zero), as float64. */
export function unitRows(x: ArrayLike<number>, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j]! ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) out[i * d + j] = x[i * d + j]! * inv;
  }
  return out;
}

function centre(x: Float64Array, n: number, d: number): void {
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * d + j]!;
    m /= n;
    for (let i = 0; i < n; i++) x[i * d + j]! -= m;
  }
}

/** A^T B for row-major A (n x p), B (n x q): p x q. */
function crossProduct(a: Float64Array, p: number, b: Float64Array, q: number, n: number): Float64Array {
  const out = new Float64Array(p * q);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < p; r++) {
      const v = a[i * p + r]!;
      if (v === 0) continue;
      for (let c = 0; c < q; c++) out[r * q + c]! += v * b[i * q + c]!;
    }
  }
  return out;
}

const frob2 = (m: Float64Array) => m.reduce((s, v) => s + v * v, 0);

/** Linear CKA (feature-space formula) on L2-normalised, centred rows: ||Y'X||² / (||X'X|| ||Y'Y||). */
export function linearCka(x: ArrayLike<number>, dx: number, y: ArrayLike<number>, dy: number, n: number): number {
  const a = unitRows(x, n, dx), b = unitRows(y, n, dy);
  centre(a, n, dx);
  centre(b, n, dy);
  const num = frob2(crossProduct(b, dy, a, dx, n));
  const den = Math.sqrt(frob2(crossProduct(a, dx, a, dx, n)) * frob2(crossProduct(b, dy, b, dy, n)));
  return den > 0 ? num / den : 0;
}

/** Each row's k nearest other rows by cosine similarity (ties broken by index). */
function knnSets(x: ArrayLike<number>, d: number, n: number, k: number): Int32Array[] {
  const u = unitRows(x, n, d);
  const sims = new Float64Array(n);
  return Array.from({ length: n }, (_, i) => {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += u[i * d + c]! * u[j * d + c]!;
      sims[j] = j === i ? -Infinity : s;
    }
    const order = Array.from({ length: n }, (_, j) => j).sort((p, q) => sims[q]! - sims[p]! || p - q);
    return Int32Array.from(order.slice(0, k));
  });
}

/** Each image's share of its k nearest neighbours (cosine, itself excluded) that teacher and student agree on. */
export function mutualKnnPerImage(x: ArrayLike<number>, dx: number, y: ArrayLike<number>, dy: number, n: number, k: number): Float64Array {
  const kk = Math.min(k, n - 1);
  const out = new Float64Array(n);
  if (kk < 1) return out;
  const a = knnSets(x, dx, n, kk), b = knnSets(y, dy, n, kk);
  for (let i = 0; i < n; i++) {
    const set = new Set(a[i]);
    let shared = 0;
    for (const j of b[i]!) if (set.has(j)) shared += 1;
    out[i] = shared / kk;
  }
  return out;
}

/** Mean share of each image's k nearest neighbours (cosine, itself excluded) that teacher and student agree on. */
export function mutualKnnOverlap(x: ArrayLike<number>, dx: number, y: ArrayLike<number>, dy: number, n: number, k: number): number {
  const per = mutualKnnPerImage(x, dx, y, dy, n, k);
  return n > 0 ? per.reduce((s, v) => s + v, 0) / n : 0;
}

/** Eigenvalues of a symmetric d x d matrix (float64; the cyclic Jacobi solver the head's PCA init uses). */
export function symmetricEigenvalues(m: Float64Array, d: number): Float64Array {
  return jacobiEigen(m, d).values;
}

/**
 * RankMe: exp of the entropy of the singular values of the embedding matrix (n x d), each divided by their sum,
 * plus eps = 1e-7 (the paper's). Between 1 (collapsed) and min(n, d).
 */
export function rankMe(z: ArrayLike<number>, d: number, n: number, eps = 1e-7): number {
  const zz = Float64Array.from({ length: n * d }, (_, i) => z[i]!);
  const eig = symmetricEigenvalues(crossProduct(zz, d, zz, d, n), d);
  const sv = Array.from(eig, (v) => Math.sqrt(Math.max(0, v)));
  const total = sv.reduce((s, v) => s + v, 0);
  if (!(total > 0)) return 1;
  let h = 0;
  for (const v of sv) {
    const p = v / total + eps;
    h -= p * Math.log(p);
  }
  return Math.exp(h);
}

export interface LabelFreeFaithfulness {
  /** Linear CKA between teacher and student embeddings (1 = same geometry up to rotation and scale). */
  cka: number;
  /** Mean share of k nearest neighbours teacher and student agree on. */
  mutualKnn: number;
  /** The student's effective rank (RankMe). */
  rankMe: number;
}

/** The three figures for one set of images; `k` for the mutual kNN (default 10). */
export function labelFreeFaithfulness(
  teacher: ArrayLike<number>, teacherDim: number, student: ArrayLike<number>, studentDim: number, n: number, k = 10,
): LabelFreeFaithfulness {
  return {
    cka: linearCka(teacher, teacherDim, student, studentDim, n),
    mutualKnn: mutualKnnOverlap(teacher, teacherDim, student, studentDim, n, k),
    rankMe: rankMe(student, studentDim, n),
  };
}
