import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { createCosine } from '../../src/methods/cosine.js';
import { createMethod, methodNames } from '../../src/methods/index.js';
import { createProteus, type ProjectorMethod } from '../../src/methods/proteus.js';
import { createRelational } from '../../src/methods/relational.js';
import { UserError } from '../../src/util/errors.js';
import { close, cos, layerNormRow, linear, mean, type Matrix } from './reference.js';

await initBackend();

// Projector d = 3 -> D = 2 with fixed parameters.
const gamma = [1.5, 1, 0.5];
const beta = [0, 0.2, -0.1];
const kernel: Matrix = [[1, -0.5], [0.3, 0.8], [-0.2, 0.4]];
const bias = [0.1, -0.1];
const project = (v: number[]) => linear(layerNormRow(v, gamma, beta), kernel, bias);

const studentPooled: Matrix = [[1, 0.2, -0.3], [0.5, 0.5, 1], [-1, 0.3, 0.1]];
const teacherPooled: Matrix = [[0.7, -0.2], [0.1, 0.9], [-0.5, 0.4]];
const studentTokens: Matrix[] = [
  [[1, 0, 0.2], [0.3, 0.1, -0.4], [0, 1, 1], [0.5, -0.5, 0.2]],
  [[0.1, 0.2, 0.3], [1, 1, -1], [0.4, 0, 0], [-0.2, 0.6, 0.1]],
  [[0.9, 0.1, 0], [0, 0, 1], [0.3, -0.7, 0.5], [1, 0.2, 0.2]],
];
const teacherTokens: Matrix[] = [
  [[1, 0], [0.5, 0.5], [0, 1], [-0.3, 0.2]],
  [[0.2, 0.1], [1, -1], [0.4, 0.4], [0, 0.9]],
  [[0.6, 0.6], [-1, 0.2], [0.3, 0], [0.1, 0.8]],
];

function setProjector(method: ProjectorMethod): void {
  tf.tidy(() => {
    method.projector.gamma!.assign(tf.tensor1d(gamma));
    method.projector.beta!.assign(tf.tensor1d(beta));
    method.projector.kernel.assign(tf.tensor2d(kernel));
    method.projector.bias.assign(tf.tensor1d(bias));
  });
}

const inputs = () => ({
  student: { pooled: tf.tensor2d(studentPooled), tokens: tf.tensor3d(studentTokens) },
  teacher: { pooled: tf.tensor2d(teacherPooled), tokens: tf.tensor3d(teacherTokens) },
});
const values = (terms: Record<string, tf.Scalar>) => Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, v.dataSync()[0]!]));

test('proteus: every term reaches both projectors; projectStudent is the pooled (token_head) projector; values are in goldens.test.ts', () => {
  const method = createProteus({ studentDim: 3, teacherDim: 2, seed: 1 });
  setProjector(method);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.tidy(() => {
    const { student, teacher } = inputs();
    return tf.variableGrads(() => tf.addN(Object.values(method.losses(student, teacher))) as tf.Scalar, method.variables);
  });
  assert.deepEqual(Object.keys(grads).sort(), method.variables.map((v) => v.name).sort());
  for (const g of Object.values(grads)) assert.ok(tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 1e-5);
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(method.variables.map((v) => v.name), [
    'proteus/projector/ln/gamma', 'proteus/projector/ln/beta', 'proteus/projector/linear/kernel', 'proteus/projector/linear/bias',
    'proteus/token-projector/ln/gamma', 'proteus/token-projector/ln/beta', 'proteus/token-projector/linear/kernel', 'proteus/token-projector/linear/bias',
  ]);
  const projected = tf.tidy(() => method.projectStudent(tf.tensor2d(studentPooled)).arraySync() as Matrix);
  projected.forEach((row, i) => row.forEach((v, j) => assert.ok(close(v, project(studentPooled[i]!)[j]!, 1e-4))));
  method.dispose();
});

test('cosine: 1 - cos of the projected student (pooled, and per token) equals the hand value', () => {
  const method = createCosine({ studentDim: 3, teacherDim: 2, seed: 1 });
  setProjector(method);
  const got = tf.tidy(() => { const { student, teacher } = inputs(); return values(method.losses(student, teacher)); });
  const pooled = mean(studentPooled.map((s, i) => 1 - cos(project(s), teacherPooled[i]!)));
  const tokens = mean(studentTokens.flatMap((img, i) => img.map((s, j) => 1 - cos(project(s), teacherTokens[i]![j]!))));
  assert.ok(close(got.pooled!, pooled, 1e-4), `${got.pooled} vs ${pooled}`);
  assert.ok(close(got.tokens!, tokens, 1e-4), `${got.tokens} vs ${tokens}`);
  // without teacher tokens there is no token term
  const keys = tf.tidy(() => Object.keys(method.losses({ pooled: tf.tensor2d(studentPooled), tokens: tf.tensor3d(studentTokens) }, { pooled: tf.tensor2d(teacherPooled) })));
  assert.deepEqual(keys, ['pooled']);
  method.dispose();
});

test('relational: PKT worked case (diagonal included, mean over all n x n entries, as passalis/probabilistic_kt)', () => {
  const method = createRelational({ studentDim: 3, teacherDim: 2 });
  // Teacher rows e1, e2, -e1: cos rows (1, 0, -1), (0, 1, 0), (-1, 0, 1) -> K rows (1, 1/2, 0), (1/2, 1, 1/2), (0, 1/2, 1)
  // -> P rows (2/3, 1/3, 0), (1/4, 1/2, 1/4), (0, 1/3, 2/3). Student e1, e2, e1: K rows (1, 1/2, 1), (1/2, 1, 1/2),
  // (1, 1/2, 1) -> Q rows (2/5, 1/5, 2/5), (1/4, 1/2, 1/4), (2/5, 1/5, 2/5). Loss = (1/9) sum P log(P / Q).
  const worked = ((2 / 3) * Math.log((2 / 3) / (2 / 5)) + (1 / 3) * Math.log((1 / 3) / (1 / 5)) + (1 / 3) * Math.log((1 / 3) / (1 / 5)) + (2 / 3) * Math.log((2 / 3) / (2 / 5))) / 9;
  const v = tf.tidy(() => method.losses({ pooled: tf.tensor2d([[1, 0, 0], [0, 1, 0], [1, 0, 0]]), tokens: tf.zeros([3, 1, 3]) as tf.Tensor3D }, { pooled: tf.tensor2d([[1, 0], [0, 1], [-1, 0]]) }).relational!.dataSync()[0]!);
  assert.ok(close(v, worked, 1e-4), `${v} vs ${worked}`);
  assert.deepEqual(method.variables, []);
});

test('createMethod builds every method with uniquely, descriptively named variables', async () => {
  assert.deepEqual(methodNames(), ['tintem', 'proteus', 'cosine', 'relational']);
  const methods = await Promise.all(methodNames().map((name) => createMethod({ name }, { teacherDim: 6, studentDim: 4, teacherTokens: true, seed: 3 })));
  const names = methods.flatMap((m) => m.variables.map((v) => v.name));
  assert.equal(new Set(names).size, names.length);
  for (const n of names) assert.match(n, /^[a-z-]+\/[a-z-]+\/(ln\/(gamma|beta)|linear\/(kernel|bias))$/);
  assert.deepEqual(methods.map((m) => m.name), methodNames());
  // a forward pass of every method on random features gives finite terms whose names all have weights
  tf.tidy(() => {
    const student = { pooled: tf.randomNormal([4, 4], 0, 1, 'float32', 1) as tf.Tensor2D, tokens: tf.randomNormal([4, 4, 4], 0, 1, 'float32', 2) as tf.Tensor3D };
    const teacher = { pooled: tf.randomNormal([4, 6], 0, 1, 'float32', 3) as tf.Tensor2D, tokens: tf.randomNormal([4, 4, 6], 0, 1, 'float32', 4) as tf.Tensor3D };
    for (const m of methods) {
      for (const [k, v] of Object.entries(m.losses(student, teacher))) {
        assert.ok(k in m.weights, `${m.name}: term ${k} has no weight`);
        assert.ok(Number.isFinite(v.dataSync()[0]), `${m.name}.${k}`);
      }
    }
  });
  for (const m of methods) m.dispose();
  const tintem = await createMethod({ name: 'tintem', weights: { studentTokens: 0.5 }, taus: [0.1] }, { teacherDim: 6, studentDim: 4, teacherTokens: false, seed: 3 });
  assert.equal(tintem.weights.studentTokens, 0.5);
  tintem.dispose();
});

test('createMethod rejects unknown names and unknown weights', async () => {
  const opts = { teacherDim: 6, studentDim: 4, teacherTokens: false, seed: 1 };
  await assert.rejects(createMethod({ name: 'dino' }, opts), (e: unknown) => e instanceof UserError && /\(expected one of tintem, proteus, cosine, relational\)/.test(e.message));
  await assert.rejects(createMethod({ name: 'proteus', weights: { headGlobal: 1 } }, opts),
    (e: unknown) => e instanceof UserError && e.message === 'method: method.weights.headGlobal: unknown key (expected one of: pooled, tokens)');
  // logit-kd is gone: no teacher gives logits, so it could never run through `tintem distill`
  await assert.rejects(createMethod({ name: 'logit-kd' }, opts), (e: unknown) => e instanceof UserError && /unknown method 'logit-kd'/.test(e.message));
});
