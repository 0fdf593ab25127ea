// Properties and hand-worked values of the shared similarity pieces. The full losses are checked against the
// float64 PyTorch transcription of the reference in goldens.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { cosineMatrix, l2Normalize, logAffinity, logKl, multiTauAffinityKl, stopGradient, DEFAULT_TAUS } from '../../src/methods/similarity.js';
import { UserError } from '../../src/util/errors.js';

await initBackend();

type Matrix = number[][];
const close = (a: number, e: number, tol: number) => Math.abs(a - e) <= tol * Math.max(1, Math.abs(e));
const assertClose = (actual: ArrayLike<number>, expected: number[], tol = 1e-5) => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(close(actual[i]!, expected[i]!, tol), `[${i}] ${actual[i]} != ${expected[i]}`);
};
const affinity = (sims: Matrix, taus: number[]) => tf.tidy(() => {
  const { logP, mask } = logAffinity(tf.tensor2d(sims), taus);
  return tf.where(mask, tf.zerosLike(logP), tf.exp(logP));
});

test('l2Normalize and cosineMatrix match hand values', () => {
  const x = tf.tensor2d([[3, 4], [0, 2], [1, 1]]);
  assertClose(l2Normalize(x).dataSync(), [0.6, 0.8, 0, 1, Math.SQRT1_2, Math.SQRT1_2]);
  // cos(a,b)=0.8, cos(a,c)=(3+4)/(5*sqrt2), cos(b,c)=1/sqrt2
  const c = cosineMatrix(x);
  const ac = 7 / (5 * Math.SQRT2);
  assertClose(c.dataSync(), [1, 0.8, ac, 0.8, 1, Math.SQRT1_2, ac, Math.SQRT1_2, 1]);
  tf.dispose([x, c]);
});

test('logAffinity: the symmetrised t-SNE affinity of a worked 3 x 3 case, every temperature in one tensor', () => {
  // S12 = 0, S13 = ln 2 and S23 = 0 at tau 1 give P_{.|1} = (1/3, 2/3), P_{.|2} = (1/2, 1/2), P_{.|3} = (2/3, 1/3);
  // logsumexp(lp_ij, lp_ji) normalised over the block: P_12 = (1/3 + 1/2) / 6 = 5/36, P_13 = 2/9, P_23 = 5/36.
  // At tau 0.5 the similarities double: P_{.|1} = (1/5, 4/5), P_{.|3} = (4/5, 1/5), P_12 = (1/5 + 1/2) / 6 = 7/60, P_13 = 4/15.
  const p = affinity([[9, 0, Math.LN2], [0, 9, 0], [Math.LN2, 0, 9]], [1, 0.5]);
  assert.deepEqual(p.shape, [2, 3, 3]);
  assertClose(p.dataSync(), [0, 5 / 36, 2 / 9, 5 / 36, 0, 5 / 36, 2 / 9, 5 / 36, 0, 0, 7 / 60, 4 / 15, 7 / 60, 0, 7 / 60, 4 / 15, 7 / 60, 0]);
  p.dispose();
});

test('masked diagonal contributes nothing: changing only diagonal similarities leaves affinities, loss and gradient unchanged', () => {
  const base: Matrix = [[1, 0.3, -0.2], [0.3, 1, 0.6], [-0.2, 0.6, 1]];
  const other = base.map((row, i) => row.map((v, j) => (i === j ? [-7, 0.5, 40][i]! : v)));
  const pa = affinity(base, [0.05]);
  const pb = affinity(other, [0.05]);
  assert.deepEqual(Array.from(pa.dataSync()), Array.from(pb.dataSync()));
  const q = tf.tensor2d([[0, 0.1, 0.2], [0.1, 0, 0.3], [0.2, 0.3, 0]]);
  const loss = (s: tf.Tensor) => tf.tidy(() => {
    const a = logAffinity(s as tf.Tensor2D, [0.5]);
    return tf.sum(logKl(a.logP, logAffinity(q, [0.5]).logP, a.mask));
  });
  assert.equal(loss(tf.tensor2d(base)).dataSync()[0], loss(tf.tensor2d(other)).dataSync()[0]);
  const g = tf.grad(loss)(tf.tensor2d(base));
  const ga = g.arraySync() as Matrix;
  for (let i = 0; i < 3; i++) assert.equal(ga[i]![i], 0);
  assert.ok(Math.abs(ga[0]![1]!) > 1e-6);
  tf.dispose([pa, pb, q, g]);
});

test('logAffinity rejects a set of one item with a UserError; taus must be positive', () => {
  assert.throws(() => logAffinity(tf.tensor2d([[1]]), [0.1]), UserError);
  assert.throws(() => tf.tidy(() => multiTauAffinityKl(tf.eye(3) as tf.Tensor2D, tf.eye(3) as tf.Tensor2D, [0.1, 0])), UserError);
});

test('logKl: KL of the worked 3 x 3 affinity against the uniform one equals the hand value; KL(P || P) = 0', () => {
  // The uniform affinity (all similarities equal) is 1/6 off the diagonal:
  // KL = 4 (5/36) log(6 * 5/36) + 2 (2/9) log(6 * 2/9) = (5/9) log(5/6) + (4/9) log(4/3).
  const expected = (5 / 9) * Math.log(5 / 6) + (4 / 9) * Math.log(4 / 3);
  const v = tf.tidy(() => {
    const p = logAffinity(tf.tensor2d([[9, 0, Math.LN2], [0, 9, 0], [Math.LN2, 0, 9]]), [1]);
    const q = logAffinity(tf.zeros([3, 3]) as tf.Tensor2D, [1]);
    return tf.concat([logKl(p.logP, q.logP, p.mask), logKl(p.logP, p.logP, p.mask)]);
  });
  assertClose(v.dataSync(), [expected, 0]);
  v.dispose();
});

test('float32 stays finite at tau = 0.01 with opposite vectors (cos = -1): loss and gradient', () => {
  const x = tf.tensor2d([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1e-3]]);
  const y = tf.tensor2d([[1, 0.5], [-1, 0.2], [0.3, 1], [0.1, -1], [-1, 0]]);
  const g = tf.grad((v: tf.Tensor) => multiTauAffinityKl(x, v as tf.Tensor2D, [0.01]))(y);
  const value = multiTauAffinityKl(x, y, [0.01]).dataSync()[0]!;
  assert.ok(Number.isFinite(value) && value > 0);
  assert.ok(Array.from(g.dataSync()).every(Number.isFinite));
  assert.deepEqual([...DEFAULT_TAUS], [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]);
  tf.dispose([x, y, g]);
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
