import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knnScore, nearestNeighbours, normalizeRows, quantile } from '../../src/export/knn.js';
import { decodeFloat32, encodeFloat32, parseGallery, serializeGallery, type Gallery } from '../../src/export/gallery-format.js';
import { indexGallery, matchGallery } from '../../src/export/match.js';
import { bytesToUnit } from '../../src/export/preprocess.js';
import { UserError } from '../../src/util/errors.js';

// Gallery of 4 two-dimensional embeddings at angles 0, 90, 180 and 45 degrees (lengths differ on purpose).
const G = new Float32Array([2, 0, 0, 3, -1, 0, 1, 1]);

test('normalizeRows scales rows to unit length and leaves zero rows zero', () => {
  const u = normalizeRows([3, 4, 0, 0], 2);
  [0.6, 0.8, 0, 0].forEach((want, i) => assert.ok(Math.abs(u[i]! - want) < 1e-15, `u[${i}] = ${u[i]}`));
  assert.throws(() => normalizeRows([1, 2, 3], 2), /not a multiple/);
});

test('nearestNeighbours ranks by cosine similarity with hand-computed values', () => {
  const unit = normalizeRows(G, 2);
  const nn = nearestNeighbours([1, 0.2], unit, 2, 4);
  assert.deepEqual(nn.map((n) => n.index), [0, 3, 1, 2]);
  const q = Math.hypot(1, 0.2);
  assert.ok(Math.abs(nn[0]!.similarity - 1 / q) < 1e-12);
  assert.ok(Math.abs(nn[1]!.similarity - 1.2 / q / Math.SQRT2) < 1e-12);
  assert.ok(Math.abs(nn[3]!.similarity + 1 / q) < 1e-12);
  // leave-one-out skips the excluded row; ties go to the lower index
  assert.deepEqual(nearestNeighbours([1, 0], unit, 2, 2, 0).map((n) => n.index), [3, 1]);
  assert.deepEqual(nearestNeighbours([0, 0], unit, 2, 4).map((n) => n.index), [0, 1, 2, 3]);
});

test('knnScore is the unit-sphere distance sqrt(2 - 2 cos) to the k-th neighbour; matchGallery applies the threshold', () => {
  const unit = normalizeRows(G, 2);
  const nn = nearestNeighbours([1, 0], unit, 2, 4);
  assert.equal(knnScore(nn, 1), 0);
  // (1, 0) to (1, 1)/sqrt2 and to (0, 1): Euclidean distances between the unit vectors, by hand.
  assert.ok(Math.abs(knnScore(nn, 2) - Math.hypot(1 - Math.SQRT1_2, Math.SQRT1_2)) < 1e-12);
  assert.ok(Math.abs(knnScore(nn, 3) - Math.SQRT2) < 1e-12);
  const gallery = fakeGallery(2, 0.7); // 0.7 ~ sqrt(2 - 2 x 0.75): a cosine of 0.75 to the 2nd neighbour
  const near = matchGallery([1, 0.1], indexGallery(gallery), 3);
  assert.deepEqual(near.neighbours.map((n) => n.index), [0, 3, 1]);
  assert.equal(near.outOfDistribution, false);
  const far = matchGallery([-1, -1], indexGallery(gallery), 3);
  assert.ok(far.score > 0.7);
  assert.equal(far.outOfDistribution, true);
});

test('matchGallery: one of the gallery\'s own images is in-distribution even when its k-th neighbour is beyond the threshold', () => {
  const index = indexGallery(fakeGallery(3, 0.5));
  // (2, 0) is gallery image 0; its 3rd neighbour is (0, 3) at sqrt(2) (by hand) > 0.5, but it is the image itself.
  const own = matchGallery([2, 0], index, 3);
  assert.equal(own.neighbours[0]!.index, 0);
  assert.ok(Math.abs(own.score - Math.SQRT2) < 1e-12);
  assert.equal(own.outOfDistribution, false);
  // (1, 0.02): cosine 1/sqrt(1.0004) to image 0, a distance 1 - cos = 2.0e-4 > 1e-4: not a copy, so the threshold decides.
  assert.equal(matchGallery([1, 0.02], index, 3).outOfDistribution, true);
});

test('quantile matches numpy linear interpolation', () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Math.abs(quantile([10, 0, 5, 20, 15], 0.95) - 19) < 1e-12); // np.quantile([0,5,10,15,20], .95) = 19
  assert.equal(quantile([7], 0.95), 7);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

function fakeGallery(k: number, threshold: number): Gallery {
  return {
    format: 'tintem-gallery', formatVersion: 1, set: 'hand', seed: 0, count: 4, embedDim: 2, weightsSha256: 'x', embeddings: G,
    calibration: { k, tpr: 0.95, threshold, method: 'held-out', images: 4 },
    items: Array.from({ length: 4 }, (_, i) => ({ source: `hand#${i}`, thumb: 'data:image/png;base64,AA==' })),
  };
}

test('float32 base64 round-trips exactly and parseGallery checks shapes', () => {
  const values = new Float32Array([0, -0, 1.5, -3.25e-8, 3.4e38, Math.PI]);
  assert.deepEqual(Array.from(decodeFloat32(encodeFloat32(values))), Array.from(values));
  const text = JSON.stringify(serializeGallery(fakeGallery(2, 0.1)));
  const back = parseGallery(text, 'g.json');
  assert.deepEqual(Array.from(back.embeddings), Array.from(G));
  const broken = JSON.parse(text);
  broken.count = 5;
  assert.throws(() => parseGallery(JSON.stringify(broken), 'g.json'), (e: unknown) => e instanceof UserError && /^g\.json: expected 5 items of dim 2/.test(e.message));
  assert.throws(() => parseGallery('{"format":"x"}', 'g.json'), /g\.json: not a tintem gallery \(format:/);
});

test('bytesToUnit scales to [0, 1], drops alpha and collapses grey RGB to one channel', () => {
  const rgba = [255, 0, 51, 128, 10, 20, 30, 255];
  const colour = bytesToUnit(rgba, 2, 1, 4);
  assert.equal(colour.channels, 3);
  assert.deepEqual(Array.from(colour.pixels), [1, 0, 0.2, 10 / 255, 20 / 255, 30 / 255].map(Math.fround));
  const grey = bytesToUnit([9, 9, 9, 255, 200, 200, 200, 0], 2, 1, 4);
  assert.equal(grey.channels, 1);
  assert.deepEqual(Array.from(grey.pixels), [9 / 255, 200 / 255].map(Math.fround));
  assert.deepEqual(Array.from(bytesToUnit([0, 255], 2, 1, 1).pixels), [0, 1]);
  assert.throws(() => bytesToUnit([1, 2, 3], 2, 1, 4), /expected 8 bytes/);
});
