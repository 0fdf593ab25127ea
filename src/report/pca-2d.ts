/**
 * 2-D PCA for the embedding maps: subspace iteration on the (implicit) covariance with a 2x2 Rayleigh-Ritz step,
 * so it needs only X and X^T products (no D x D matrix) and is deterministic for a given seed.
 */
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';

export interface Projection2d {
  /** One [x, y] per input row: coordinates along the first two principal axes. */
  points: Array<[number, number]>;
  /** Variance along each of the two axes. */
  variance: [number, number];
  /** Total variance (trace of the covariance), so variance[i] / total is the explained fraction. */
  totalVariance: number;
}

export interface PcaOptions {
  seed?: number;
  maxIterations?: number;
  tolerance?: number;
}

/**
 * Projects rows onto their first two principal components. Signs are fixed so that each axis' largest-magnitude
 * loading is positive, which makes the result independent of the random start. Iterations are capped: when the
 * 2nd and 3rd variances are nearly equal the 2nd axis is ill-defined anyway, and a map needs no more precision.
 */
export function pca2d(rows: ArrayLike<number>[], options: PcaOptions = {}): Projection2d {
  const n = rows.length;
  if (n === 0) return { points: [], variance: [0, 0], totalVariance: 0 };
  const d = rows[0]!.length;
  for (let i = 0; i < n; i++) {
    if (rows[i]!.length !== d) throw new UserError(`embeddings: row ${i} has ${rows[i]!.length} values, expected ${d} like row 0`);
  }
  // Centred copy in float64, one flat row-major buffer (much faster to sweep than an array of rows).
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / n;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = rows[i]![j]! - mean[j]!;
  const denom = Math.max(1, n - 1);
  const total = dot(x, x) / denom;

  /** C v = X^T (X v) / (n - 1), without forming C. */
  const cov = (v: Float64Array): Float64Array => {
    const out = new Float64Array(d);
    for (let i = 0, o = 0; i < n; i++, o += d) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[o + j]! * v[j]!;
      s /= denom;
      for (let j = 0; j < d; j++) out[j]! += s * x[o + j]!;
    }
    return out;
  };
  const project = (i: number, v: Float64Array): number => {
    let s = 0;
    for (let j = 0, o = i * d; j < d; j++) s += x[o + j]! * v[j]!;
    return s;
  };

  const rng = new Rng(options.seed ?? 0);
  let v1: Float64Array = Float64Array.from({ length: d }, () => rng.normal());
  let v2: Float64Array = Float64Array.from({ length: d }, () => rng.normal());
  [v1, v2] = orthonormalise(v1, v2);
  let lambda: [number, number] = [0, 0];
  const maxIterations = options.maxIterations ?? 300;
  const tolerance = options.tolerance ?? 1e-12;
  let cv1 = cov(v1), cv2 = cov(v2);
  for (let it = 0; it < maxIterations; it++) {
    const [w1, w2] = orthonormalise(cv1, cv2);
    // Rayleigh-Ritz: rotate the 2-D subspace onto the eigenvectors of its 2x2 projected covariance.
    const c1 = cov(w1), c2 = cov(w2);
    const a = dot(w1, c1), b = dot(w1, c2), c = dot(w2, c2);
    const [l1, l2, cs, sn] = symmetricEigen2(a, b, c);
    const n1 = w1.map((t, j) => cs * t + sn * w2[j]!);
    const n2 = w1.map((t, j) => -sn * t + cs * w2[j]!);
    // C is linear, so C n1 and C n2 follow from C w1 and C w2 without another pass over the data.
    cv1 = c1.map((t, j) => cs * t + sn * c2[j]!);
    cv2 = c1.map((t, j) => -sn * t + cs * c2[j]!);
    const change = 1 - Math.min(Math.abs(dot(n1, v1)), Math.abs(dot(n2, v2)) + (dot(n2, n2) === 0 ? 1 : 0));
    v1 = n1; v2 = n2; lambda = [l1, l2];
    if (change < tolerance) break;
  }
  fixSign(v1); fixSign(v2);
  const points = Array.from({ length: n }, (_, i): [number, number] => [project(i, v1), project(i, v2)]);
  return { points, variance: [Math.max(0, lambda[0]), Math.max(0, lambda[1])], totalVariance: total };
}

/** Flips each axis of `points` whose correlation with the same axis of `reference` is negative (same rows). */
export function alignSigns(points: Array<[number, number]>, reference: Array<[number, number]>): Array<[number, number]> {
  if (points.length !== reference.length) return points;
  const flip = [0, 1].map((k) => {
    let s = 0;
    for (let i = 0; i < points.length; i++) s += points[i]![k]! * reference[i]![k]!;
    return s < 0 ? -1 : 1;
  });
  return points.map(([a, b]) => [a * flip[0]!, b * flip[1]!]);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Unit vector, or zeros when `v` is negligible next to `scale` (rounding noise has no direction worth keeping). */
function normalise(v: Float64Array, scale = 0): Float64Array {
  const norm = Math.sqrt(dot(v, v));
  return norm > 1e-300 && norm > 1e-9 * scale ? v.map((t) => t / norm) : new Float64Array(v.length);
}

/** Gram-Schmidt (twice, for stability) on two vectors. A vector that vanishes (rank-deficient data) stays zero. */
function orthonormalise(a: Float64Array, b: Float64Array): [Float64Array, Float64Array] {
  const u = normalise(a);
  const scale = Math.sqrt(dot(b, b));
  let r = b;
  for (let pass = 0; pass < 2; pass++) {
    const p = dot(u, r);
    r = r.map((t, j) => t - p * u[j]!);
  }
  return [u, normalise(r, scale)];
}

/** Eigen-decomposition of [[a, b], [b, c]]: eigenvalues l1 >= l2 and the rotation (cos, sin) of l1's eigenvector. */
function symmetricEigen2(a: number, b: number, c: number): [number, number, number, number] {
  const theta = 0.5 * Math.atan2(2 * b, a - c);
  const cs = Math.cos(theta), sn = Math.sin(theta);
  const l1 = a * cs * cs + 2 * b * cs * sn + c * sn * sn;
  const l2 = a * sn * sn - 2 * b * cs * sn + c * cs * cs;
  return l1 >= l2 ? [l1, l2, cs, sn] : [l2, l1, -sn, cs];
}

function fixSign(v: Float64Array): void {
  let k = 0;
  for (let j = 1; j < v.length; j++) if (Math.abs(v[j]!) > Math.abs(v[k]!) + 1e-12) k = j;
  if (v[k]! < 0) for (let j = 0; j < v.length; j++) v[j] = -v[j]!;
}
