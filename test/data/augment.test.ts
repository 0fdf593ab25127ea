import { test } from 'node:test';
import assert from 'node:assert/strict';
import { augmentImages, IDENTITY_VIEW, randomCropBox, viewKey, type ViewSpec } from '../../src/data/augment.js';
import type { ImageSet } from '../../src/data/types.js';
import { Rng } from '../../src/util/random.js';
import { UserError } from '../../src/util/errors.js';

function randomSet(count: number, size: number, channels: 1 | 3, seed = 1): ImageSet {
  const rng = new Rng(seed);
  const pixels = Float32Array.from({ length: count * size * size * channels }, () => rng.next());
  return { name: 'rand', count, height: size, width: size, channels, pixels };
}

const imageOf = (pixels: Float32Array, n: number, per: number) => pixels.subarray(n * per, (n + 1) * per);
const full: ViewSpec = { id: 3, seed: 11, crop: { scale: [0.2, 1], ratio: [0.75, 4 / 3] }, flip: true, colorJitter: 0.4 };

test('identity view copies the images exactly and is keyed "identity"', () => {
  const set = randomSet(5, 6, 3);
  const out = augmentImages(set, [4, 1], IDENTITY_VIEW);
  assert.deepEqual(out, Float32Array.from([...imageOf(set.pixels, 4, 108), ...imageOf(set.pixels, 1, 108)]));
  assert.equal(viewKey(IDENTITY_VIEW), 'identity');
  assert.equal(viewKey({ id: 5, seed: 9, flip: false, colorJitter: 0 }), 'identity');
});

test('the same image under the same view is identical whatever the batch; other views differ', () => {
  const set = randomSet(10, 12, 3);
  const per = 12 * 12 * 3;
  const batchA = augmentImages(set, [7, 2, 5], full);
  const batchB = augmentImages(set, Int32Array.from([5, 9]), full);
  assert.deepEqual(imageOf(batchA, 2, per), imageOf(batchB, 0, per));
  assert.deepEqual(augmentImages(set, [2], full), imageOf(batchA, 1, per));
  assert.notDeepEqual(augmentImages(set, [5], { ...full, id: 4 }), imageOf(batchB, 0, per));
  assert.notDeepEqual(augmentImages(set, [5], { ...full, seed: 12 }), imageOf(batchB, 0, per));
  for (const v of batchA) assert.ok(v >= 0 && v <= 1);
});

test('flip-only view gives either the image or its exact mirror, both across a batch', () => {
  const set = randomSet(24, 5, 1);
  const out = augmentImages(set, Array.from({ length: 24 }, (_, i) => i), { id: 1, seed: 2, flip: true });
  let flipped = 0;
  for (let n = 0; n < 24; n++) {
    const src = imageOf(set.pixels, n, 25), dst = imageOf(out, n, 25);
    const mirror = Float32Array.from({ length: 25 }, (_, i) => src[Math.floor(i / 5) * 5 + (4 - (i % 5))]!);
    if (dst.every((v, i) => v === src[i])) continue;
    assert.deepEqual(dst, mirror);
    flipped++;
  }
  assert.ok(flipped > 4 && flipped < 20, `flipped ${flipped} of 24`);
});

test('random resized crop: a quarter-area square box upsampled bilinearly (hand-computed)', () => {
  // 4x4 grey image whose value is column/3; a 2x2 box at column `left` resampled to 4 columns samples
  // source columns left + [0 (clamped from -0.25), 0.25, 0.75, 1 (clamped from 1.25)].
  const pixels = Float32Array.from({ length: 16 }, (_, i) => (i % 4) / 3);
  const set: ImageSet = { name: 'ramp', count: 1, height: 4, width: 4, channels: 1, pixels };
  const seen = new Set<number>();
  for (let seed = 0; seed < 12; seed++) {
    const out = augmentImages(set, [0], { id: 1, seed, crop: { scale: [0.25, 0.25], ratio: [1, 1] } });
    const row = [...out.subarray(0, 4)];
    const left = Math.round(row[0]! * 3);
    seen.add(left);
    const expected = [left, left + 0.25, left + 0.75, left + 1].map((c) => c / 3);
    row.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `seed ${seed}: ${row} vs ${expected}`));
    for (let y = 1; y < 4; y++) assert.deepEqual([...out.subarray(y * 4, y * 4 + 4)], row); // no vertical change
  }
  assert.ok(seen.size >= 2, 'crop position varies with the seed');
  // Scale [1, 1], ratio [1, 1] is the whole image: an exact copy.
  assert.deepEqual(augmentImages(set, [0], { id: 1, seed: 3, crop: { scale: [1, 1], ratio: [1, 1] } }), pixels);
});

test('randomCropBox stays inside the image and honours the area range', () => {
  const rng = new Rng(5);
  for (let i = 0; i < 200; i++) {
    const b = randomCropBox(32, 48, [0.08, 1], [0.75, 4 / 3], rng);
    assert.ok(b.top >= 0 && b.left >= 0 && b.top + b.h <= 32 && b.left + b.w <= 48 && b.h > 0 && b.w > 0);
  }
  // Impossible aspect ratios fall back to a centre crop clamped to the allowed ratio.
  assert.deepEqual(randomCropBox(10, 40, [0.9, 1], [1, 1], new Rng(1)), { top: 0, left: 15, h: 10, w: 10 });
});

test('colour jitter changes RGB but keeps grey pixels grey; ignored for one-channel images', () => {
  const rgb = randomSet(3, 8, 3);
  for (let p = 0; p < 64; p += 7) rgb.pixels.fill(0.5, p * 3, p * 3 + 3); // some grey pixels
  const jitter: ViewSpec = { id: 2, seed: 4, colorJitter: 0.5 };
  const out = augmentImages(rgb, [0], jitter);
  assert.notDeepEqual(out, imageOf(rgb.pixels, 0, 192));
  for (let p = 0; p < 64; p += 7) assert.ok(Math.abs(out[p * 3]! - out[p * 3 + 1]!) < 1e-6 && Math.abs(out[p * 3]! - out[p * 3 + 2]!) < 1e-6);
  const grey = randomSet(2, 8, 1);
  assert.deepEqual(augmentImages(grey, [1], jitter), imageOf(grey.pixels, 1, 64));
});

test('viewKey is canonical and separates views; bad views are UserErrors', () => {
  assert.equal(viewKey(full), 'v3-s11-crop0.2,1;0.75,1.3333333333333333-flip-cj0.4');
  assert.equal(viewKey({ colorJitter: 0.4, flip: true, seed: 11, id: 3, crop: { ratio: [0.75, 4 / 3], scale: [0.2, 1] } }), viewKey(full));
  assert.notEqual(viewKey({ ...full, id: 4 }), viewKey(full));
  assert.notEqual(viewKey({ ...full, flip: false }), viewKey(full));
  const set = randomSet(1, 4, 3);
  assert.throws(() => augmentImages(set, [0], { id: 1, seed: 1, crop: { scale: [0.5, 0.2], ratio: [1, 1] } }), UserError);
  assert.throws(() => augmentImages(set, [0], { id: 1, seed: 1, colorJitter: 1.5 }), /colorJitter must be in \[0, 1\)/);
  assert.throws(() => augmentImages(set, [3], full), RangeError);
});
