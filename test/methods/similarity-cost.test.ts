/**
 * TinTeM's many-token local KL (B x taus x n x n) is computed more cheaply than it was (src/methods/similarity.ts:
 * the block normaliser is the constant log(2n), the symmetrisation a pairwise logaddexp without stacking): the
 * same values and gradients as the formulation before it, with fewer and smaller kernels. The float64 goldens of
 * test/methods/goldens.test.ts check both against the authors' formulas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { cosineMatrix, DEFAULT_TAUS, logKl, multiTauAffinityKl } from '../../src/methods/similarity.js';

await initBackend();

/** The formulation before (kept here verbatim as the comparison): stacked logsumexp, block logsumexp. */
function maskedLogSumExp(x: tf.Tensor, mask: tf.Tensor, axes: number[]): tf.Tensor {
  const zeros = tf.zerosLike(x);
  const shift = tf.max(tf.where(mask, tf.fill(x.shape, -Infinity), x), axes, true);
  const shifted = tf.where(mask, zeros, tf.sub(x, shift));
  return tf.add(shift, tf.log(tf.sum(tf.where(mask, zeros, tf.exp(shifted)), axes, true)));
}
function oldLogAffinity(sims: tf.Tensor, taus: readonly number[]): { logP: tf.Tensor; mask: tf.Tensor } {
  const n = sims.shape[sims.rank - 1]!;
  const mask = tf.broadcastTo(tf.cast(tf.eye(n), 'bool'), [taus.length, ...sims.shape]);
  const logits = tf.div(tf.expandDims(sims, 0), tf.tensor(taus as number[], [taus.length, ...Array<number>(sims.rank).fill(1)]));
  const rowLse = maskedLogSumExp(logits, mask, [logits.rank - 1]);
  const lp = tf.where(mask, tf.zerosLike(logits), tf.sub(logits, rowLse));
  const perm = lp.shape.map((_, i) => i);
  [perm[lp.rank - 2], perm[lp.rank - 1]] = [perm[lp.rank - 1]!, perm[lp.rank - 2]!];
  const sym = tf.logSumExp(tf.stack([lp, tf.transpose(lp, perm)]), 0);
  return { logP: tf.sub(sym, maskedLogSumExp(sym, mask, [sym.rank - 2, sym.rank - 1])), mask };
}
function oldKl(target: tf.Tensor3D, pred: tf.Tensor3D, taus: readonly number[]): tf.Scalar {
  const p = oldLogAffinity(cosineMatrix(target), taus);
  const q = oldLogAffinity(cosineMatrix(pred), taus);
  return tf.mean(logKl(p.logP, q.logP, p.mask)) as tf.Scalar;
}

test('local KL over 50 tokens x 10 temperatures: same value and gradient as before, fewer kernels and bytes', async () => {
  // Targets near the predictions (as after some training), so the KL is small and its gradient informative.
  const target = tf.randomNormal([3, 50, 16], 0, 1, 'float32', 1) as tf.Tensor3D;
  const pred = tf.variable(tf.add(target, tf.randomNormal([3, 50, 16], 0, 0.3, 'float32', 2)) as tf.Tensor3D);
  const run = (f: () => tf.Scalar) => tf.tidy(() => {
    const { value, grads } = tf.variableGrads(f, [pred]);
    return [value, grads[pred.name]!] as const;
  });
  try {
    const [vNew, gNew] = run(() => multiTauAffinityKl(target, pred as unknown as tf.Tensor3D, DEFAULT_TAUS));
    const [vOld, gOld] = run(() => oldKl(target, pred as unknown as tf.Tensor3D, DEFAULT_TAUS));
    const a = vNew.dataSync()[0]!, b = vOld.dataSync()[0]!;
    assert.ok(b > 0 && Math.abs(a - b) <= 1e-4 * b, `value ${a} vs before ${b}`);
    const gn = gNew.dataSync(), go = gOld.dataSync();
    let diff = 0, norm = 0;
    for (let i = 0; i < go.length; i++) { diff += (gn[i]! - go[i]!) ** 2; norm += go[i]! ** 2; }
    assert.ok(norm > 0 && Math.sqrt(diff) <= 1e-4 * Math.sqrt(norm), `gradient differs by ${Math.sqrt(diff / norm)} relative (L2)`);
    tf.dispose([vNew, gNew, vOld, gOld]);

    const cost = async (f: () => tf.Scalar) => {
      const info = await tf.profile(() => { tf.dispose(run(f)); });
      // Elements written by all kernels (4 bytes each): what an elementwise-bound loss costs.
      const written = info.kernels.reduce((s, k) => s + (k.outputShapes as number[][]).reduce((t, sh) => t + sh.reduce((x, y) => x * y, 1), 0), 0);
      return { kernels: info.kernels.length, bytes: 4 * written };
    };
    const now = await cost(() => multiTauAffinityKl(target, pred as unknown as tf.Tensor3D, DEFAULT_TAUS));
    const before = await cost(() => oldKl(target, pred as unknown as tf.Tensor3D, DEFAULT_TAUS));
    assert.ok(now.kernels < before.kernels, `kernels ${now.kernels} vs ${before.kernels} before`);
    assert.ok(now.bytes < 0.8 * before.bytes, `bytes written by kernels ${now.bytes} vs ${before.bytes} before`);
  } finally {
    tf.dispose([target, pred]);
  }
});
