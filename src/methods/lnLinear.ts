/**
 * LayerNorm + Linear: TinTeM's teacher head and the baselines' student projectors, as plain named variables
 * (so checkpoints can store them by name and the optimiser can skip weight decay for '/bias', '/gamma', '/beta').
 */
import { tf } from '../backend/index.js';
import { Rng } from '../util/random.js';

export interface LnLinear {
  readonly inDim: number;
  readonly outDim: number;
  /** LayerNorm scale and shift (absent when built without LayerNorm). */
  readonly gamma?: tf.Variable;
  readonly beta?: tf.Variable;
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  readonly variables: tf.Variable[];
  /** x: ... x inDim (rank 2 or 3) -> ... x outDim. */
  apply<T extends tf.Tensor2D | tf.Tensor3D>(x: T): T;
  dispose(): void;
}

const LN_EPSILON = 1e-5;

/**
 * A variable-name prefix not used by any live variable: `base`, else `base_1`, `base_2`, ... The counter goes on
 * the prefix, not the end, so names keep their '/bias', '/gamma', '/beta' endings. Disposing frees the names.
 */
export function uniquePrefix(base: string, suffixes: string[]): string {
  const registered = tf.engine().registeredVariables;
  const free = (p: string) => suffixes.every((s) => registered[`${p}/${s}`] === undefined);
  if (free(base)) return base;
  for (let k = 1; ; k++) if (free(`${base}_${k}`)) return `${base}_${k}`;
}

/** Glorot-uniform values from a seeded Rng (plain JS, so the same seed gives the same weights on every backend). */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const values = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-limit, limit);
  return values;
}

/** A trainable variable from an initial value, without leaving the initial tensor alive. */
export function makeVariable(init: () => tf.Tensor, name: string): tf.Variable {
  return tf.tidy(() => tf.variable(init(), true, name));
}

/** Layer normalisation over the last axis with learned scale and shift. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon = LN_EPSILON): tf.Tensor {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta);
  });
}

/**
 * Creates LN + Linear with variables named `${prefix}/ln/gamma`, `${prefix}/ln/beta`, `${prefix}/linear/kernel`,
 * `${prefix}/linear/bias`. LayerNorm starts as the identity (gamma 1, beta 0), the kernel Glorot-uniform from `seed`,
 * the bias 0.
 */
export function createLnLinear(prefix: string, inDim: number, outDim: number, seed: number, opts: { layerNorm?: boolean } = {}): LnLinear {
  const withLn = opts.layerNorm ?? true;
  const suffixes = [...(withLn ? ['ln/gamma', 'ln/beta'] : []), 'linear/kernel', 'linear/bias'];
  const scope = uniquePrefix(prefix, suffixes);
  const rng = new Rng(seed).fork(`${prefix}/linear/kernel`);
  const gamma = withLn ? makeVariable(() => tf.ones([inDim]), `${scope}/ln/gamma`) : undefined;
  const beta = withLn ? makeVariable(() => tf.zeros([inDim]), `${scope}/ln/beta`) : undefined;
  const kernel = makeVariable(() => tf.tensor2d(glorotUniform(rng, inDim, outDim), [inDim, outDim]), `${scope}/linear/kernel`);
  const bias = makeVariable(() => tf.zeros([outDim]), `${scope}/linear/bias`);
  const variables = [...(gamma && beta ? [gamma, beta] : []), kernel, bias];

  return {
    inDim, outDim, gamma, beta, kernel, bias, variables,
    apply<T extends tf.Tensor2D | tf.Tensor3D>(x: T): T {
      return tf.tidy(() => {
        const lastDim = x.shape[x.rank - 1]!;
        if (lastDim !== inDim) throw new Error(`${prefix}: expected features of width ${inDim}, got ${lastDim}`);
        const flat = tf.reshape(x, [-1, inDim]);
        const normed = gamma && beta ? layerNorm(flat, gamma, beta) : flat;
        const out = tf.add(tf.matMul(normed as tf.Tensor2D, kernel), bias);
        return tf.reshape<tf.Rank>(out, [...(x.shape as number[]).slice(0, -1), outDim]) as T;
      });
    },
    dispose() {
      for (const v of variables) v.dispose();
    },
  };
}
