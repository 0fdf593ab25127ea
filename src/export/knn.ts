/**
 * Cosine k-nearest neighbours over a small gallery and the kNN out-of-distribution score. Plain JS in float64,
 * so Node and the browser rank neighbours identically given the same embeddings. Browser-safe.
 */
import { knnDistanceFromCosine, KNN_OOD_SCORE } from '../evaluation/knn-distance.js';

export { KNN_OOD_SCORE };

/** Rows scaled to unit length (zero rows stay zero), as float64 for stable dot products. */
export function normalizeRows(data: ArrayLike<number>, dim: number): Float64Array {
  const rows = Math.floor(data.length / dim);
  if (rows * dim !== data.length) throw new Error(`length ${data.length} is not a multiple of dim ${dim}`);
  const out = new Float64Array(data.length);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += data[r * dim + j]! ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < dim; j++) out[r * dim + j] = data[r * dim + j]! * inv;
  }
  return out;
}

export interface Neighbour {
  index: number;
  /** Cosine similarity to the query. */
  similarity: number;
}

/**
 * The k most cosine-similar gallery rows to `query` (best first; ties broken by lower index).
 * `galleryUnit` must come from normalizeRows. `exclude` skips one row (leave-one-out calibration).
 */
export function nearestNeighbours(query: ArrayLike<number>, galleryUnit: Float64Array, dim: number, k: number, exclude = -1): Neighbour[] {
  const q = normalizeRows(query, dim);
  const rows = galleryUnit.length / dim;
  const all: Neighbour[] = [];
  for (let r = 0; r < rows; r++) {
    if (r === exclude) continue;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += q[j]! * galleryUnit[r * dim + j]!;
    all.push({ index: r, similarity: dot });
  }
  all.sort((a, b) => b.similarity - a.similarity || a.index - b.index);
  return all.slice(0, k);
}

/** OOD score: the kNN distance (sqrt(2 - 2 cos), see evaluation/knn-distance.ts) to the k-th nearest neighbour. */
export function knnScore(neighbours: Neighbour[], k: number): number {
  if (neighbours.length === 0) return Number.NaN;
  const kth = neighbours[Math.min(k, neighbours.length) - 1]!;
  return knnDistanceFromCosine(kth.similarity);
}

/** The q-quantile (0..1) of values (numpy's default interpolation); the one copy lives in util/stats. */
export { quantile } from '../util/stats.js';
