import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import type { Embeddings } from './types.js';

/** The k most cosine-similar bank rows of each query, most similar first. */
export interface NeighborResult {
  /** Neighbours per query (the requested k, clamped to what the bank holds). */
  k: number;
  /** count x k bank indices, row-major. */
  indices: Int32Array;
  /** count x k cosine similarities, matching `indices`. */
  similarities: Float32Array;
}

export interface NeighborOptions {
  /**
   * The queries are the bank itself (same rows in the same order): never return a point as its own neighbour.
   * Only the diagonal is excluded, so exact duplicates of a point still count.
   */
  excludeSelf?: boolean;
  /** Cap on query-chunk x bank similarity entries held at once (memory bound; default 2^24 = 64 MiB). */
  maxChunkElements?: number;
}

/** Rows scaled to unit L2 norm; all-zero rows stay zero (similarity 0 to everything). */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => x.div(x.square().sum(1, true).sqrt().maximum(1e-12)) as tf.Tensor2D);
}

/**
 * A tensor's values, disposing the tensor. Use this rather than returning dataSync() from tf.tidy: tidy walks
 * every element of a returned typed array looking for tensors, which is very slow for big arrays.
 */
export function readAndDispose<T extends Float32Array | Int32Array = Float32Array>(t: tf.Tensor): T {
  try { return t.dataSync() as T; } finally { t.dispose(); }
}

/** One-hot rows of `depth` columns (tf.oneHot refuses depth 1, which a single-class set needs). */
export function oneHotFloat(labels: Int32Array, depth: number): tf.Tensor2D {
  return tf.tidy(() => {
    const t = tf.oneHot(tf.tensor1d(labels, 'int32'), Math.max(2, depth)).toFloat();
    return (depth < 2 ? t.slice([0, 0], [-1, depth]) : t) as tf.Tensor2D;
  });
}

/** Embeddings as a tensor (caller disposes). */
export function toTensor(e: Embeddings): tf.Tensor2D {
  return tf.tensor2d(e.data, [e.count, e.dim]);
}

/**
 * Exact cosine k-nearest-neighbour search. The similarity matrix is never materialised whole: queries go
 * through in chunks sized so a chunk x bank block stays under `maxChunkElements`, which lets a
 * 10k x 60k search run in bounded memory.
 */
export function nearestNeighbors(bank: Embeddings, queries: Embeddings, k: number, opts: NeighborOptions = {}): NeighborResult {
  if (bank.dim !== queries.dim) throw new UserError(`kNN: bank has dimension ${bank.dim} but queries have ${queries.dim}`);
  const excludeSelf = opts.excludeSelf ?? false;
  if (excludeSelf && bank.count !== queries.count) throw new UserError('kNN: excludeSelf needs the queries to be the bank itself');
  const available = bank.count - (excludeSelf ? 1 : 0);
  if (available < 1) throw new UserError(`kNN: the bank needs at least ${excludeSelf ? 2 : 1} embeddings, got ${bank.count}`);
  if (!Number.isInteger(k) || k < 1) throw new UserError(`kNN: k must be a positive integer, got ${k}`);
  const kk = Math.min(k, available);
  const indices = new Int32Array(queries.count * kk);
  const similarities = new Float32Array(queries.count * kk);
  const chunkRows = Math.max(1, Math.floor((opts.maxChunkElements ?? 1 << 24) / bank.count));
  const bankT = tf.tidy(() => l2NormalizeRows(toTensor(bank)));
  try {
    for (let start = 0; start < queries.count; start += chunkRows) {
      const end = Math.min(queries.count, start + chunkRows);
      tf.tidy(() => {
        const q = l2NormalizeRows(tf.tensor2d(queries.data.subarray(start * queries.dim, end * queries.dim), [end - start, queries.dim]));
        let sims = q.matMul(bankT, false, true) as tf.Tensor2D;
        // Cosines lie in [-1, 1]; subtracting 5 on the diagonal puts each point last among its own candidates.
        if (excludeSelf) sims = sims.sub(tf.oneHot(tf.range(start, end, 1, 'int32') as tf.Tensor1D, bank.count).toFloat().mul(5)) as tf.Tensor2D;
        const top = tf.topk(sims, kk, true);
        indices.set(top.indices.dataSync() as Int32Array, start * kk);
        similarities.set(top.values.dataSync() as Float32Array, start * kk);
      });
    }
  } finally {
    bankT.dispose();
  }
  return { k: kk, indices, similarities };
}

/** The first `k` neighbours of each query from a result with at least k (a cheap view for smaller k). */
export function truncateNeighbors(nn: NeighborResult, k: number): NeighborResult {
  if (k >= nn.k) return nn;
  const count = nn.indices.length / nn.k;
  const indices = new Int32Array(count * k);
  const similarities = new Float32Array(count * k);
  for (let i = 0; i < count; i++) {
    indices.set(nn.indices.subarray(i * nn.k, i * nn.k + k), i * k);
    similarities.set(nn.similarities.subarray(i * nn.k, i * nn.k + k), i * k);
  }
  return { k, indices, similarities };
}
