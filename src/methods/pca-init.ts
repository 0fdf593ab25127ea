/**
 * Top eigenvectors of a symmetric positive semi-definite matrix (for PCA initialisation of the teacher head).
 * tfjs has no eigendecomposition, so: subspace iteration (the big D x D products on the backend, the thin
 * orthonormalisation in float64 JS), then Rayleigh-Ritz with a Jacobi eigensolver on the small projected matrix.
 */
import { tf } from '../backend/index.js';
import { Rng } from '../util/random.js';

/** Eigen-decomposition of a small symmetric matrix (row-major n x n) by cyclic Jacobi rotations. */
export function jacobiEigen(matrix: ArrayLike<number>, n: number, maxSweeps = 100): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) { // rotate columns p, q
          const akp = a[k * n + p]!, akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) { // rotate rows p, q
          const apk = a[p * n + k]!, aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) { // accumulate eigenvectors (columns of v)
          const vkp = v[k * n + p]!, vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]!;
  return { values, vectors: v };
}

/**
 * Orthonormalises the k columns of a column-major D x k block in place (modified Gram-Schmidt, run twice for
 * stability). A column that collapses to zero is replaced by a fresh random one. Returns each column's norm
 * before normalisation in the first pass.
 */
function orthonormalize(cols: Float64Array, dim: number, k: number, rng: Rng): Float64Array {
  const norms = new Float64Array(k);
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < k; c++) {
      const col = cols.subarray(c * dim, (c + 1) * dim);
      for (let attempt = 0; ; attempt++) {
        for (let prev = 0; prev < c; prev++) {
          const other = cols.subarray(prev * dim, (prev + 1) * dim);
          let dot = 0;
          for (let i = 0; i < dim; i++) dot += col[i]! * other[i]!;
          for (let i = 0; i < dim; i++) col[i] -= dot * other[i]!;
        }
        let norm = 0;
        for (let i = 0; i < dim; i++) norm += col[i]! * col[i]!;
        norm = Math.sqrt(norm);
        if (pass === 0 && attempt === 0) norms[c] = norm;
        if (norm > 1e-10 || attempt > 3) {
          for (let i = 0; i < dim; i++) col[i] /= norm > 0 ? norm : 1;
          break;
        }
        for (let i = 0; i < dim; i++) col[i] = rng.normal();
      }
    }
  }
  return norms;
}

/** M (D x D, on the backend) times the column-major D x k block. Returns column-major D x k. */
function multiply(m: tf.Tensor2D, cols: Float64Array, dim: number, k: number): Float64Array {
  const product = tf.tidy(() => tf.matMul(m, tf.tensor2d(Float32Array.from(cols), [k, dim]), false, true).transpose());
  const out = Float64Array.from(product.dataSync());
  product.dispose();
  return out;
}

/**
 * The k leading eigenvectors of the symmetric PSD matrix `m` (D x D), as a row-major k x D Float32Array
 * (row c = eigenvector c, eigenvalues descending). Deterministic for a given seed.
 */
export function topEigenvectors(m: tf.Tensor2D, k: number, seed: number, opts: { maxIterations?: number; tolerance?: number } = {}): Float32Array {
  const dim = m.shape[0];
  if (m.shape[1] !== dim) throw new Error(`topEigenvectors: expected a square matrix, got ${m.shape.join('x')}`);
  if (k < 1 || k > dim) throw new Error(`topEigenvectors: k must be in 1..${dim} (got ${k})`);
  const rng = new Rng(seed).fork('topEigenvectors');
  // A few extra columns speed convergence (rate lambda_{p+1}/lambda_k instead of lambda_{k+1}/lambda_k).
  const p = Math.min(dim, k + 8);
  let cols: Float64Array = new Float64Array(dim * p);
  for (let i = 0; i < cols.length; i++) cols[i] = rng.normal();
  orthonormalize(cols, dim, p, rng);
  let previous: Float64Array = new Float64Array(p);
  const maxIterations = opts.maxIterations ?? 300;
  const tolerance = opts.tolerance ?? 1e-6;
  for (let it = 0; it < maxIterations; it++) {
    cols = multiply(m, cols, dim, p);
    const norms = orthonormalize(cols, dim, p, rng);
    let change = 0;
    for (let c = 0; c < k; c++) change = Math.max(change, Math.abs(norms[c]! - previous[c]!) / Math.max(norms[c]!, 1e-30));
    previous = norms;
    if (change < tolerance) break;
  }
  // Rayleigh-Ritz: B = V^T M V, rotate V by B's eigenvectors, order by eigenvalue.
  const mv = multiply(m, cols, dim, p);
  const b = new Float64Array(p * p);
  for (let r = 0; r < p; r++) {
    for (let c = 0; c < p; c++) {
      let dot = 0;
      for (let i = 0; i < dim; i++) dot += cols[r * dim + i]! * mv[c * dim + i]!;
      b[r * p + c] = dot;
    }
  }
  for (let r = 0; r < p; r++) for (let c = r + 1; c < p; c++) b[r * p + c] = b[c * p + r] = (b[r * p + c]! + b[c * p + r]!) / 2;
  const { values, vectors } = jacobiEigen(b, p);
  const order = Array.from({ length: p }, (_, i) => i).sort((x, y) => values[y]! - values[x]!);
  const out = new Float32Array(k * dim);
  for (let c = 0; c < k; c++) {
    const j = order[c]!;
    for (let i = 0; i < dim; i++) {
      let s = 0;
      for (let r = 0; r < p; r++) s += cols[r * dim + i]! * vectors[r * p + j]!;
      out[c * dim + i] = s;
    }
  }
  return out;
}
