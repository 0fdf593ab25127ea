/** Tiny seeded embedding sets for the evaluation tests. */
import { Rng } from '../../src/util/random.js';
import type { Embeddings } from '../../src/evaluation/types.js';

/** n points around `classes` random unit-ish centres (scaled by `spread`) in d dims, plus Gaussian noise. */
export function blobs(rng: Rng, n: number, d: number, classes: number, noise = 0.1, spread = 3): { x: Embeddings; y: Int32Array } {
  const centres = Array.from({ length: classes }, () => Array.from({ length: d }, () => rng.normal() * spread));
  const y = Int32Array.from({ length: n }, (_, i) => i % classes);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = centres[y[i]!]![j]! + noise * rng.normal();
  return { x: { data, count: n, dim: d }, y };
}

export function gaussian(rng: Rng, n: number, d: number, scale = 1): Embeddings {
  return { data: Float32Array.from({ length: n * d }, () => scale * rng.normal()), count: n, dim: d };
}

/** x @ m for a d x d2 row-major matrix m. */
export function transform(x: Embeddings, m: Float64Array | number[], d2: number): Embeddings {
  const out = new Float32Array(x.count * d2);
  for (let i = 0; i < x.count; i++) {
    for (let k = 0; k < d2; k++) {
      let s = 0;
      for (let j = 0; j < x.dim; j++) s += x.data[i * x.dim + j]! * m[j * d2 + k]!;
      out[i * d2 + k] = s;
    }
  }
  return { data: out, count: x.count, dim: d2 };
}

/** A random d x d orthogonal matrix (Gram-Schmidt on a Gaussian matrix). */
export function randomRotation(rng: Rng, d: number): Float64Array {
  const q = Array.from({ length: d }, () => Array.from({ length: d }, () => rng.normal()));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const dot = q[i]!.reduce((s, v, k) => s + v * q[j]![k]!, 0);
      for (let k = 0; k < d; k++) q[i]![k]! -= dot * q[j]![k]!;
    }
    const norm = Math.hypot(...q[i]!);
    for (let k = 0; k < d; k++) q[i]![k]! /= norm;
  }
  return Float64Array.from(q.flat());
}
