import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { createTeacher, forwardTeacher, listBuiltinTeachers, isDeferredTeacher } from '../../src/teachers/index.js';
import { seededImages } from './helpers.js';

await initBackend();

test('mobilenet trunk cut at block_13_expand_relu: shapes on two MNIST-sized images, finite values', async () => {
  const teacher = await createTeacher('mobilenet');
  assert.equal(teacher.embedDim, 576);
  assert.equal(teacher.tokenGrid, 2);
  assert.equal(teacher.inputSize, 64);
  assert.match(teacher.id, /^mobilenet@nsfwjs-4\.3\.0:block_13_expand_relu\|64px\|/);
  const set = seededImages(2, 28, 1, 1);
  const x = tf.tensor4d(set.pixels, [2, 28, 28, 1]);
  const before = tf.memory().numTensors;
  const out = await forwardTeacher(teacher, x);
  assert.deepEqual(out.pooled.shape, [2, 576]);
  assert.deepEqual(out.tokens!.shape, [2, 4, 576]);
  const pooled = out.pooled.dataSync();
  assert.ok(pooled.every(Number.isFinite));
  // ReLU6 features: non-negative, not all zero, and the two images differ.
  assert.ok(pooled.every((v) => v >= 0 && v <= 6));
  assert.ok(pooled.some((v) => v > 0));
  assert.notDeepEqual(Array.from(pooled.subarray(0, 576)), Array.from(pooled.subarray(576)));
  // The 4x4 map splits evenly into 2x2 tokens, so the tokens average back to pooled.
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.mean(out.tokens!, 1), out.pooled))).dataSync()[0]!);
  assert.ok(gap < 1e-4, `token mean differs from pooled by ${gap}`);
  tf.dispose([out.pooled, out.tokens!]);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  teacher.dispose();
});

test('mobilenet cut at block_10_project_BN gives 96-d; RGB input of another size works', async () => {
  const teacher = await createTeacher('mobilenet:block_10_project_BN', { inputSize: 48, grid: 3 });
  assert.equal(teacher.embedDim, 96);
  const x = tf.randomUniform([1, 40, 40, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const out = teacher.forward(x);
  assert.deepEqual(out.pooled.shape, [1, 96]);
  assert.deepEqual(out.tokens!.shape, [1, 9, 96]);
  tf.dispose([x, out.pooled, out.tokens!]);
  teacher.dispose();
});

test('lazy built-in: id and width known without loading; forwardTeacher loads it', async () => {
  const teacher = await createTeacher('mobilenet', { lazy: true });
  assert.ok(isDeferredTeacher(teacher));
  assert.equal(teacher.loaded, false);
  assert.equal(teacher.embedDim, 576);
  const eager = await createTeacher('mobilenet');
  assert.equal(teacher.id, eager.id);
  const x = tf.zeros([1, 28, 28, 1]) as tf.Tensor4D;
  const a = await forwardTeacher(teacher, x);
  const b = eager.forward(x);
  assert.equal(teacher.loaded, true);
  assert.deepEqual(Array.from(a.pooled.dataSync()), Array.from(b.pooled.dataSync()));
  tf.dispose([x, a.pooled, a.tokens!, b.pooled, b.tokens!]);
  teacher.dispose();
  eager.dispose();
});

test('inception trunk cut at mixed5 (smoke): 768-d pooled and 2x2 tokens at 75 px', async () => {
  const teacher = await createTeacher('inception');
  assert.equal(teacher.embedDim, 768);
  assert.equal(teacher.inputSize, 75);
  const x = tf.tensor4d(seededImages(2, 28, 1, 2).pixels, [2, 28, 28, 1]);
  const out = teacher.forward(x);
  assert.deepEqual(out.pooled.shape, [2, 768]);
  assert.deepEqual(out.tokens!.shape, [2, 4, 768]);
  assert.ok(out.pooled.dataSync().every((v) => Number.isFinite(v) && v >= 0)); // mixed5 ends in ReLUs
  tf.dispose([x, out.pooled, out.tokens!]);
  teacher.dispose();
});

test('built-ins: unknown cut layer and too small an input are one-line UserErrors', async () => {
  await assert.rejects(createTeacher('inception:mixed99', { lazy: true }), (e: Error) => e.name === 'UserError' && /cut layer 'mixed99' not found/.test(e.message) && !e.message.includes('\n'));
  await assert.rejects(createTeacher('mobilenet', { inputSize: 8 }), (e: Error) => e.name === 'UserError' && /--input-size/.test(e.message));
  assert.deepEqual(listBuiltinTeachers().map((t) => t.name), ['inception', 'mobilenet']);
});
