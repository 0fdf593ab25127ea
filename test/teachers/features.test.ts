import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { adaptiveAvgPoolTokens, mapToOutputs, prepareImages, MINUS_ONE_TO_ONE } from '../../src/teachers/features.js';

await initBackend();

test('adaptiveAvgPoolTokens: 3x3 map to a 2x2 grid uses overlapping PyTorch bins', () => {
  // One channel with values 1..9 row-major; bins are rows/cols [0,2) and [1,3).
  const map = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
  const tokens = adaptiveAvgPoolTokens(map, 2);
  assert.deepEqual(tokens.shape, [1, 4, 1]);
  assert.deepEqual(Array.from(tokens.dataSync()), [(1 + 2 + 4 + 5) / 4, (2 + 3 + 5 + 6) / 4, (4 + 5 + 7 + 8) / 4, (5 + 6 + 8 + 9) / 4]);
  tf.dispose([map, tokens]);
});

test('mapToOutputs: pooled is the global mean, 4x4 map to 2x2 tokens are quadrant means', () => {
  const values = Array.from({ length: 16 }, (_, i) => i);
  const map = tf.tensor4d(values, [1, 4, 4, 1]);
  const { pooled, tokens } = mapToOutputs(map, 2);
  assert.equal(pooled.dataSync()[0], 7.5);
  assert.deepEqual(Array.from(tokens.dataSync()), [(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4, (8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]);
  tf.dispose([map, pooled, tokens]);
});

test('prepareImages: gray to RGB, resize, and [-1, 1] scaling', () => {
  const gray = tf.fill([2, 4, 4, 1], 0.75) as tf.Tensor4D;
  const x = prepareImages(gray, 8, MINUS_ONE_TO_ONE);
  assert.deepEqual(x.shape, [2, 8, 8, 3]);
  for (const v of x.dataSync()) assert.ok(Math.abs(v - 0.5) < 1e-6);
  tf.dispose([gray, x]);
});
