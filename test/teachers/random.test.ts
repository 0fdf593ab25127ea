import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { createRandomTeacher } from '../../src/teachers/random.js';
import { createTeacher } from '../../src/teachers/index.js';
import { seededImages } from './helpers.js';

await initBackend();

test('random teacher: same seed gives identical outputs, another seed differs; shapes and memory', () => {
  const set = seededImages(3, 20, 1, 7);
  const x = tf.tensor4d(set.pixels, [3, 20, 20, 1]);
  const a = createRandomTeacher({ seed: 5, embedDim: 12, grid: 2, inputSize: 16 });
  const b = createRandomTeacher({ seed: 5, embedDim: 12, grid: 2, inputSize: 16 });
  const c = createRandomTeacher({ seed: 6, embedDim: 12, grid: 2, inputSize: 16 });
  assert.equal(a.embedDim, 12);
  assert.equal(a.tokenGrid, 2);
  assert.equal(a.id, b.id);
  assert.notEqual(a.id, c.id);
  const before = tf.memory().numTensors;
  const oa = a.forward(x), ob = b.forward(x), oc = c.forward(x);
  assert.deepEqual(oa.pooled.shape, [3, 12]);
  assert.deepEqual(oa.tokens!.shape, [3, 4, 12]);
  assert.deepEqual(Array.from(oa.pooled.dataSync()), Array.from(ob.pooled.dataSync()));
  assert.deepEqual(Array.from(oa.tokens!.dataSync()), Array.from(ob.tokens!.dataSync()));
  assert.notDeepEqual(Array.from(oa.pooled.dataSync()), Array.from(oc.pooled.dataSync()));
  // Pooled is the mean of the 4x4 map (16 px input, two stride-2 convs); tokens average 2x2 blocks of it, so
  // with an even split the mean of the tokens equals pooled.
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.mean(oa.tokens!, 1), oa.pooled))).dataSync()[0]!);
  assert.ok(gap < 1e-5, `token mean differs from pooled by ${gap}`);
  tf.dispose([oa.pooled, oa.tokens!, ob.pooled, ob.tokens!, oc.pooled, oc.tokens!]);
  assert.equal(tf.memory().numTensors, before, 'forward leaks no tensors');
  a.dispose(); b.dispose(); c.dispose(); x.dispose();
});

test("createTeacher('random:<seed>') and bad specs", async () => {
  const t = await createTeacher('random:3', { embedDim: 8 });
  assert.equal(t.embedDim, 8);
  assert.match(t.id, /^random:seed3:dim8/);
  t.dispose();
  await assert.rejects(createTeacher('nope'), (e: Error) => e.name === 'UserError' && /unknown teacher/.test(e.message) && !e.message.includes('\n'));
  await assert.rejects(createTeacher('random:x'), (e: Error) => e.name === 'UserError');
});
