import { UserError } from '../util/errors.js';
import { nearestNeighbors, type NeighborResult } from './neighbors.js';
import { checkLabels, inferNumClasses, type Embeddings } from './types.js';

export interface KnnOptions {
  /** Neighbours that vote (default 20, as in DINO's kNN evaluation). */
  k?: number;
  /** Vote temperature: a neighbour at cosine s votes exp(s / T) (default 0.07, as in DINO). */
  temperature?: number;
  /** Number of classes (default: largest bank label + 1). */
  numClasses?: number;
  /** Queries are the bank itself; skip each point's own entry (leave-one-out). */
  excludeSelf?: boolean;
}

export interface KnnResult {
  predictions: Int32Array;
  /** count x k bank indices of the voters, most similar first. */
  neighbors: Int32Array;
  /** count x k cosine similarities of the voters. */
  similarities: Float32Array;
  /** Voters per query (k clamped to the bank size). */
  k: number;
}

/**
 * Weighted kNN classification on L2-normalised features, as in DINO's evaluation (Caron et al. 2021,
 * eval_knn.py): each of the k most cosine-similar bank points adds exp(sim / T) to its class; the class
 * with the largest total wins (ties go to the lower class index).
 */
export function knnClassify(bank: Embeddings, bankLabels: Int32Array, queries: Embeddings, opts: KnnOptions = {}): KnnResult {
  checkLabels(bankLabels, bank.count, 'kNN bank labels');
  const nn = nearestNeighbors(bank, queries, opts.k ?? 20, { excludeSelf: opts.excludeSelf });
  return { predictions: knnVote(nn, bankLabels, opts), neighbors: nn.indices, similarities: nn.similarities, k: nn.k };
}

/** The weighted vote of {@link knnClassify} over neighbours already found (uses the first `opts.k` of them). */
export function knnVote(nn: NeighborResult, bankLabels: Int32Array, opts: Pick<KnnOptions, 'k' | 'temperature' | 'numClasses'> = {}): Int32Array {
  const k = Math.min(opts.k ?? 20, nn.k);
  const temperature = opts.temperature ?? 0.07;
  if (!(temperature > 0)) throw new UserError(`kNN: temperature must be positive, got ${temperature}`);
  const numClasses = opts.numClasses ?? inferNumClasses(bankLabels);
  const count = nn.indices.length / nn.k;
  const predictions = new Int32Array(count);
  const votes = new Float64Array(numClasses);
  for (let i = 0; i < count; i++) {
    votes.fill(0);
    for (let j = 0; j < k; j++) {
      const label = bankLabels[nn.indices[i * nn.k + j]!]!;
      if (label >= numClasses) throw new UserError(`kNN: bank label ${label} is outside numClasses ${numClasses}`);
      votes[label]! += Math.exp(nn.similarities[i * nn.k + j]! / temperature);
    }
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (votes[c]! > votes[best]!) best = c;
    predictions[i] = best;
  }
  return predictions;
}

/** Fraction of predictions equal to labels. */
export function accuracy(predictions: Int32Array, labels: Int32Array): number {
  if (predictions.length !== labels.length) {
    throw new UserError(`accuracy: ${predictions.length} predictions but ${labels.length} labels`);
  }
  if (predictions.length === 0) return NaN;
  let hits = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === labels[i]) hits++;
  return hits / predictions.length;
}
