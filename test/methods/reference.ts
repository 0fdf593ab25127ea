/**
 * Plain-JS reference implementations (loops over small arrays) that the method tests compare the tensor code
 * against. Written independently of src/methods so a shared mistake cannot make a test pass.
 */
export type Matrix = number[][];

export const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
export const cos = (a: number[], b: number[]) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
export const cosMatrix = (rows: Matrix): Matrix => rows.map((a) => rows.map((b) => cos(a, b)));
export const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** P_ij = (P_{j|i} + P_{i|j}) / (2n), P_{j|i} = exp(S_ij/tau) / sum_{k != i} exp(S_ik/tau), P_ii = 0. */
export function affinity(sims: Matrix, tau: number): Matrix {
  const n = sims.length;
  const cond: Matrix = sims.map((row, i) => {
    let z = 0;
    for (let k = 0; k < n; k++) if (k !== i) z += Math.exp(row[k]! / tau);
    return row.map((s, j) => (j === i ? 0 : Math.exp(s / tau) / z));
  });
  return cond.map((row, i) => row.map((_, j) => (cond[i]![j]! + cond[j]![i]!) / (2 * n)));
}

/** sum over p > 0 of p log(p / q). */
export function kl(p: Matrix, q: Matrix): number {
  let s = 0;
  p.forEach((row, i) => row.forEach((v, j) => { if (v > 0) s += v * Math.log(v / q[i]![j]!); }));
  return s;
}

export function layerNormRow(v: number[], gamma: number[], beta: number[], eps = 1e-5): number[] {
  const m = mean(v);
  const variance = mean(v.map((x) => (x - m) ** 2));
  return v.map((x, i) => ((x - m) / Math.sqrt(variance + eps)) * gamma[i]! + beta[i]!);
}

/** v (in) times W (in x out) plus b (out). */
export function linear(v: number[], w: Matrix, b: number[]): number[] {
  return b.map((bias, o) => v.reduce((s, x, i) => s + x * w[i]![o]!, bias));
}

export function close(actual: number, expected: number, tol = 1e-4): boolean {
  return Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected));
}
