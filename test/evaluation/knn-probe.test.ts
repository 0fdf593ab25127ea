import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/backend/index.js';
import { accuracy, knnClassify } from '../../src/evaluation/knn.js';
import { nearestNeighbors } from '../../src/evaluation/neighbors.js';
import { trainLinearProbe } from '../../src/evaluation/probe.js';
import { embeddings } from '../../src/evaluation/types.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { blobs } from './fixtures.js';

before(async () => { await initBackend(); });

test('embeddings() checks that the buffer is a whole number of rows', () => {
  assert.deepEqual(embeddings(new Float32Array(6), 3).count, 2);
  assert.throws(() => embeddings(new Float32Array(7), 3, 'x.bin'), (e: Error) => e instanceof UserError && /x\.bin: 7 values/.test(e.message));
});

test('nearestNeighbors: exact cosine order, self excluded, chunking does not change the answer', () => {
  const bank = embeddings(Float32Array.from([1, 0, 0.8, 0.6, 0.6, 0.8, -1, 0, 0, 2]), 2);
  const nn = nearestNeighbors(bank, embeddings(Float32Array.from([2, 0]), 2), 3);
  assert.deepEqual(Array.from(nn.indices), [0, 1, 2]);
  assert.deepEqual(Array.from(nn.similarities, (s) => Math.round(s * 1e5) / 1e5), [1, 0.8, 0.6]);
  const self = nearestNeighbors(bank, bank, 1, { excludeSelf: true });
  assert.deepEqual(Array.from(self.indices), [1, 2, 1, 4, 2]);
  const rng = new Rng(1);
  const { x } = blobs(rng, 300, 8, 3);
  const whole = nearestNeighbors(x, x, 5, { excludeSelf: true });
  const chunked = nearestNeighbors(x, x, 5, { excludeSelf: true, maxChunkElements: 7 * 300 });
  assert.deepEqual(chunked.indices, whole.indices);
  assert.equal(nearestNeighbors(bank, bank, 99, { excludeSelf: true }).k, 4);
});

test('knnClassify: weights exp(sim/T) as hand-computed, so the temperature decides', () => {
  const bank = embeddings(Float32Array.from([1, 0, 0.8, 0.6, 0.6, 0.8, -1, 0]), 2);
  const labels = Int32Array.from([0, 1, 1, 0]);
  const q = embeddings(Float32Array.from([1, 0]), 2);
  // k=3: class 0 gets exp(1/T), class 1 gets exp(0.8/T) + exp(0.6/T).
  // T=1: 2.718 < 2.226 + 1.822 -> class 1. T=0.07: exp(14.3) dominates -> class 0.
  assert.equal(knnClassify(bank, labels, q, { k: 3, temperature: 1 }).predictions[0], 1);
  assert.equal(knnClassify(bank, labels, q, { k: 3, temperature: 0.07 }).predictions[0], 0);
});

test('knnClassify: accuracy 1 on a separable toy set; leave-one-out on the bank itself', () => {
  const rng = new Rng(2);
  const train = blobs(rng, 400, 16, 4, 0.3);
  const r = knnClassify(train.x, train.y, train.x, { excludeSelf: true });
  assert.equal(r.k, 20);
  assert.equal(r.neighbors.length, 400 * 20);
  assert.equal(accuracy(r.predictions, train.y), 1);
  for (let i = 0; i < 400; i++) assert.notEqual(r.neighbors[i * 20], i);
});

test('accuracy counts exact matches and rejects mismatched lengths', () => {
  assert.equal(accuracy(Int32Array.from([1, 2, 3, 4]), Int32Array.from([1, 2, 0, 4])), 0.75);
  assert.throws(() => accuracy(Int32Array.from([1]), Int32Array.from([1, 2])), UserError);
});

test('linear probe: ~1 accuracy on a separable toy set, deterministic per seed, no tensor leak', () => {
  const rng = new Rng(4);
  // Overlapping-ish blobs in 32-d with a constant column, to exercise standardisation.
  const all = blobs(rng, 600, 32, 3, 1.0, 1);
  for (let i = 0; i < 600; i++) all.x.data[i * 32] = 5;
  const train = { data: all.x.data.slice(0, 400 * 32), count: 400, dim: 32 }, test = { data: all.x.data.slice(400 * 32), count: 200, dim: 32 };
  const yTrain = all.y.slice(0, 400), yTest = all.y.slice(400);
  const before = tf.memory().numTensors;
  const probe = trainLinearProbe(train, yTrain, { seed: 7, lrs: [1e-2, 1e-1], weightDecays: [0, 1e-3] });
  assert.equal(tf.memory().numTensors, before);
  const out = probe.predict(test);
  assert.ok(accuracy(out.predictions, yTest) >= 0.98, `accuracy ${accuracy(out.predictions, yTest)}`);
  assert.equal(out.logits.length, 200 * 3);
  assert.equal(probe.grid.length, 4);
  for (const g of probe.grid) assert.ok(g.valAccuracy !== undefined && g.valAccuracy >= 0 && g.valAccuracy <= 1);
  assert.ok([1e-2, 1e-1].includes(probe.chosen.lr));
  const again = trainLinearProbe(train, yTrain, { seed: 7, lrs: [1e-2, 1e-1], weightDecays: [0, 1e-3] });
  assert.deepEqual(again.predict(test).logits, out.logits);
  assert.throws(() => probe.predict({ data: new Float32Array(4), count: 1, dim: 4 }), UserError);
  assert.throws(() => trainLinearProbe(train, yTrain.slice(1), { seed: 1 }), /linear probe labels: expected 400/);
});
