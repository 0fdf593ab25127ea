/** Representation similarity between two embedding spaces of the same points (teacher vs student). */
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import { l2NormalizeRows, nearestNeighbors, readAndDispose, toTensor, type NeighborResult } from './neighbors.js';
import { meanAbsDifference, pearson, spearman } from './stats.js';
import { selectRows, type Embeddings } from './types.js';

function samePoints(a: Embeddings, b: Embeddings, what: string): void {
  if (a.count !== b.count) throw new UserError(`${what}: the two embedding sets must hold the same points, got ${a.count} and ${b.count}`);
}

/**
 * Linear CKA (Kornblith et al. 2019) with column-centred features, in the feature-space form
 * ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F), which costs O(n d^2) and so suits n >> d.
 * Invariant to orthogonal transforms and isotropic scaling of either side; 1 for identical spaces.
 * `normalize` L2-normalises rows first (cosine geometry). NaN when either side is constant.
 */
export function linearCka(x: Embeddings, y: Embeddings, opts: { normalize?: boolean } = {}): number {
  samePoints(x, y, 'CKA');
  if (x.count < 2) return NaN;
  const [num, dx, dy, vx, vy, tx, ty] = tf.tidy(() => {
    const prep = (e: Embeddings): tf.Tensor2D => (opts.normalize ? l2NormalizeRows(toTensor(e)) : toTensor(e));
    const xr = prep(x), yr = prep(y);
    const xc = xr.sub(xr.mean(0, true)) as tf.Tensor2D, yc = yr.sub(yr.mean(0, true)) as tf.Tensor2D;
    const fro2 = (a: tf.Tensor2D, b: tf.Tensor2D) => a.matMul(b, true, false).square().sum();
    return [fro2(yc, xc), fro2(xc, xc), fro2(yc, yc), xc.square().sum(), yc.square().sum(), xr.square().sum(), yr.square().sum()]
      .map((t) => t.dataSync()[0]!);
  });
  // Centred energy at float32 rounding level relative to the raw energy means the features are constant.
  if (!(vx! > 1e-10 * tx!) || !(vy! > 1e-10 * ty!)) return NaN;
  const den = Math.sqrt(dx!) * Math.sqrt(dy!);
  return den > 0 ? Math.min(1, num! / den) : NaN;
}

/** Mean over queries of |A(i) ∩ B(i)| / k for two neighbour lists over the same bank (ids compared as-is). */
export function neighborOverlap(a: NeighborResult, b: NeighborResult, k = Math.min(a.k, b.k)): number {
  if (a.indices.length / a.k !== b.indices.length / b.k) throw new UserError('neighbour overlap: the two lists cover different numbers of queries');
  if (k > a.k || k > b.k) throw new UserError(`neighbour overlap: k=${k} exceeds the neighbours found (${Math.min(a.k, b.k)})`);
  return overlapWithMap(a, b, k, (i) => i, (j) => j);
}

function overlapWithMap(a: NeighborResult, b: NeighborResult, k: number, rowOfB: (i: number) => number, idOfB: (j: number) => number): number {
  const count = a.indices.length / a.k;
  if (count === 0 || k < 1) return NaN;
  let bankSize = 0;
  for (const j of a.indices) if (j >= bankSize) bankSize = j + 1;
  for (const j of b.indices) if (idOfB(j) >= bankSize) bankSize = idOfB(j) + 1;
  const mark = new Int32Array(bankSize).fill(-1);
  let total = 0;
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < k; t++) mark[a.indices[i * a.k + t]!] = i;
    const r = rowOfB(i);
    let hits = 0;
    for (let t = 0; t < k; t++) if (mark[idOfB(b.indices[r * b.k + t]!)] === i) hits++;
    total += hits / k;
  }
  return total / count;
}

export interface MutualKnnResult {
  /** Mean over points of |N_k^A(i) ∩ N_k^B(i)| / k (neighbours within the same set, self excluded). */
  overlap: number;
  /** The same with B's rows shuffled by a seeded permutation: the empirical chance level. */
  chance: number;
  /** Expected chance level for random neighbour sets: k / (n - 1). */
  expectedChance: number;
  k: number;
  /** Points used (a seeded subsample when the set exceeds maxPoints). */
  points: number;
}

/**
 * Mutual k-NN overlap (as in Huh et al. 2024, "The Platonic Representation Hypothesis") between two spaces of
 * the same points, with its chance level from pairing A with a seeded permutation of B.
 */
export function mutualKnn(a: Embeddings, b: Embeddings, opts: { seed: number; k?: number; maxPoints?: number }): MutualKnnResult {
  samePoints(a, b, 'mutual kNN');
  const rng = new Rng(opts.seed);
  const sample = subsample(a.count, opts.maxPoints ?? 10000, rng.fork('subsample'));
  const as = sample ? selectRows(a, sample) : a, bs = sample ? selectRows(b, sample) : b;
  if (as.count < 2) throw new UserError(`mutual kNN: needs at least 2 points, got ${as.count}`);
  const k = opts.k ?? 10;
  return mutualKnnFromNeighbors(
    nearestNeighbors(as, as, k, { excludeSelf: true }),
    nearestNeighbors(bs, bs, k, { excludeSelf: true }),
    rng.fork('chance').seed,
  );
}

/** {@link mutualKnn} from precomputed within-set neighbour lists (self excluded) of the same points. */
export function mutualKnnFromNeighbors(a: NeighborResult, b: NeighborResult, seed: number): MutualKnnResult {
  const n = a.indices.length / a.k;
  const k = Math.min(a.k, b.k);
  const perm = new Rng(seed).permutation(n);
  const inverse = new Int32Array(n);
  for (let i = 0; i < n; i++) inverse[perm[i]!] = i;
  // Pairing A's point i with B's point perm[i]: B's neighbours of perm[i], renamed back into A's ids.
  const chance = overlapWithMap(a, b, k, (i) => perm[i]!, (j) => inverse[j]!);
  return { overlap: neighborOverlap(a, b, k), chance, expectedChance: n > 1 ? k / (n - 1) : NaN, k, points: n };
}

export interface SimilarityStructure {
  /** Pearson correlation of the two pairwise cosine-similarity matrices (upper triangle). */
  pearson: number;
  /** Spearman rank correlation of the same. */
  spearman: number;
  /** Mean |cos_A(i,j) - cos_B(i,j)| over the upper triangle. */
  meanAbsDiff: number;
  points: number;
  pairs: number;
}

/** Compares the pairwise cosine-similarity matrices of two spaces on a seeded subsample of at most maxPoints (default 2000). */
export function similarityStructure(a: Embeddings, b: Embeddings, opts: { seed: number; maxPoints?: number }): SimilarityStructure {
  samePoints(a, b, 'similarity structure');
  const sample = subsample(a.count, opts.maxPoints ?? 2000, new Rng(opts.seed));
  const as = sample ? selectRows(a, sample) : a, bs = sample ? selectRows(b, sample) : b;
  const ua = upperCosines(as), ub = upperCosines(bs);
  return { pearson: pearson(ua, ub), spearman: spearman(ua, ub), meanAbsDiff: meanAbsDifference(ua, ub), points: as.count, pairs: ua.length };
}

function upperCosines(e: Embeddings): Float32Array {
  const m = e.count;
  const full = readAndDispose(tf.tidy(() => {
    const t = l2NormalizeRows(toTensor(e));
    return t.matMul(t, false, true);
  }));
  const out = new Float32Array((m * (m - 1)) / 2);
  let o = 0;
  for (let i = 0; i < m; i++) {
    out.set(full.subarray(i * m + i + 1, (i + 1) * m), o);
    o += m - i - 1;
  }
  return out;
}

/** Sorted seeded subsample of 0..n-1 of size max, or undefined when n <= max. */
export function subsample(n: number, max: number, rng: Rng): Int32Array | undefined {
  if (n <= max) return undefined;
  return rng.permutation(n).slice(0, max).sort();
}
