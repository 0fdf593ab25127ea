import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignSigns, pca2d } from '../../src/report/pca-2d.js';
import { Rng } from '../../src/util/random.js';

/** A fixed 3-D rotation (Rz(30°) · Rx(50°)), so the principal axes are not the coordinate axes. */
function rotate([x, y, z]: number[]): number[] {
  const a = Math.PI / 6, b = (5 * Math.PI) / 18;
  const y1 = y * Math.cos(b) - z * Math.sin(b), z1 = y * Math.sin(b) + z * Math.cos(b);
  return [x * Math.cos(a) - y1 * Math.sin(a), x * Math.sin(a) + y1 * Math.cos(a), z1];
}

const close = (a: number, b: number, tol = 1e-8) => assert.ok(Math.abs(a - b) < tol, `${a} vs ${b}`);

test('pca2d recovers a known layout: a cross with arms 3 and 1, rotated and shifted in 3-D', () => {
  const plane = [[3, 0, 0], [-3, 0, 0], [0, 1, 0], [0, -1, 0]];
  const rows = plane.map((p) => rotate(p).map((v, j) => v + [10, -5, 2][j]!));
  const { points, variance, totalVariance } = pca2d(rows, { seed: 3 });
  // Variances with n - 1 = 3: (9 + 9) / 3 = 6 and (1 + 1) / 3 = 2/3; nothing off the plane.
  close(variance[0], 6);
  close(variance[1], 2 / 3);
  close(totalVariance, 6 + 2 / 3);
  const expected = [[3, 0], [-3, 0], [0, 1], [0, -1]];
  points.forEach(([x, y], i) => {
    close(Math.abs(x), Math.abs(expected[i]![0]!));
    close(Math.abs(y), Math.abs(expected[i]![1]!));
  });
  // Antipodal points stay antipodal.
  close(points[0]![0] + points[1]![0], 0);
  close(points[2]![1] + points[3]![1], 0);
});

test('pca2d is deterministic and independent of the seed (signs are fixed)', () => {
  const rng = new Rng(7);
  const rows = Array.from({ length: 50 }, () => Float32Array.from({ length: 12 }, (_, j) => rng.normal() * (j + 1)));
  const a = pca2d(rows, { seed: 1 }), b = pca2d(rows, { seed: 99 });
  a.points.forEach(([x, y], i) => { close(x, b.points[i]![0], 1e-4); close(y, b.points[i]![1], 1e-4); });
  // Variance along an axis equals the sample variance of the projected coordinate.
  const v0 = a.points.reduce((s, [x]) => s + x * x, 0) / 49;
  close(v0, a.variance[0], 1e-6);
  assert.ok(a.variance[0] >= a.variance[1]);
});

test('pca2d handles rank-1 data and empty input', () => {
  const rows = [1, 2, 3, 4].map((t) => [t, 2 * t, -t]);
  const { points, variance } = pca2d(rows);
  points.forEach(([, y]) => close(y, 0));
  close(variance[1], 0);
  close(Math.abs(points[3]![0] - points[0]![0]), 3 * Math.sqrt(6));
  assert.deepEqual(pca2d([]).points, []);
  assert.throws(() => pca2d([[1, 2], [1]]), /row 1 has 1 values, expected 2/);
});

test('alignSigns flips the axes that anti-correlate with the reference', () => {
  const ref: Array<[number, number]> = [[1, 1], [-1, 2], [2, -3]];
  assert.deepEqual(alignSigns([[-1, 1], [1, 2], [-2, -3]], ref), ref);
});
