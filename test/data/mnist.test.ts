import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx } from '../../src/data/idx.js';
import { FASHION_CLASS_NAMES, loadFashionMnist, loadMnist } from '../../src/data/mnist.js';
import { UserError } from '../../src/util/errors.js';

function sum(a: Float32Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

async function withFashionDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const old = process.env.TINTEM_FASHION_MNIST_DIR;
  process.env.TINTEM_FASHION_MNIST_DIR = dir;
  try { return await fn(); } finally {
    if (old === undefined) delete process.env.TINTEM_FASHION_MNIST_DIR; else process.env.TINTEM_FASHION_MNIST_DIR = old;
  }
}

test('loadMnist: known labels and pixels scaled by 1/255, offset and limit', async () => {
  const train = await loadMnist('train', { limit: 10 });
  assert.equal(train.count, 10);
  assert.deepEqual([train.height, train.width, train.channels], [28, 28, 1]);
  assert.equal(train.pixels.length, 10 * 784);
  assert.deepEqual([...train.labels!.subarray(0, 6)], [5, 0, 4, 1, 9, 2]);
  assert.equal(train.pixels[5 * 28 + 16], Math.fround(126 / 255));
  assert.equal(train.pixels[5 * 28 + 21], 1);
  assert.ok(Math.abs(sum(train.pixels.subarray(0, 784)) - 27525 / 255) < 1e-3);
  assert.equal(train.sources![3], 'mnist-train#3');
  assert.equal(train.classNames!.length, 10);

  const test = await loadMnist('test', { offset: 2, limit: 3 });
  assert.deepEqual([...test.labels!], [1, 0, 4]); // test labels start 7, 2, 1, 0, 4
  assert.equal(test.sources![0], 'mnist-test#2');
  assert.equal((await loadMnist('test', { offset: 9998 })).count, 2);
  await assert.rejects(loadMnist('test', { offset: 10001 }), UserError);
  await assert.rejects(loadMnist('valid' as 'test'), /unknown split 'valid'/);
});

test('loadMnist reads all 60000 training images', async () => {
  const t0 = performance.now();
  const all = await loadMnist('train');
  const ms = performance.now() - t0;
  assert.equal(all.count, 60000);
  assert.equal(all.labels![59999], 8); // the last training label
  assert.ok(ms < 10_000, `took ${ms} ms`); // generous: the machine is shared; typically well under 1 s
});

test('loadFashionMnist: Debian files, class names, known test labels', async () => {
  const fashion = await loadFashionMnist('test', { limit: 6 });
  assert.deepEqual([...fashion.labels!], [9, 2, 1, 1, 6, 1]);
  assert.equal(fashion.classNames![9], 'Ankle boot');
  assert.deepEqual(fashion.classNames, FASHION_CLASS_NAMES);
  assert.ok(Math.abs(sum(fashion.pixels.subarray(0, 784)) - 33456 / 255) < 1e-3);
});

test('loadFashionMnist: TINTEM_FASHION_MNIST_DIR override and missing dataset errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-fashion-'));
  // A tiny gzipped stand-in: 2 images of 2x3 and their labels.
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdx('uint8', [2, 2, 3], [0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6])));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx('uint8', [2], [3, 7])));
  const set = await withFashionDir(dir, () => loadFashionMnist('train'));
  assert.deepEqual([set.count, set.height, set.width], [2, 2, 3]);
  assert.deepEqual([...set.labels!], [3, 7]);
  assert.deepEqual([...set.pixels.subarray(0, 6)], [0, 0.2, 0.4, 0.6, 0.8, 1].map(Math.fround));

  await assert.rejects(withFashionDir(dir, () => loadFashionMnist('test')),
    (e: Error) => e instanceof UserError && e.message.includes('t10k-images-idx3-ubyte.gz not found') && e.message.includes('apt-get install dataset-fashion-mnist'));
  await assert.rejects(withFashionDir(join(dir, 'nope'), () => loadFashionMnist('train')),
    (e: Error) => e instanceof UserError && e.message.includes(join(dir, 'nope')) && e.message.includes('apt-get install dataset-fashion-mnist'));

  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(encodeIdx('uint8', [3], [3, 7, 1])));
  await assert.rejects(withFashionDir(dir, () => loadFashionMnist('train')), /train-labels-idx1-ubyte\.gz: expected 2 uint8 labels/);
});
