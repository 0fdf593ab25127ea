import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { AdamW, isNoDecayName } from '../../src/training/adamw.js';
import { warmupCosine } from '../../src/training/schedule.js';

before(async () => { await initBackend(); });

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-6) => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
};

test('AdamW: one step matches the hand-computed decoupled update', () => {
  // p=[1,-2], g=[0.5,-0.25], lr=0.1, wd=0.01: m_hat=g, v_hat=g^2, so the Adam part is g/(|g|+eps) = [1,-1] (to 1e-7),
  // and p -= 0.1 * ([1,-1] + 0.01*[1,-2]) = [0.899, -1.898].
  const p = tf.variable(tf.tensor1d([1, -2]), true, 'adamw_test_a/kernel');
  const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.01 });
  opt.applyGradients({ [p.name]: tf.tensor1d([0.5, -0.25]) });
  close(p.dataSync(), [0.899, -1.898]);
  assert.equal(opt.step, 1);
  opt.dispose(); p.dispose();
});

test('AdamW: a variable without a gradient keeps its value and moments while the others update', () => {
  // Same numbers as the hand-computed step above for p; q (shape 2x1, between two updated ones) is not reached.
  const a = tf.variable(tf.tensor1d([3]), true, 'adamw_test_skip_a/kernel');
  const q = tf.variable(tf.tensor2d([[5], [6]]), true, 'adamw_test_skip_q/kernel');
  const p = tf.variable(tf.tensor1d([1, -2]), true, 'adamw_test_skip_p/kernel');
  const opt = new AdamW([a, q, p], { lr: 0.1, weightDecay: 0.01 });
  opt.applyGradients({ [a.name]: tf.tensor1d([2]), [p.name]: tf.tensor1d([0.5, -0.25]) });
  close(p.dataSync(), [0.899, -1.898]);
  close(a.dataSync(), [3 - 0.1 * (1 + 0.03)]);
  assert.deepEqual(Array.from(q.dataSync()), [5, 6]);
  const state = opt.exportState();
  assert.deepEqual(state.shapes, [[1], [2, 1], [2]]);
  assert.deepEqual([Array.from(state.m[1]!), Array.from(state.v[1]!)], [[0, 0], [0, 0]]);
  close(state.m[2]!, [0.05, -0.025], 1e-7); // (1 - beta1) g
  close(state.v[0]!, [0.004], 1e-9); // (1 - beta2) g^2
  opt.dispose(); tf.dispose([a, q, p]);
});

test('AdamW: biases and norm parameters get no weight decay; kernels do', () => {
  assert.ok(isNoDecayName('dense_Dense1/bias'));
  assert.ok(isNoDecayName('layer_normalization_LayerNormalization1/gamma'));
  assert.ok(isNoDecayName('head/norm/beta'));
  assert.ok(!isNoDecayName('conv2d_Conv2D1/kernel'));
  // With a zero gradient the Adam part is 0/(0+eps) = 0, so only decay can move a parameter.
  const kernel = tf.variable(tf.tensor1d([2, -4]), true, 'adamw_test_b/kernel');
  const bias = tf.variable(tf.tensor1d([2, -4]), true, 'adamw_test_b/bias');
  const gamma = tf.variable(tf.tensor1d([3]), true, 'adamw_test_b/ln/gamma');
  const opt = new AdamW([kernel, bias, gamma], { lr: 0.5, weightDecay: 0.1 });
  opt.applyGradients({ [kernel.name]: tf.zeros([2]), [bias.name]: tf.zeros([2]), [gamma.name]: tf.zeros([1]) });
  close(kernel.dataSync(), [2 - 0.5 * 0.1 * 2, -4 + 0.5 * 0.1 * 4]);
  assert.deepEqual(Array.from(bias.dataSync()), [2, -4]);
  assert.deepEqual(Array.from(gamma.dataSync()), [3]);
  opt.dispose(); tf.dispose([kernel, bias, gamma]);
});

test('AdamW: three steps with changing lr match a float64 reference, and export/import continues identically', () => {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.05;
  const grads = [[0.3, -1.2, 0.01], [-0.1, 0.4, 0.02], [0.2, 0.2, -0.5]];
  const lrs = [0.01, 0.02, 0.005];
  const ref = [0.5, 1.5, -0.7];
  const m = [0, 0, 0], v = [0, 0, 0];
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < 3; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mh = m[i]! / (1 - b1 ** t), vh = v[i]! / (1 - b2 ** t);
      ref[i] = ref[i]! - lrs[s]! * (mh / (Math.sqrt(vh) + eps) + wd * ref[i]!);
    }
  });
  const p = tf.variable(tf.tensor1d([0.5, 1.5, -0.7]), true, 'adamw_test_c/kernel');
  const opt = new AdamW([p], { lr: lrs[0]!, weightDecay: wd });
  opt.applyGradients({ [p.name]: tf.tensor1d(grads[0]!) });
  // Hand the state to a fresh optimiser mid-way: it must continue exactly like the original.
  const q = tf.variable(p.clone(), true, 'adamw_test_c2/kernel');
  const opt2 = new AdamW([q], { lr: lrs[0]!, weightDecay: wd });
  opt2.importState(opt.exportState());
  for (const [o, x] of [[opt, p], [opt2, q]] as const) {
    for (let s = 1; s < 3; s++) {
      o.setLearningRate(lrs[s]!);
      o.applyGradients({ [x.name]: tf.tensor1d(grads[s]!) });
    }
  }
  close(p.dataSync(), ref, 1e-6);
  assert.deepEqual(Array.from(q.dataSync()), Array.from(p.dataSync()));
  assert.equal(opt2.step, 3);
  opt.dispose(); opt2.dispose(); tf.dispose([p, q]);
});

test('AdamW: updates allocate no lasting tensors', () => {
  const p = tf.variable(tf.ones([4, 4]), true, 'adamw_test_d/kernel');
  const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.1 });
  const g = tf.onesLike(p);
  opt.applyGradients({ [p.name]: g });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) opt.applyGradients({ [p.name]: g });
  assert.equal(tf.memory().numTensors, before);
  opt.dispose(); tf.dispose([p, g]);
});

test('warmupCosine: linear warm-up, cosine decay to the floor', () => {
  const lr = warmupCosine({ baseLr: 1, minLr: 0.1, warmupSteps: 4, totalSteps: 13 });
  close([lr(0), lr(1), lr(3)], [0.25, 0.5, 1]);
  close([lr(4), lr(8), lr(12)], [1, 0.55, 0.1]); // decay over steps 4..12: half-way is (1 + 0.1) / 2
  close([lr(6)], [0.1 + 0.45 * (1 + Math.cos(Math.PI / 4))]);
  const noWarm = warmupCosine({ baseLr: 2, minLr: 0, warmupSteps: 0, totalSteps: 3 });
  close([noWarm(0), noWarm(1), noWarm(2)], [2, 1, 0]);
});
