/** Method defaults that both the TF-free registry and the loss code need (this file loads no TensorFlow). */

/** The paper's temperatures for the multi-temperature affinity KL: 0.01, 0.02, ..., 0.10. */
export const DEFAULT_TAUS: readonly number[] = Array.from({ length: 10 }, (_, i) => (i + 1) / 100);
