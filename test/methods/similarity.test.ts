import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import {
  cosineMatrix, klDivergence, l2Normalize, maskedRowSoftmax, multiTauAffinityKl, stopGradient, symmetricAffinity, DEFAULT_TAUS,
} from '../../src/methods/similarity.js';
import { UserError } from '../../src/util/errors.js';
import { affinity, close, cosMatrix, kl, mean, type Matrix } from './reference.js';

await initBackend();

const assertClose = (actual: ArrayLike<number>, expected: number[], tol = 1e-5) => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(close(actual[i]!, expected[i]!, tol), `[${i}] ${actual[i]} != ${expected[i]}`);
};

test('l2Normalize and cosineMatrix match hand values', () => {
  const x = tf.tensor2d([[3, 4], [0, 2], [1, 1]]);
  assertClose(l2Normalize(x).dataSync(), [0.6, 0.8, 0, 1, Math.SQRT1_2, Math.SQRT1_2]);
  // cos(a,b)=0.8, cos(a,c)=(3+4)/(5*sqrt2), cos(b,c)=1/sqrt2
  const c = cosineMatrix(x);
  const ac = 7 / (5 * Math.SQRT2);
  assertClose(c.dataSync(), [1, 0.8, ac, 0.8, 1, Math.SQRT1_2, ac, Math.SQRT1_2, 1]);
  tf.dispose([x, c]);
});

test('symmetricAffinity equals the hand-computed symmetrised t-SNE affinity and has a zero diagonal', () => {
  const sims: Matrix = [[1, 0.2, -0.5, 0.1], [0.2, 1, 0.7, 0], [-0.5, 0.7, 1, 0.3], [0.1, 0, 0.3, 1]];
  for (const tau of [0.1, 0.5]) {
    const p = symmetricAffinity(tf.tensor2d(sims), tau);
    assertClose(p.dataSync(), affinity(sims, tau).flat());
    assert.ok(close(p.sum().dataSync()[0]!, 1));
    for (let i = 0; i < 4; i++) assert.equal(p.arraySync()[i]![i], 0);
    p.dispose();
  }
  // A worked 3 x 3 case: S12 = 0, S13 = ln 2 and S23 = 0 at tau 1 give P_{.|1} = (1/3, 2/3), P_{.|2} = (1/2, 1/2),
  // P_{.|3} = (2/3, 1/3); P_12 = (1/3 + 1/2) / 6 = 5/36, P_13 = (2/3 + 2/3) / 6 = 2/9, P_23 = (1/2 + 1/3) / 6 = 5/36.
  const p3 = symmetricAffinity(tf.tensor2d([[9, 0, Math.LN2], [0, 9, 0], [Math.LN2, 0, 9]]), 1);
  assertClose(p3.dataSync(), [0, 5 / 36, 2 / 9, 5 / 36, 0, 5 / 36, 2 / 9, 5 / 36, 0]);
  p3.dispose();
});

test('masked diagonal contributes nothing: changing only diagonal similarities leaves affinities and loss unchanged', () => {
  const base: Matrix = [[1, 0.3, -0.2], [0.3, 1, 0.6], [-0.2, 0.6, 1]];
  const other = base.map((row, i) => row.map((v, j) => (i === j ? [-7, 0.5, 40][i]! : v)));
  const pa = symmetricAffinity(tf.tensor2d(base), 0.05);
  const pb = symmetricAffinity(tf.tensor2d(other), 0.05);
  assert.deepEqual(Array.from(pa.dataSync()), Array.from(pb.dataSync()));
  const q = symmetricAffinity(tf.tensor2d([[0, 0.1, 0.2], [0.1, 0, 0.3], [0.2, 0.3, 0]]), 0.05);
  assert.equal(klDivergence(pa, q).dataSync()[0], klDivergence(pb, q).dataSync()[0]);
  // and no gradient reaches the diagonal
  const g = tf.grad((s: tf.Tensor) => klDivergence(symmetricAffinity(s as tf.Tensor2D, 0.5), q))(tf.tensor2d(base));
  const ga = g.arraySync() as Matrix;
  for (let i = 0; i < 3; i++) assert.equal(ga[i]![i], 0);
  assert.ok(Math.abs(ga[0]![1]!) > 1e-6);
  tf.dispose([pa, pb, q, g]);
});

test('maskedRowSoftmax rejects a set of one item with a UserError', () => {
  assert.throws(() => maskedRowSoftmax(tf.tensor2d([[1]])), UserError);
});

test('klDivergence equals sum p log(p/q), zero entries of P contribute nothing, batched per block', () => {
  const p = [[0, 0.25], [0.25, 0.5]];
  const q = [[0.1, 0.4], [0.2, 0.3]];
  const expected = 0.25 * Math.log(0.25 / 0.4) + 0.25 * Math.log(0.25 / 0.2) + 0.5 * Math.log(0.5 / 0.3);
  const v = klDivergence(tf.tensor2d(p), tf.tensor2d(q));
  assert.ok(close(v.dataSync()[0]!, expected, 1e-5));
  assert.ok(close(expected, kl(p, q), 1e-12));
  const batched = klDivergence(tf.tensor3d([p, q]), tf.tensor3d([q, q]));
  assert.deepEqual(batched.shape, [2]);
  assertClose(batched.dataSync(), [expected, 0]);
  tf.dispose([v, batched]);
});

test('multiTauAffinityKl averages KL(P_target || Q_pred) over temperatures (global and per-set)', () => {
  const target = [[1, 0, 0.5], [0.2, 1, 0], [0, 0.3, 1], [1, 1, 1]];
  const pred = [[1, 0.1], [0.4, 1], [-0.3, 0.8], [1, 0.2]];
  const taus = [0.1, 0.5, 1];
  const expected = mean(taus.map((tau) => kl(affinity(cosMatrix(target), tau), affinity(cosMatrix(pred), tau))));
  const v = multiTauAffinityKl(tf.tensor2d(target), tf.tensor2d(pred), taus);
  assert.ok(close(v.dataSync()[0]!, expected, 1e-4), `${v.dataSync()[0]} vs ${expected}`);
  // two sets (as for per-image tokens): the mean of the per-set values
  const target2 = [[0, 1, 1], [1, 0, 0], [1, 2, 0.5], [0.3, 0.3, 1]];
  const pred2 = [[1, 0], [0, 1], [1, 1], [0.5, -1]];
  const expected2 = mean(taus.map((tau) => kl(affinity(cosMatrix(target2), tau), affinity(cosMatrix(pred2), tau))));
  const v2 = multiTauAffinityKl(tf.tensor3d([target, target2]), tf.tensor3d([pred, pred2]), taus);
  assert.ok(close(v2.dataSync()[0]!, (expected + expected2) / 2, 1e-4));
  // identical structure gives zero
  const same = multiTauAffinityKl(tf.tensor2d(target), tf.tensor2d(target), DEFAULT_TAUS);
  assert.ok(Math.abs(same.dataSync()[0]!) < 1e-5);
  assert.deepEqual([...DEFAULT_TAUS], [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]);
  tf.dispose([v, v2, same]);
});

test('stopGradient is the identity forward and passes no gradient', () => {
  const x = tf.tensor1d([1, -2, 3]);
  assert.deepEqual(Array.from(stopGradient(x).dataSync()), [1, -2, 3]);
  // d/dx sum(sg(x) * x) = sg(x) = x, not 2x
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(stopGradient(v), v)))(x);
  assert.deepEqual(Array.from(g.dataSync()), [1, -2, 3]);
  const g0 = tf.grad((v: tf.Tensor) => tf.sum(tf.square(stopGradient(v))))(x);
  assert.deepEqual(Array.from(g0.dataSync()), [0, 0, 0]);
  tf.dispose([x, g, g0]);
});

test('similarity ops leak no tensors', () => {
  const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
  const y = tf.randomNormal([5, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
  const w = tf.variable(tf.ones([3]), true, 'test/similarity/scale');
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => multiTauAffinityKl(x, tf.mul(y, w) as tf.Tensor2D, [0.1, 0.2]));
  tf.dispose([value, ...Object.values(grads)]);
  const g = tf.grad((v: tf.Tensor) => multiTauAffinityKl(x, v as tf.Tensor2D, [0.1]))(y);
  g.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y, w]);
});
