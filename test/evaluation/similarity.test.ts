import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/index.js';
import { retrievalAgreement, predictionAgreement } from '../../src/evaluation/agreement.js';
import { nearestNeighbors } from '../../src/evaluation/neighbors.js';
import { linearCka, mutualKnn, similarityStructure } from '../../src/evaluation/similarity.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { gaussian, randomRotation, transform } from './fixtures.js';

before(async () => { await initBackend(); });

test('linear CKA: 1 for identical spaces, invariant to rotation and isotropic scaling, < 1 for unrelated features', () => {
  const rng = new Rng(11);
  const x = gaussian(rng, 500, 12);
  for (const normalize of [false, true]) {
    assert.ok(Math.abs(linearCka(x, x, { normalize }) - 1) < 1e-5);
    const rotated = transform(x, randomRotation(rng, 12), 12);
    const scaled = { ...rotated, data: rotated.data.map((v) => v * 7.5) };
    assert.ok(Math.abs(linearCka(x, scaled, { normalize }) - 1) < 1e-4, `normalize=${normalize}: ${linearCka(x, scaled, { normalize })}`);
  }
  const y = gaussian(rng, 500, 8);
  const unrelated = linearCka(x, y);
  // For independent Gaussians E[CKA] is about sqrt(d1 d2) / n; far below 1.
  assert.ok(unrelated > 0 && unrelated < 0.15, `unrelated CKA ${unrelated}`);
  // A linear projection keeps much more than unrelated features, but is not the same space.
  const projected = transform(x, Float64Array.from({ length: 12 * 4 }, () => rng.normal()), 4);
  const p = linearCka(x, projected);
  assert.ok(p > unrelated + 0.2 && p < 0.99, `projection CKA ${p}`);
});

test('linear CKA: constant features give NaN (a reason is attached by the scorecard), mismatched counts throw', () => {
  const x = gaussian(new Rng(1), 20, 3);
  const constant = { data: new Float32Array(60).fill(2), count: 20, dim: 3 };
  assert.ok(Number.isNaN(linearCka(x, constant)));
  assert.throws(() => linearCka(x, gaussian(new Rng(2), 19, 3)), UserError);
});

test('mutual kNN overlap: 1 for identical (or rotated) embeddings, about chance for independent ones', () => {
  const rng = new Rng(12);
  const a = gaussian(rng, 400, 16);
  const same = mutualKnn(a, transform(a, randomRotation(rng, 16), 16), { seed: 1, k: 10 });
  assert.ok(same.overlap > 0.999, `${same.overlap}`);
  assert.equal(same.expectedChance, 10 / 399);
  assert.ok(same.chance < 0.1, `permuted chance ${same.chance}`);
  const independent = mutualKnn(a, gaussian(rng, 400, 16), { seed: 1, k: 10 });
  assert.ok(Math.abs(independent.overlap - 10 / 399) < 0.02, `independent ${independent.overlap}`);
  assert.ok(Math.abs(independent.chance - 10 / 399) < 0.02, `chance ${independent.chance}`);
  // Deterministic per seed, and the subsample cap is honoured.
  assert.deepEqual(mutualKnn(a, a, { seed: 5, maxPoints: 100 }), mutualKnn(a, a, { seed: 5, maxPoints: 100 }));
  assert.equal(mutualKnn(a, a, { seed: 5, maxPoints: 100 }).points, 100);
});

test('pairwise cosine-similarity structure: identical -> r = 1, MAD 0; unrelated -> r near 0', () => {
  const rng = new Rng(13);
  const a = gaussian(rng, 150, 10);
  const s = similarityStructure(a, transform(a, randomRotation(rng, 10), 10), { seed: 0 });
  assert.ok(s.pearson > 0.99999 && s.spearman > 0.9999, `${s.pearson} ${s.spearman}`);
  assert.ok(s.meanAbsDiff < 1e-5);
  assert.equal(s.pairs, (150 * 149) / 2);
  const u = similarityStructure(a, gaussian(rng, 150, 10), { seed: 0, maxPoints: 100 });
  assert.equal(u.points, 100);
  assert.ok(Math.abs(u.pearson) < 0.1 && Math.abs(u.spearman) < 0.1);
  // Cosines of independent 10-d Gaussians have sd ~ 1/sqrt(10): MAD ~ 2/sqrt(pi) * sqrt(2/10) ~ 0.36.
  assert.ok(Math.abs(u.meanAbsDiff - 0.36) < 0.05, `${u.meanAbsDiff}`);
});

test('agreement: top-1 prediction agreement and retrieval top-1 / top-k overlap', () => {
  assert.equal(predictionAgreement(Int32Array.from([1, 2, 3, 4]), Int32Array.from([1, 2, 0, 4])), 0.75);
  const rng = new Rng(14);
  const bank = gaussian(rng, 200, 8), queries = gaussian(rng, 50, 8);
  const t = nearestNeighbors(bank, queries, 5);
  const same = retrievalAgreement(t, nearestNeighbors(transform(bank, randomRotation(rng, 8), 8), transform(queries, randomRotation(new Rng(14), 8), 8), 5));
  // Different rotations of bank and queries break the geometry; the same rotation keeps it exactly.
  const rot = randomRotation(rng, 8);
  const kept = retrievalAgreement(t, nearestNeighbors(transform(bank, rot, 8), transform(queries, rot, 8), 5));
  assert.equal(kept.top1, 1);
  assert.equal(kept.topKOverlap, 1);
  assert.ok(same.top1 < 0.5);
  const hand = retrievalAgreement(
    { k: 2, indices: Int32Array.from([0, 1, 2, 3]), similarities: new Float32Array(4) },
    { k: 2, indices: Int32Array.from([0, 5, 3, 2]), similarities: new Float32Array(4) },
  );
  assert.equal(hand.top1, 0.5);
  assert.equal(hand.topKOverlap, 0.75); // (1/2 + 2/2) / 2
});
