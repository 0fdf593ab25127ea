import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../src/backend/index.js';
import { exportStudent } from '../../src/export/exporter.js';
import { buildGallery, calibrationNoisePoints, calibrationSplit, readGallery, writeGallery } from '../../src/export/gallery.js';
import { knnScore, nearestNeighbours, normalizeRows, quantile } from '../../src/export/knn.js';
import { loadStudent } from '../../src/export/load.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { randomImages, tinyMeta, tinyStudentModel } from './fixtures.js';

await initBackend();

async function exported(): Promise<string> {
  const model = tinyStudentModel({ size: 8, channels: 1, dim: 6, seed: 2 });
  const dir = mkdtempSync(join(tmpdir(), 'tintem-gallery-'));
  await exportStudent(model, dir, tinyMeta(model, { ood: { score: 'knn-distance', k: 3 } }));
  model.dispose();
  return dir;
}

test('buildGallery: seeded sample, exact embeddings, held-out calibrated threshold, thumbnails of the images', async () => {
  const dir = await exported();
  const student = await loadStudent(dir);
  const set = randomImages(50, 8, 1, 3, 'rand8');
  const a = await buildGallery(student, set, 20, 9);
  const b = await buildGallery(student, set, 20, 9);
  const c = await buildGallery(student, set, 20, 10);
  assert.deepEqual(a.items.map((i) => i.source), b.items.map((i) => i.source), 'same seed, same sample');
  assert.notDeepEqual(a.items.map((i) => i.source), c.items.map((i) => i.source));
  assert.equal(a.count, 20);
  assert.equal(a.calibration.k, 3, 'k comes from the metadata');
  assert.equal(a.calibration.method, 'held-out');
  assert.equal(a.calibration.images, 30, 'every image after the gallery, up to MIN_CALIBRATION_IMAGES');
  assert.equal(a.weightsSha256, student.meta.files['weights.bin']!.sha256);

  // Recompute everything from the set: the gallery's embeddings are the student's, the threshold the 95% quantile
  // of the k-th-neighbour distances of the 30 images after the gallery in the same permutation.
  const all = await student.embed(set);
  const indexOf = (source: string) => Number(source.split('#')[1]);
  const chosen = a.items.map((i) => indexOf(i.source));
  chosen.forEach((idx, r) => assert.deepEqual(Array.from(a.embeddings.subarray(r * 6, r * 6 + 6)), Array.from(all.subarray(idx * 6, idx * 6 + 6))));
  assert.equal(a.items[0]!.label, set.labels![chosen[0]!]);
  assert.equal(a.items[0]!.className, ['a', 'b', 'c'][set.labels![chosen[0]!]!]);
  const unit = normalizeRows(a.embeddings, 6);
  const order = new Rng(9).fork('gallery').permutation(50);
  assert.deepEqual(chosen, Array.from(order.subarray(0, 20)));
  const heldScores = Array.from(order.subarray(20, 50), (i) => knnScore(nearestNeighbours(all.subarray(i * 6, i * 6 + 6), unit, 6, 3), 3));
  assert.ok(Math.abs(a.calibration.threshold - quantile(heldScores, 0.95)) < 1e-6, `${a.calibration.threshold} vs ${quantile(heldScores, 0.95)}`);

  // thumbnails decode back to the image's 8-bit pixels (8 px < 64, so no resize)
  const png = Buffer.from(a.items[0]!.thumb.split(',')[1]!, 'base64');
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height], [8, 8]);
  const px = set.pixels.subarray(chosen[0]! * 64, chosen[0]! * 64 + 64);
  assert.deepEqual(Array.from(data.filter((_, i) => i % info.channels === 0)), Array.from(px, (v) => Math.round(v * 255)));
  student.dispose();
});

test('buildGallery falls back to leave-one-out when the set has no spare images; gallery.json round-trips', async () => {
  const dir = await exported();
  const student = await loadStudent(dir);
  const set = randomImages(12, 8, 1, 4);
  const g = await buildGallery(student, set, 30, 1, { k: 2, tpr: 0.9 });
  assert.equal(g.count, 12);
  assert.equal(g.calibration.method, 'leave-one-out');
  const unit = normalizeRows(g.embeddings, 6);
  const loo = Array.from({ length: 12 }, (_, i) => knnScore(nearestNeighbours(g.embeddings.subarray(i * 6, i * 6 + 6), unit, 6, 2, i), 2));
  assert.equal(g.calibration.threshold, quantile(loo, 0.9));
  await writeGallery(dir, g);
  const back = await readGallery(dir);
  assert.deepEqual(Array.from(back.embeddings), Array.from(g.embeddings));
  assert.deepEqual(back.calibration, g.calibration);
  writeFileSync(join(dir, 'gallery.json'), '[]');
  await assert.rejects(() => readGallery(dir), (e: unknown) => e instanceof UserError && e.message.includes('gallery.json: SHA-256 mismatch with tintem.json'));
  await assert.rejects(() => buildGallery(student, set, 1, 0), /gallery: size must be an integer >= 2/);
  student.dispose();
});

test('calibrationSplit: the gallery gives up images so the threshold is calibrated on enough of them (hand values)', () => {
  // 304 photos, gallery 300 asked (issue 27: 4 calibration images): a quarter (76) stays out.
  assert.deepEqual(calibrationSplit(304, 300), { gallery: 228, heldOut: 76 });
  assert.deepEqual(calibrationSplit(1000, 300), { gallery: 300, heldOut: 300 });
  assert.deepEqual(calibrationSplit(1000, 20), { gallery: 20, heldOut: 100 });
  assert.deepEqual(calibrationSplit(50, 20), { gallery: 20, heldOut: 30 });
  assert.deepEqual(calibrationSplit(12, 30), { gallery: 12, heldOut: 0 }); // too small to spare 20: leave-one-out
  // 1.96 * sqrt(0.95 * 0.05 / m) in points
  assert.ok(Math.abs(calibrationNoisePoints(100, 0.95) - 4.272) < 1e-3);
  assert.ok(Math.abs(calibrationNoisePoints(4, 0.95) - 21.36) < 1e-2);
});
