/**
 * The fused student kernels (src/students/native-kernels.ts) against tfjs's own composition of the same
 * formulas, which is code from outside this project: tfjs-layers' BatchNormalization in training mode
 * (forward, gradients for input, gamma and beta, moving-average update) and tfjs-core's ReLU gradient
 * (dy * step(x)).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { batchNormalization, layerNormalization, nativeKernelsActive } from '../../src/students/native-kernels.js';
import { LayerNorm } from '../../src/students/layers.js';

await initBackend();

function assertClose(actual: tf.Tensor, expected: tf.Tensor, what: string, rtol = 1e-4, atol = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.dataSync(), e = expected.dataSync();
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i]! - e[i]!) <= atol + rtol * Math.abs(e[i]!), `${what}[${i}]: ${a[i]} vs tfjs ${e[i]}`);
  }
}

test('the native backend runs the fused kernels (the test below compares them, not tfjs with itself)', () => {
  assert.equal(nativeKernelsActive(), true);
});

test('fused BatchNormalization (training) = tfjs-layers BatchNormalization: output, gradients, moving statistics', () => {
  for (const shape of [[8, 5, 5, 3], [3, 1, 1, 4], [16, 7, 7, 16]] as Array<[number, number, number, number]>) {
    const fused = batchNormalization({ name: 'fused', momentum: 0.9, epsilon: 1e-5 });
    const plain = tf.layers.batchNormalization({ name: 'plain', momentum: 0.9, epsilon: 1e-5 });
    const c = shape[3];
    fused.build([null, shape[1], shape[2], c]);
    plain.build([null, shape[1], shape[2], c]);
    const weights = [tf.randomNormal([c], 1, 0.3, 'float32', 1), tf.randomNormal([c], 0, 0.5, 'float32', 2), tf.randomNormal([c], 0, 1, 'float32', 3), tf.randomUniform([c], 0.5, 2, 'float32', 4)];
    fused.setWeights(weights);
    plain.setWeights(weights);
    const x = tf.randomNormal(shape, 0.7, 2, 'float32', 5) as tf.Tensor4D;
    const w = tf.randomNormal(shape, 0, 1, 'float32', 6);
    const gradsOf = (layer: tf.layers.Layer) => {
      const [gamma, beta] = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
      let y: tf.Tensor | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const out = layer.apply(x, { training: true }) as tf.Tensor;
        y = tf.keep(out);
        return tf.sum(tf.mul(out, w)) as tf.Scalar;
      }, [gamma!, beta!]);
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, { training: true }) as tf.Tensor, w)))(x);
      return { y: y!, value, dGamma: grads[gamma!.name]!, dBeta: grads[beta!.name]!, dx };
    };
    const a = gradsOf(fused), e = gradsOf(plain);
    assertClose(a.y, e.y, `${shape} y`);
    assertClose(a.dx, e.dx, `${shape} dL/dx`, 1e-3, 1e-4);
    assertClose(a.dGamma, e.dGamma, `${shape} dL/dgamma`, 1e-3, 1e-4);
    assertClose(a.dBeta, e.dBeta, `${shape} dL/dbeta`);
    // Each layer was called twice in training mode: the moving statistics moved the same way.
    const [, , fm, fv] = fused.getWeights(), [, , pm, pv] = plain.getWeights();
    assertClose(fm!, pm!, `${shape} moving mean`);
    assertClose(fv!, pv!, `${shape} moving variance`);
    // Inference is tfjs's own code in both.
    assertClose(fused.apply(x, { training: false }) as tf.Tensor, plain.apply(x, { training: false }) as tf.Tensor, `${shape} inference`);
    tf.dispose([...weights, x, w, a.y, e.y, a.value, e.value, a.dGamma, a.dBeta, a.dx, e.dGamma, e.dBeta, e.dx]);
    for (const v of [...fused.weights, ...plain.weights]) v.dispose();
  }
});

test('fused LayerNorm (training) = tfjs-layers LayerNormalization and the composed LayerNorm: output and gradients; serialises as LayerNorm', () => {
  for (const shape of [[4, 9, 12], [2, 197, 16], [3, 5]] as number[][]) {
    const w = shape[shape.length - 1]!;
    const fused = layerNormalization({ name: 'fused_ln', epsilon: 1e-6 });
    const composed = new LayerNorm({ name: 'composed_ln', epsilon: 1e-6 });
    const plain = tf.layers.layerNormalization({ name: 'plain_ln', epsilon: 1e-6 });
    const weights = [tf.randomNormal([w], 1, 0.3, 'float32', 1), tf.randomNormal([w], 0, 0.5, 'float32', 2)];
    for (const layer of [fused, composed, plain]) {
      layer.build([null, ...shape.slice(1)]);
      layer.setWeights(weights);
    }
    const x = tf.randomNormal(shape, 0.7, 2, 'float32', 5);
    const r = tf.randomNormal(shape, 0, 1, 'float32', 6);
    const gradsOf = (layer: tf.layers.Layer) => {
      const [gamma, beta] = layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, r)) as tf.Scalar, [gamma!, beta!]);
      const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, { training: true }) as tf.Tensor, r)))(x);
      return { y: layer.apply(x, { training: true }) as tf.Tensor, value, dGamma: grads[gamma!.name]!, dBeta: grads[beta!.name]!, dx };
    };
    const a = gradsOf(fused);
    for (const [e, name] of [[gradsOf(plain), 'tfjs-layers'], [gradsOf(composed), 'composed']] as const) {
      assertClose(a.y, e.y, `${shape} y vs ${name}`);
      assertClose(a.dx, e.dx, `${shape} dL/dx vs ${name}`, 1e-3, 1e-4);
      assertClose(a.dGamma, e.dGamma, `${shape} dL/dgamma vs ${name}`, 1e-3, 1e-4);
      assertClose(a.dBeta, e.dBeta, `${shape} dL/dbeta vs ${name}`);
      tf.dispose([e.y, e.value, e.dGamma, e.dBeta, e.dx]);
    }
    assert.equal(fused.getClassName(), composed.getClassName());
    tf.dispose([...weights, x, r, a.y, a.value, a.dGamma, a.dBeta, a.dx]);
    for (const v of [...fused.weights, ...composed.weights, ...plain.weights]) v.dispose();
  }
});

test('ReLU gradient on the native backend = dy * step(x), zero at x = 0 as in tfjs', () => {
  const x = tf.tensor1d([-2, -0.5, 0, 0.25, 3, -1e-30, 1e-30]);
  const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7]);
  const got = tf.grad((v: tf.Tensor) => tf.relu(v))(x, dy);
  assertClose(got, tf.mul(dy, tf.step(x)), 'relu grad', 0, 0);
  tf.dispose([x, dy, got]);
});

test('fused kernels leave no tensors behind over repeated training calls', () => {
  const layer = batchNormalization({ name: 'leak', momentum: 0.9, epsilon: 1e-5 });
  const x = tf.randomNormal([4, 3, 3, 2], 0, 1, 'float32', 7) as tf.Tensor4D;
  const step = () => tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.relu(layer.apply(xx, { training: true }) as tf.Tensor)))(x));
  tf.dispose(step());
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) tf.dispose(step());
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  for (const v of layer.weights) v.dispose();
});
