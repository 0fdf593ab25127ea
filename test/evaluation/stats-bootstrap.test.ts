import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageRanks, pearson, spearman, quantileSorted } from '../../src/evaluation/stats.js';
import { bootstrapCi, bootstrapMeanCi } from '../../src/evaluation/bootstrap.js';
import { Rng } from '../../src/util/random.js';

test('averageRanks shares ranks between ties', () => {
  assert.deepEqual(Array.from(averageRanks([10, 20, 20, 5])), [2, 3.5, 3.5, 1]);
});

test('spearman with ties: hand-computed 3/sqrt(10); pearson of a line is 1; constant is NaN', () => {
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 3, 2, 4]) - 3 / Math.sqrt(10)) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 6]) - 1) < 1e-12);
  assert.ok(Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
  assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
});

test('quantileSorted interpolates linearly (numpy default)', () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
});

test('bootstrap CI contains the point estimate, is deterministic per seed, and has the binomial width', () => {
  const rng = new Rng(9);
  const hits = Uint8Array.from({ length: 500 }, () => (rng.next() < 0.7 ? 1 : 0));
  const a = bootstrapMeanCi(hits, { seed: 1, resamples: 500 });
  const b = bootstrapMeanCi(hits, { seed: 1, resamples: 500 });
  const c = bootstrapMeanCi(hits, { seed: 2, resamples: 500 });
  assert.deepEqual(a, b);
  assert.notDeepEqual([a.lower, a.upper], [c.lower, c.upper]);
  assert.ok(a.lower <= a.estimate && a.estimate <= a.upper);
  assert.equal(a.estimate, hits.reduce((s, h) => s + h, 0) / hits.length);
  // Binomial standard error sqrt(.21/500) ~ 0.0205: the 95% interval is about 4 SE wide.
  assert.ok(Math.abs(a.upper - a.lower - 4 * Math.sqrt(0.21 / 500)) < 0.02, `width ${a.upper - a.lower}`);
  assert.equal(a.level, 0.95);
  assert.equal(a.resamples, 500);
});

test('bootstrap strata keep each stratum size in every resample', () => {
  const strata = Int32Array.from([0, 0, 0, 1, 1]);
  const ci = bootstrapCi((idx) => {
    let ones = 0;
    for (const i of idx) ones += strata[i]!;
    return ones; // number of stratum-1 draws: always 2
  }, 5, { seed: 3, resamples: 50, strata });
  assert.deepEqual([ci.estimate, ci.lower, ci.upper], [2, 2, 2]);
});

test('bootstrap drops non-finite resamples and reports how many were kept', () => {
  const ci = bootstrapCi((idx) => (idx[0] === 0 ? NaN : 1), 3, { seed: 0, resamples: 300 });
  assert.ok(ci.resamples > 150 && ci.resamples < 250);
  assert.deepEqual([ci.lower, ci.upper], [1, 1]);
});
