import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brightness, contrast, diskKernel, motionBlurKernel } from '../../src/robustness/corruptions.js';
import { borderIndex, filter2d, gaussianKernel1d, resizeBox } from '../../src/robustness/filters.js';
import { corruptionParams, lengthScale } from '../../src/robustness/params.js';
import { plasmaFractal } from '../../src/robustness/plasma.js';
import { psnr, type Image } from '../../src/robustness/image.js';
import { Rng } from '../../src/util/random.js';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('border modes follow scipy (nearest, reflect) and OpenCV (reflect101)', () => {
  // n = 4: indices -2 -1 | 0 1 2 3 | 4 5
  assert.deepEqual([-2, -1, 4, 5].map((i) => borderIndex(i, 4, 'nearest')), [0, 0, 3, 3]);
  assert.deepEqual([-2, -1, 4, 5].map((i) => borderIndex(i, 4, 'reflect')), [1, 0, 3, 2]);
  assert.deepEqual([-2, -1, 4, 5].map((i) => borderIndex(i, 4, 'reflect101')), [2, 1, 2, 1]);
  // Far outside: reflect is periodic with period 2n.
  assert.equal(borderIndex(-9, 4, 'reflect'), borderIndex(-1, 4, 'reflect'));
});

test('gaussian kernel: scipy radius rule and values', () => {
  const k = gaussianKernel1d(1, 4);
  assert.equal(k.length, 9); // radius int(4 * 1 + 0.5) = 4
  const raw = [0, 1, 2, 3, 4].map((x) => Math.exp(-0.5 * x * x));
  const sum = raw[0]! + 2 * (raw[1]! + raw[2]! + raw[3]! + raw[4]!);
  close(k[4]!, 1 / sum);
  close(k[5]!, raw[1]! / sum);
  assert.deepEqual(Array.from(gaussianKernel1d(0.1, 4)), [1]); // radius int(0.9) = 0: identity
});

test('box resize: exact 2x area average down, block replication up', () => {
  const img: Image = { data: Float32Array.from([0, 0.2, 0.4, 0.6, 1, 1, 1, 1, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]), height: 4, width: 4, channels: 1 };
  const small = resizeBox(img, 2, 2);
  const want = [(0 + 0.2 + 1 + 1) / 4, (0.4 + 0.6 + 1 + 1) / 4, 0.25, 0.25];
  small.data.forEach((v, i) => close(v, want[i]!));
  const big = resizeBox(small, 4, 4);
  close(big.data[0]!, want[0]!);
  close(big.data[5]!, want[0]!);
  close(big.data[2]!, want[1]!);
});

test('contrast and brightness on hand-computed pixels', () => {
  const img: Image = { data: Float32Array.from([0.2, 0.4, 0.6, 1.0]), height: 2, width: 2, channels: 1 };
  // mean 0.55; (x - 0.55) * 0.4 + 0.55
  const c = contrast(img, { name: 'contrast', factor: 0.4 });
  [0.41, 0.49, 0.57, 0.73].forEach((v, i) => close(c[i]!, v));
  const b = brightness(img, { name: 'brightness', delta: 0.3 });
  [0.5, 0.7, 0.9, 1.0].forEach((v, i) => close(b[i]!, v));
  // RGB: value channel rises 0.5 -> 0.8, hue and saturation kept, so the pixel scales by 0.8/0.5.
  const rgb: Image = { data: Float32Array.from([0.5, 0.25, 0, 0, 0, 0]), height: 1, width: 2, channels: 3 };
  const br = brightness(rgb, { name: 'brightness', delta: 0.3 });
  [0.8, 0.4, 0, 0.3, 0.3, 0.3].forEach((v, i) => close(br[i]!, v));
});

test('defocus disk kernel: normalised, symmetric, wider with radius', () => {
  for (const r of [0.3, 0.875, 3, 10]) {
    const k = diskKernel(r, 0.5);
    const sum = k.data.reduce((s, v) => s + v, 0);
    close(sum, 1, 1e-6);
    const n = k.size;
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) close(k.data[y * n + x]!, k.data[(n - 1 - y) * n + (n - 1 - x)]!, 1e-7);
  }
  assert.ok(diskKernel(10, 0.5).size > diskKernel(3, 0.1).size);
  // A blur by a normalised kernel keeps a constant image constant (reflect101 border).
  const flat: Image = { data: new Float32Array(49).fill(0.3), height: 7, width: 7, channels: 1 };
  for (const v of filter2d(flat, diskKernel(3, 0.5))) close(v, 0.3, 1e-6);
});

test('motion blur at angle 0 is a one-sided half-Gaussian along x', () => {
  const data = new Float32Array(9 * 9);
  data[4 * 9 + 4] = 1;
  const out = motionBlurKernel({ data, height: 9, width: 9, channels: 1 }, 2, 1, 0);
  const w = [0, 1, 2, 3, 4].map((i) => Math.exp(-(i * i) / 2));
  const sum = w.reduce((s, v) => s + v, 0);
  // out[y, x] = sum_i w_i * img[y, x + round(i)]: the impulse spreads to the left, x = 4, 3, 2, 1, 0.
  for (let i = 0; i < 5; i++) close(out[4 * 9 + 4 - i]!, w[i]! / sum);
  close(out[4 * 9 + 5]!, 0);
});

test('plasma fractal spans [0, 1] and is seeded', () => {
  const a = plasmaFractal(32, 2, new Rng(1));
  assert.equal(Math.min(...a), 0);
  assert.equal(Math.max(...a), 1);
  assert.deepEqual(a, plasmaFractal(32, 2, new Rng(1)));
  assert.notDeepEqual(a, plasmaFractal(32, 2, new Rng(2)));
});

test('length scaling: ImageNet-C table at 224 px, CIFAR-10-C table below 85 px', () => {
  assert.deepEqual(lengthScale(224, 224), { table: 'imagenet', anchor: 224, factor: 1 });
  assert.deepEqual(lengthScale(28, 40), { table: 'cifar', anchor: 32, factor: 0.875 });
  assert.deepEqual(corruptionParams('defocus_blur', 5, 224, 224), { name: 'defocus_blur', radius: 10, aliasSigma: 0.5 });
  assert.deepEqual(corruptionParams('glass_blur', 5, 224, 224), { name: 'glass_blur', sigma: 1.5, maxDelta: 4, iterations: 2 });
  const g = corruptionParams('glass_blur', 4, 28, 28);
  assert.ok(g.name === 'glass_blur' && g.maxDelta === 1 && g.iterations === 2);
  close((g as { sigma: number }).sigma, 0.25 * 0.875);
  const e = corruptionParams('elastic_transform', 3, 224, 224) as { alpha: number; sigma: number; affine: number };
  close(e.alpha, 244 * 0.05);
  close(e.sigma, 244 * 0.01);
  close(e.affine, 244 * 0.02);
  // Size-free parameters are the ImageNet-C values at every size.
  assert.deepEqual(corruptionParams('gaussian_noise', 5, 28, 28), { name: 'gaussian_noise', sigma: 0.38 });
  assert.deepEqual(corruptionParams('jpeg_compression', 1, 28, 28), { name: 'jpeg_compression', quality: 25 });
  const z = corruptionParams('zoom_blur', 1, 28, 28) as { factors: number[] };
  assert.equal(z.factors.length, 12); // numpy.arange(1, 1.11, 0.01) has 12 values (1.00 .. 1.11)
});

test('psnr of known error', () => {
  const a: Image = { data: new Float32Array(4), height: 2, width: 2, channels: 1 };
  const b: Image = { data: new Float32Array(4).fill(0.1), height: 2, width: 2, channels: 1 };
  close(psnr(a, b), 20, 1e-5);
  assert.equal(psnr(a, a), Infinity);
});
