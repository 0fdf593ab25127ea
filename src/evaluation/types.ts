import { UserError } from '../util/errors.js';

/** `count` embeddings of width `dim`, row-major in one buffer (row i is data[i*dim .. (i+1)*dim)). */
export interface Embeddings {
  data: Float32Array;
  count: number;
  dim: number;
}

/** One model's embeddings of the ID train set (the kNN bank / probe training set) and the ID test set. */
export interface ModelEmbeddings {
  train: Embeddings;
  test: Embeddings;
}

/**
 * Wraps a flat buffer as {@link Embeddings}, checking that its length is a multiple of `dim`.
 * `name` names the input in the error message (a file or an option).
 */
export function embeddings(data: Float32Array, dim: number, name = 'embeddings'): Embeddings {
  if (!Number.isInteger(dim) || dim < 1) throw new UserError(`${name}: dimension must be a positive integer, got ${dim}`);
  if (data.length % dim !== 0) {
    throw new UserError(`${name}: ${data.length} values is not a multiple of the dimension ${dim}`);
  }
  return { data, count: data.length / dim, dim };
}

/**
 * Checks shape and finiteness of embeddings that did not come through {@link embeddings}
 * (NaN/Inf would silently poison every metric downstream).
 */
export function checkEmbeddings(e: Embeddings, name: string): void {
  if (!Number.isInteger(e.dim) || e.dim < 1) throw new UserError(`${name}: dimension must be a positive integer, got ${e.dim}`);
  if (!Number.isInteger(e.count) || e.count < 0 || e.data.length !== e.count * e.dim) {
    throw new UserError(`${name}: expected ${e.count} x ${e.dim} = ${e.count * e.dim} values, got ${e.data.length}`);
  }
  for (let i = 0; i < e.data.length; i++) {
    if (!Number.isFinite(e.data[i]!)) {
      throw new UserError(`${name}: embedding ${Math.floor(i / e.dim)} has a non-finite value (${e.data[i]}) at dimension ${i % e.dim}`);
    }
  }
}

/** Checks that labels are non-negative integers, one per embedding. */
export function checkLabels(labels: Int32Array, count: number, name: string): void {
  if (labels.length !== count) throw new UserError(`${name}: expected ${count} labels (one per embedding), got ${labels.length}`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0) throw new UserError(`${name}: label ${i} is ${labels[i]}; labels must be non-negative class indices`);
  }
}

/** Rows `indices` of `e`, as new embeddings. */
export function selectRows(e: Embeddings, indices: ArrayLike<number>): Embeddings {
  const out = new Float32Array(indices.length * e.dim);
  for (let r = 0; r < indices.length; r++) {
    const src = indices[r]! * e.dim;
    out.set(e.data.subarray(src, src + e.dim), r * e.dim);
  }
  return { data: out, count: indices.length, dim: e.dim };
}

/** Number of classes implied by label arrays: max label + 1 (0 for no labels). */
export function inferNumClasses(...labelSets: Int32Array[]): number {
  let max = -1;
  for (const labels of labelSets) for (let i = 0; i < labels.length; i++) if (labels[i]! > max) max = labels[i]!;
  return max + 1;
}
