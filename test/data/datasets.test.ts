import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { initBackend, tf } from '../../src/backend/index.js';
import {
  imageChecksum, loadDataset, loadNaturalPhotos, makeNoiseImages, resizeImages, subsetImages, toTensor, type ImageSet,
} from '../../src/data/index.js';
import { UserError } from '../../src/util/errors.js';

before(async () => { await initBackend(); });

const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
const tiny = (pixels: number[], h: number, w: number, c: 1 | 3): ImageSet =>
  ({ name: 'tiny', count: pixels.length / (h * w * c), height: h, width: w, channels: c, pixels: Float32Array.from(pixels) });

test('loadDataset: unknown specs list the accepted forms; a bad argument says what the source takes', async () => {
  const expected: Record<string, string> = {
    cifar10: "dataset 'cifar10': unknown spec (expected one of mnist:train|test, fashion:train|test, folder:<path> (or a directory path), photos[:train|test], noise[:<count>], blobs[:<count>])",
    'mnist:valid': "dataset 'mnist:valid': mnist needs a split: 'mnist:train' or 'mnist:test'",
    'noise:abc': "dataset 'noise:abc': noise:<count> needs a whole number of images",
    'folder:': "dataset 'folder:': folder:<path> needs a path",
  };
  for (const [spec, message] of Object.entries(expected)) {
    await assert.rejects(loadDataset(spec), (e: Error) => e instanceof UserError && e.message === message);
  }
});

test('loadDataset: mnist with limit, resized to 14 px RGB', async () => {
  const raw = await loadDataset('mnist:test', { limit: 4 });
  assert.deepEqual([raw.count, raw.height, raw.channels], [4, 28, 1]);
  assert.deepEqual([...raw.labels!], [7, 2, 1, 0]);
  const rgb = await loadDataset('mnist:test', { limit: 4, size: 14, channels: 3 });
  assert.deepEqual([rgb.count, rgb.height, rgb.width, rgb.channels], [4, 14, 14, 3]);
  assert.deepEqual([...rgb.labels!], [7, 2, 1, 0]);
  // Halving with half-pixel centres averages each 2x2 block; grey is repeated into R, G and B.
  const block = (raw.pixels[5 * 28 + 6]! + raw.pixels[5 * 28 + 7]! + raw.pixels[6 * 28 + 6]! + raw.pixels[6 * 28 + 7]!) / 4;
  const at = (2 * 14 + 3) * 3;
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(rgb.pixels[at + c]! - block) < 1e-6);
  const fashion = await loadDataset('fashion:test', { limit: 2 });
  assert.deepEqual([...fashion.labels!], [9, 2]);
});

test('loadDataset: noise and photos honour count, size, channels and seed', async () => {
  const a = await loadDataset('noise:7', { size: 5, channels: 3, seed: 3 });
  assert.deepEqual([a.count, a.height, a.channels], [7, 5, 3]);
  assert.deepEqual((await loadDataset('noise:7', { size: 5, channels: 3, seed: 3 })).pixels, a.pixels);
  assert.equal((await loadDataset('noise', { limit: 12 })).count, 12);
  const photos = await loadDataset('photos', { size: 16, limit: 10, seed: 1 });
  assert.deepEqual([photos.count, photos.height, photos.channels], [10, 16, 1]);
  assert.ok(new Set(photos.labels).size > 2, 'a limit samples across the photos, not the first one only');
});

test('loadDataset: a plain directory path loads as an image folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-ds-'));
  await sharp({ create: { width: 9, height: 9, channels: 3, background: { r: 0, g: 255, b: 0 } } }).png().toFile(join(dir, 'g.png'));
  const set = await loadDataset(dir, { size: 4, channels: 3 });
  assert.deepEqual([set.count, set.height, set.channels], [1, 4, 3]);
  assert.deepEqual([...set.pixels.subarray(0, 3)], [0, 1, 0]);
  assert.equal((await loadDataset(`folder:${dir}`, { size: 4, channels: 1 })).channels, 1);
});

test('makeNoiseImages: kinds, ranges, per-image determinism', () => {
  for (const kind of ['uniform', 'gaussian', 'blobs'] as const) {
    const set = makeNoiseImages({ count: 20, size: 16, channels: 3, seed: 9, kind });
    for (const v of set.pixels) assert.ok(v >= 0 && v <= 1, kind);
    if (kind !== 'blobs') assert.ok(Math.abs(mean(set.pixels) - 0.5) < 0.02, `${kind} mean ${mean(set.pixels)}`);
    // Image n does not depend on how many images were asked for.
    const fewer = makeNoiseImages({ count: 3, size: 16, channels: 3, seed: 9, kind });
    assert.deepEqual(fewer.pixels, set.pixels.subarray(0, fewer.pixels.length));
    assert.notDeepEqual(makeNoiseImages({ count: 3, size: 16, channels: 3, seed: 10, kind }).pixels, fewer.pixels);
  }
  const gaussian = makeNoiseImages({ count: 50, size: 16, channels: 1, seed: 1, kind: 'gaussian' });
  const sd = Math.sqrt(gaussian.pixels.reduce((s, v) => s + (v - 0.5) ** 2, 0) / gaussian.pixels.length);
  assert.ok(sd > 0.22 && sd < 0.26, `sd ${sd}`); // 0.25 before clipping at 2 sigma
  assert.throws(() => makeNoiseImages({ count: 1, size: 4, channels: 1, seed: 1, kind: 'pink' as 'uniform' }), /unknown kind 'pink'/);
});

test('loadNaturalPhotos: seeded crops from the stdlib photos, grey or RGB', async () => {
  const a = await loadNaturalPhotos({ size: 12, channels: 3, cropsPerPhoto: 2, seed: 5 });
  assert.equal(a.count, 16); // 8 photos x 2 crops
  assert.deepEqual([a.height, a.width, a.channels], [12, 12, 3]);
  assert.deepEqual([...a.labels!], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
  assert.equal(a.classNames![3], 'black-canyon');
  const b = await loadNaturalPhotos({ size: 12, channels: 3, cropsPerPhoto: 2, seed: 5 });
  assert.deepEqual(b.pixels, a.pixels);
  assert.deepEqual(b.sources, a.sources);
  const c = await loadNaturalPhotos({ size: 12, channels: 3, cropsPerPhoto: 2, seed: 6 });
  assert.notDeepEqual(c.sources, a.sources);
  const grey = await loadNaturalPhotos({ size: 12, channels: 1, cropsPerPhoto: 2, seed: 5 });
  assert.equal(grey.pixels.length, 16 * 144);
  // Real photos: neither constant nor noise-like; every crop has some contrast.
  for (let n = 0; n < 16; n++) {
    const img = grey.pixels.subarray(n * 144, (n + 1) * 144);
    assert.ok(Math.max(...img) - Math.min(...img) > 0.02, `crop ${n} is flat`);
  }
  await assert.rejects(loadNaturalPhotos({ size: 12, channels: 1, seed: 1, cropFraction: [0.5, 2] }), UserError);
});

test('subsetImages and toTensor copy the chosen images, labels and sources', () => {
  const set = { ...tiny([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 1, 2, 1), labels: Int32Array.from([4, 5, 6]), sources: ['a', 'b', 'c'] };
  const sub = subsetImages(set, [2, 0]);
  assert.deepEqual([...sub.pixels], [0.5, 0.6, 0.1, 0.2].map(Math.fround));
  assert.deepEqual([...sub.labels!], [6, 4]);
  assert.deepEqual(sub.sources, ['c', 'a']);
  const before = tf.memory().numTensors;
  const t = toTensor(set, [1]);
  assert.deepEqual(t.shape, [1, 1, 2, 1]);
  assert.deepEqual([...t.dataSync()], [0.3, 0.4].map(Math.fround));
  t.dispose();
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => subsetImages(set, [3]), RangeError);
});

test('resizeImages: hand-computed bilinear halving and channel conversion, no leaked tensors', async () => {
  const before = tf.memory().numTensors;
  // One 2x2 RGB image: red, green, blue, white. Down to 1x1 averages the four pixels.
  const rgb = tiny([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], 2, 2, 3);
  const one = await resizeImages(rgb, 1);
  one.pixels.forEach((v) => assert.ok(Math.abs(v - 0.5) < 1e-6));
  const grey = await resizeImages(rgb, 2, 1);
  assert.deepEqual([...grey.pixels].map((v) => +v.toFixed(4)), [0.299, 0.587, 0.114, 1]);
  const back = await resizeImages(tiny([0.25, 0.75], 1, 2, 1), 1, 3, 1);
  assert.deepEqual([...back.pixels], [0.5, 0.5, 0.5]);
  const many = await resizeImages(makeNoiseImages({ count: 5, size: 4, channels: 1, seed: 1 }), 4, 1, 2); // 3 batches
  assert.deepEqual(many.pixels, makeNoiseImages({ count: 5, size: 4, channels: 1, seed: 1 }).pixels);
  assert.equal(tf.memory().numTensors, before);
});

test('imageChecksum: SHA-256 of the shape and float32 bytes, fast enough for 60k images', () => {
  const set = tiny([0.5, 0.5, 0.25], 1, 1, 1);
  // 0.5f is 0x3f000000, little-endian bytes 00 00 00 3f.
  const expected = createHash('sha256').update(Buffer.concat([Buffer.from('1x1x1:'), Buffer.from([0, 0, 0, 0x3f])])).digest('hex');
  assert.equal(imageChecksum(set, 0), expected);
  assert.equal(imageChecksum(set, 1), expected);
  assert.notEqual(imageChecksum(set, 2), expected);
  const noise = makeNoiseImages({ count: 6000, size: 28, channels: 1, seed: 1 });
  const t0 = performance.now();
  const sums = new Set<string>();
  for (let i = 0; i < noise.count; i++) sums.add(imageChecksum(noise, i));
  assert.equal(sums.size, 6000);
  assert.ok(performance.now() - t0 < 2000); // ~10x this budget for 60k; the machine may be shared
});
