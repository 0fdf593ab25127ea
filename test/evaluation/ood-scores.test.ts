import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/backend/index.js';
import { cholesky, energyScores, fitMahalanobis, invertLower, knnOodScores, mspScores } from '../../src/evaluation/ood-scores.js';
import { auroc } from '../../src/evaluation/ood-metrics.js';
import { embeddings } from '../../src/evaluation/types.js';
import { Rng } from '../../src/util/random.js';
import { blobs, gaussian } from './fixtures.js';

before(async () => { await initBackend(); });

test('Mahalanobis (single Gaussian): a far point scores higher than a typical one; matches the hand formula', () => {
  const rng = new Rng(21);
  const train = gaussian(rng, 2000, 4);
  const model = fitMahalanobis(train, undefined, { normalize: false, shrinkage: 0 });
  assert.equal(model.variant, 'single-gaussian');
  const s = model.score(embeddings(Float32Array.from([0, 0, 0, 0, 0.5, 0, 0, 0, 6, 6, 0, 0]), 4));
  assert.ok(s[0]! < s[1]! && s[1]! < s[2]!);
  // Standard normal training data: covariance ~ I, so the score is ~ squared Euclidean distance (72).
  assert.ok(Math.abs(s[2]! - 72) < 72 * 0.1, `${s[2]}`);
});

test('Mahalanobis (class-conditional): distance to the closest class mean under the shared covariance', () => {
  const rng = new Rng(22);
  const { x, y } = blobs(rng, 600, 6, 3, 0.2, 3);
  const model = fitMahalanobis(x, y, { normalize: false });
  assert.equal(model.variant, 'class-conditional');
  const nearMean = x.data.slice(0, 6); // a training point of class 0
  const far = Float32Array.from(nearMean, (v) => v * 10);
  const s = model.score(embeddings(Float32Array.from([...nearMean, ...far]), 6));
  assert.ok(s[1]! > 10 * s[0]!, `${s[0]} ${s[1]}`);
});

test('cholesky and invertLower reproduce a hand example', () => {
  const a = Float64Array.from([4, 2, 2, 3]); // L = [[2, 0], [1, sqrt 2]]
  const l = cholesky(a, 2);
  assert.deepEqual(Array.from(l, (v) => +v.toFixed(12)), [2, 0, 1, +Math.SQRT2.toFixed(12)]);
  const inv = invertLower(l, 2);
  assert.deepEqual(Array.from(inv, (v) => +v.toFixed(12)), [0.5, 0, +(-0.5 / Math.SQRT2).toFixed(12), +(1 / Math.SQRT2).toFixed(12)]);
});

test('kNN OOD score is the distance to the k-th normalised neighbour and separates a shifted set', () => {
  const bank = embeddings(Float32Array.from([1, 0, 0, 1, -1, 0]), 2);
  const s = knnOodScores(bank, embeddings(Float32Array.from([1, 0]), 2), 2);
  assert.ok(Math.abs(s[0]! - Math.SQRT2) < 1e-6); // 2nd nearest is (0, 1)
  const rng = new Rng(23);
  const { x: id } = blobs(rng, 300, 8, 3, 0.3);
  const { x: test } = blobs(new Rng(23), 300, 8, 3, 0.3); // the same centres
  const ood = gaussian(rng, 100, 8, 3);
  const before = tf.memory().numTensors;
  const a = auroc(knnOodScores(id, test, 10), knnOodScores(id, ood, 10));
  assert.equal(tf.memory().numTensors, before);
  assert.ok(a > 0.95, `AUROC ${a}`);
});

test('energy and MSP: hand-computed values, higher = more OOD', () => {
  const logits = Float32Array.from([0, 0, 5, 0]); // row 1: uniform over 2; row 2: confident
  const e = energyScores(logits, 2), m = mspScores(logits, 2);
  assert.ok(Math.abs(e[0]! + Math.log(2)) < 1e-9);
  assert.ok(Math.abs(e[1]! + (5 + Math.log(1 + Math.exp(-5)))) < 1e-6);
  assert.ok(Math.abs(m[0]! + 0.5) < 1e-9);
  assert.ok(Math.abs(m[1]! + 1 / (1 + Math.exp(-5))) < 1e-6);
  assert.ok(e[0]! > e[1]! && m[0]! > m[1]!);
});
