/**
 * Elementary plain-JS math (dot, cosine, LayerNorm, Linear) for the hand-worked cosine tests. The
 * TinTeM, Proteus and PKT losses are not re-implemented here: they are checked against the float64 PyTorch
 * transcription of the authors' code (scripts/goldens/method_goldens.py -> fixtures/method-goldens.json).
 */
export type Matrix = number[][];

export const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
export const cos = (a: number[], b: number[]) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
export const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

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
