import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  corruptImage, corruptImageSet, corruptImageSync, corruptionNames, imageSeed, psnr, syntheticScene, type Image,
} from '../../src/robustness/index.js';
import { sha256 } from '../../src/util/hash.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'corruption-golden.json');

/** Hash of the image rounded to 1/1024, so float noise in the last bits cannot flip it. */
function checksum(img: Image): string {
  const q = new Uint16Array(img.data.length);
  for (let i = 0; i < q.length; i++) q[i] = Math.round(img.data[i]! * 1024);
  return sha256(q).slice(0, 16);
}

function exactBytes(img: Image): string {
  return sha256(img.data);
}

const GOLDEN_IMAGES: Array<[string, Image]> = [
  ['rgb32', syntheticScene(32, 32, 3, 7)],
  ['gray28', syntheticScene(28, 28, 1, 7)],
  ['rgb96', syntheticScene(96, 96, 3, 7)],
];

test('every corruption at every severity matches its stored checksum (golden)', async () => {
  const actual: Record<string, string> = {};
  for (const [tag, img] of GOLDEN_IMAGES) {
    for (const name of corruptionNames) {
      for (let s = 1; s <= 5; s++) actual[`${tag}/${name}/${s}`] = checksum(await corruptImage(img, name, s, 1234));
    }
  }
  if (process.env.TINTEM_UPDATE_GOLDEN === '1' || !existsSync(GOLDEN)) {
    if (process.env.TINTEM_UPDATE_GOLDEN !== '1') assert.fail(`${GOLDEN} is missing: run with TINTEM_UPDATE_GOLDEN=1 once to create it`);
    writeFileSync(GOLDEN, `${JSON.stringify(actual, null, 1)}\n`);
  }
  const expected = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Record<string, string>;
  assert.equal(Object.keys(expected).length, GOLDEN_IMAGES.length * corruptionNames.length * 5);
  const changed = Object.keys(expected).filter((k) => expected[k] !== actual[k]);
  assert.deepEqual(changed, [], `corruptions changed output: ${changed.join(', ')}`);
});

test('same seed gives identical bytes; a different seed changes the random corruptions', async () => {
  const img = syntheticScene(32, 32, 3, 3);
  const deterministic = new Set(['defocus_blur', 'zoom_blur', 'brightness', 'contrast', 'pixelate', 'jpeg_compression']);
  for (const name of corruptionNames) {
    const a = await corruptImage(img, name, 3, 99);
    const b = await corruptImage(img, name, 3, 99);
    assert.equal(exactBytes(a), exactBytes(b), name);
    const c = await corruptImage(img, name, 3, 100);
    if (deterministic.has(name)) assert.equal(exactBytes(a), exactBytes(c), `${name} has no randomness`);
    else assert.notEqual(exactBytes(a), exactBytes(c), `${name} should depend on the seed`);
  }
});

test('outputs keep the shape, stay in [0, 1], and do not modify the input', async () => {
  // Extreme input: random pixels including exact 0 and 1, odd non-square size.
  const rng = new Rng(5);
  for (const channels of [1, 3] as const) {
    const data = Float32Array.from({ length: 19 * 23 * channels }, (_, i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? 1 : rng.next()));
    const img: Image = { data, height: 19, width: 23, channels };
    const before = exactBytes(img);
    for (const name of corruptionNames) {
      for (const s of [1, 5]) {
        const out = await corruptImage(img, name, s, 1);
        assert.equal(out.height, 19);
        assert.equal(out.width, 23);
        assert.equal(out.channels, channels);
        assert.equal(out.data.length, data.length);
        for (const v of out.data) assert.ok(v >= 0 && v <= 1 && Number.isFinite(v), `${name}@${s}: value ${v}`);
      }
    }
    assert.equal(exactBytes(img), before);
  }
});

/** Mean-squared-error PSNR over several seeds and scenes (one draw can be lucky). */
async function meanPsnr(h: number, c: 1 | 3, name: (typeof corruptionNames)[number], s: number): Promise<number> {
  let mse = 0;
  const n = 4;
  for (let seed = 0; seed < n; seed++) {
    const img = syntheticScene(h, h, c, seed);
    mse += Math.pow(10, -psnr(img, await corruptImage(img, name, s, seed)) / 10);
  }
  return 10 * Math.log10(n / mse);
}

// Severity tables ordered by classifier error rather than pixel distortion (see docs/corruptions.md):
// glass blur, elastic and snow (all sizes), pixelate on a 28-px grid.
const NOT_PSNR_ORDERED: Record<string, string[]> = {
  'rgb32': ['glass_blur', 'elastic_transform', 'snow'],
  'gray28': ['glass_blur', 'elastic_transform', 'snow', 'pixelate'],
  'rgb96': ['glass_blur', 'elastic_transform', 'snow'],
};

test('distortion grows with severity: PSNR to the clean image falls from severity 1 to 5', async () => {
  for (const [tag, h, c] of [['rgb32', 32, 3], ['gray28', 28, 1], ['rgb96', 96, 3]] as const) {
    for (const name of corruptionNames) {
      const curve: number[] = [];
      for (let s = 1; s <= 5; s++) curve.push(await meanPsnr(h, c, name, s));
      const label = `${tag} ${name}: ${curve.map((v) => v.toFixed(2)).join(' ')}`;
      // Every severity visibly changes the image.
      assert.ok(curve.every((v) => v < 48), label);
      if (NOT_PSNR_ORDERED[tag]!.includes(name)) continue;
      // Non-increasing up to 0.1 dB (motion blur 3 and 4 share a sigma in the published table; fog 3 and 4 a strength).
      for (let s = 1; s < 5; s++) assert.ok(curve[s]! <= curve[s - 1]! + 0.1, label);
      assert.ok(curve[4]! < curve[0]! - 1, label);
    }
  }
});

test('corruptImageSet: image i equals corruptImage with imageSeed(seed, i), JPEG mosaic included', async () => {
  const count = 5;
  const h = 28;
  const pixels = new Float32Array(count * h * h);
  for (let i = 0; i < count; i++) pixels.set(syntheticScene(h, h, 1, i).data, i * h * h);
  const set = { name: 'toy', count, height: h, width: h, channels: 1 as const, pixels, labels: Int32Array.from([0, 1, 2, 3, 4]) };
  for (const name of ['gaussian_noise', 'glass_blur', 'jpeg_compression'] as const) {
    const out = await corruptImageSet(set, name, 4, 42);
    assert.equal(out.name, `toy+${name}@4`);
    assert.deepEqual(out.labels, set.labels);
    for (let i = 0; i < count; i++) {
      const single = await corruptImage({ data: pixels.subarray(i * h * h, (i + 1) * h * h), height: h, width: h, channels: 1 }, name, 4, imageSeed(42, i));
      assert.equal(exactBytes({ ...single, data: out.pixels.slice(i * h * h, (i + 1) * h * h) }), exactBytes(single), `${name} image ${i}`);
    }
  }
  // Seeds differ per image, so identical inputs get different noise.
  const twin = { ...set, pixels: new Float32Array(2 * h * h).fill(0.5), count: 2, labels: undefined };
  const noisy = await corruptImageSet(twin, 'gaussian_noise', 1, 0);
  assert.notEqual(sha256(noisy.pixels.subarray(0, h * h)), sha256(noisy.pixels.subarray(h * h)));
});

test('bad names and severities are one-line user errors', async () => {
  const img = syntheticScene(8, 8, 1, 0);
  assert.throws(() => corruptImageSync(img, 'frost' as never, 1, 0), (e: unknown) => e instanceof UserError && /unknown corruption 'frost'/.test(e.message));
  for (const bad of [0, 6, 2.5]) {
    await assert.rejects(corruptImage(img, 'fog', bad, 0), (e: unknown) => e instanceof UserError && /severity must be an integer from 1 to 5/.test(e.message));
  }
  assert.throws(() => corruptImageSync(img, 'jpeg_compression', 1, 0), /use corruptImage/);
  assert.throws(() => corruptImageSync({ ...img, data: new Float32Array(3) }, 'fog', 1, 0), /expected 8 x 8 x 1 = 64 values, got 3/);
});
