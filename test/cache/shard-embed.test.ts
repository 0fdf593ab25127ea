/**
 * embedWithCache with shards, in-process: shards partition the images; a reader with another chunking takes the
 * stored entries by key and computes only what no file holds (float32 and float16), returning the teacher's direct
 * outputs; augmented-view keys follow the image position, since the crops do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { embedWithCache, entryKeys } from '../../src/cache/index.js';
import { decodeFloat16, encodeFloat16 } from '../../src/cache/fp16.js';
import { augmentImages, type ViewSpec } from '../../src/data/index.js';
import { createRandomTeacher } from '../../src/teachers/random.js';
import { maxAbsDiff, seededImages } from '../teachers/helpers.js';

await initBackend();
const root = mkdtempSync(join(tmpdir(), 'tintem-shard-embed-'));
const set = seededImages(40, 12, 1, 3);
const teacher = createRandomTeacher({ seed: 5, embedDim: 8, grid: 2, inputSize: 16 });
const view: ViewSpec = { id: 1, seed: 3, crop: { scale: [0.5, 1], ratio: [0.75, 1.33] } };
const opts = { batchSize: 8, shardSize: 6, quiet: true, progress: false };

function direct(pixels: Float32Array): Float32Array {
  const x = tf.tensor4d(pixels, [set.count, set.height, set.width, set.channels]);
  const out = teacher.forward(x);
  const pooled = out.pooled.dataSync() as Float32Array;
  tf.dispose([x, out.pooled, out.tokens!]);
  return pooled;
}
const all = Array.from({ length: set.count }, (_, i) => i);
const fresh = direct(augmentImages(set, all, view));

for (const fp16 of [false, true]) {
  test(`shards 0 and 2 of 3, then a whole-set reader computes only shard 1's images${fp16 ? ' (fp16)' : ''}`, async () => {
    const cacheDir = join(root, `partial-${fp16}`);
    const seen: number[] = [];
    for (const index of [0, 2]) {
      const r = await embedWithCache(teacher, set, { cacheDir, view, fp16, ...opts, shard: { index, count: 3 } });
      assert.equal(r.misses, r.indices!.length);
      seen.push(...r.indices!);
      // Rows are the shard's images, in dataset order.
      assert.deepEqual([...r.indices!], [...r.indices!].sort((a, b) => a - b));
    }
    const middle = await embedWithCache(teacher, set, { cacheDir, view, fp16, ...opts, shard: { index: 1, count: 3 }, noCompute: false, quiet: true });
    const owned = new Set([...seen, ...middle.indices!]);
    assert.equal(owned.size, set.count, 'the three shards cover every image');
    assert.equal(seen.length + middle.indices!.length, set.count, 'and do not overlap');

    const cacheDir2 = join(root, `partial2-${fp16}`);
    for (const index of [0, 2]) await embedWithCache(teacher, set, { cacheDir: cacheDir2, view, fp16, ...opts, shard: { index, count: 3 } });
    const reader = await embedWithCache(teacher, set, { cacheDir: cacheDir2, view, fp16, ...opts, shardSize: 16 });
    assert.equal(reader.misses, middle.indices!.length, 'only the missing shard is computed');
    assert.equal(reader.hits, seen.length);
    // Batched convolutions differ from one big batch in the last bits: compare to the direct outputs within float noise.
    const expect = fp16 ? decodeFloat16(encodeFloat16(fresh)) : fresh;
    assert.ok(maxAbsDiff(reader.pooled, expect) < (fp16 ? 2e-3 : 1e-5), `values are the direct teacher outputs: ${maxAbsDiff(reader.pooled, expect)}`);
    const again = await embedWithCache(teacher, set, { cacheDir: cacheDir2, view, fp16, ...opts, shardSize: 16 });
    assert.equal(again.misses, 0);
    assert.deepEqual(again.pooled, reader.pooled, 'a later read returns exactly what the filling call returned');
  });
}

test('noCompute: a missing entry is a one-line UserError, nothing is computed', async () => {
  const cacheDir = join(root, 'nocompute');
  await assert.rejects(embedWithCache(teacher, set, { cacheDir, ...opts, noCompute: true }), /cache entries .* are missing or damaged and computing them is off \(--cache-only\)/);
});

test('augmented-view keys follow the image position (the crop does); identity keys do not', () => {
  const per = set.height * set.width * set.channels;
  const twice = { ...set, count: 2, pixels: Float32Array.from([...set.pixels.subarray(0, per), ...set.pixels.subarray(0, per)]) };
  const [a, b] = entryKeys(twice, 0, 2, teacher, view);
  assert.notEqual(a, b, 'one image at two positions: two crops, two keys');
  const [c, d] = entryKeys(twice, 0, 2, teacher);
  assert.equal(c, d, 'identity view: content only');
});
