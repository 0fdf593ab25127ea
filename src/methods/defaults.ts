/** Method defaults that both the TF-free registry and the loss code need (this file loads no TensorFlow). */

/** The paper's temperatures for the multi-temperature affinity KL: 0.01, 0.02, ..., 0.10. */
export const DEFAULT_TAUS: readonly number[] = Array.from({ length: 10 }, (_, i) => (i + 1) / 100);

/**
 * Version of the loss formulas. 2: TinTeM, Proteus and PKT as the authors compute them (log-space affinities,
 * token 0 in the local and token terms, Proteus' two projectors, PKT's diagonal). Runs and checkpoints without
 * it were made with version 1 and cannot resume under version 2.
 */
export const LOSS_VERSION = 2;
