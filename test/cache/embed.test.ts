import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { embedWithCache, teacherCacheDir } from '../../src/cache/index.js';
import { decodeFloat16, encodeFloat16 } from '../../src/cache/fp16.js';
import { augmentImages, type ViewSpec } from '../../src/data/index.js';
import { createRandomTeacher } from '../../src/teachers/random.js';
import type { Teacher } from '../../src/teachers/types.js';
import { captureStderr, maxAbsDiff, seededImages } from '../teachers/helpers.js';

await initBackend();
const root = mkdtempSync(join(tmpdir(), 'tintem-cache-'));
const set = seededImages(150, 12, 1, 3);
const teacher = createRandomTeacher({ seed: 4, embedDim: 8, grid: 2, inputSize: 16 });
const opts = { batchSize: 16, shardSize: 64, quiet: true, progress: false };

/** Direct teacher outputs for every image (the values the cache must reproduce). */
function direct(t: Teacher, pixels: Float32Array): { pooled: Float32Array; tokens: Float32Array } {
  const x = tf.tensor4d(pixels, [set.count, set.height, set.width, set.channels]);
  const out = t.forward(x);
  const r = { pooled: out.pooled.dataSync() as Float32Array, tokens: out.tokens!.dataSync() as Float32Array };
  tf.dispose([x, out.pooled, out.tokens!]);
  return r;
}
const fresh = direct(teacher, set.pixels);

const shardFiles = (cacheDir: string) => {
  const dir = teacherCacheDir(cacheDir, teacher);
  return readdirSync(dir).filter((f) => f.endsWith('.ttc')).map((f) => join(dir, f)).sort();
};

test('first run computes everything, second run is all hits with identical values; memory stays flat', async () => {
  const cacheDir = join(root, 'basic');
  const before = tf.memory().numTensors;
  const first = await embedWithCache(teacher, set, { cacheDir, ...opts });
  assert.equal(first.misses, 150);
  assert.equal(first.hits, 0);
  assert.equal(first.dim, 8);
  assert.equal(first.tokenCount, 4);
  assert.ok(maxAbsDiff(first.pooled, fresh.pooled) < 1e-5);
  assert.ok(maxAbsDiff(first.tokens!, fresh.tokens) < 1e-5);
  assert.equal(shardFiles(cacheDir).length, 3); // 64 + 64 + 22
  const second = await embedWithCache(teacher, set, { cacheDir, ...opts });
  assert.equal(second.hits, 150);
  assert.equal(second.misses, 0);
  assert.deepEqual(Array.from(second.pooled), Array.from(first.pooled));
  assert.deepEqual(Array.from(second.tokens!), Array.from(first.tokens!));
  assert.equal(tf.memory().numTensors, before);
  // A pooled-only request is served by the shards that hold tokens too.
  const pooledOnly = await embedWithCache(teacher, set, { cacheDir, ...opts, tokens: false });
  assert.equal(pooledOnly.hits, 150);
  assert.equal(pooledOnly.tokens, undefined);
  assert.deepEqual(Array.from(pooledOnly.pooled), Array.from(first.pooled));
});

test('a bit-flipped and a truncated shard are reported once each and recomputed to the fresh values', async () => {
  const cacheDir = join(root, 'corrupt');
  await embedWithCache(teacher, set, { cacheDir, ...opts });
  const [a, b] = shardFiles(cacheDir);
  const bytes = readFileSync(a!);
  bytes[bytes.length >> 1]! ^= 0x01;
  writeFileSync(a!, bytes);
  truncateSync(b!, statSync(b!).size - 100);
  const { result, stderr } = await captureStderr(() => embedWithCache(teacher, set, { cacheDir, ...opts }));
  assert.equal(result.misses, 128);
  assert.equal(result.hits, 22);
  assert.ok(maxAbsDiff(result.pooled, fresh.pooled) < 1e-5);
  assert.ok(maxAbsDiff(result.tokens!, fresh.tokens) < 1e-5);
  const warnings = stderr.trim().split('\n');
  assert.equal(warnings.length, 2, stderr);
  assert.ok(warnings.some((w) => w.includes(a!) && /checksum mismatch/.test(w)));
  assert.ok(warnings.some((w) => w.includes(b!)));
  // Repaired: the next run is all hits again, silently.
  const { result: again, stderr: quiet } = await captureStderr(() => embedWithCache(teacher, set, { cacheDir, ...opts }));
  assert.equal(again.hits, 150);
  assert.equal(quiet, '');
});

test('views: another view or view seed misses and gives the augmented images\' embeddings; same view hits', async () => {
  const cacheDir = join(root, 'views');
  const view: ViewSpec = { id: 1, seed: 5, crop: { scale: [0.5, 1], ratio: [0.75, 1.33] } };
  await embedWithCache(teacher, set, { cacheDir, ...opts });
  const v1 = await embedWithCache(teacher, set, { cacheDir, ...opts, view });
  assert.equal(v1.misses, 150);
  const expected = direct(teacher, augmentImages(set, Array.from({ length: set.count }, (_, i) => i), view));
  assert.ok(maxAbsDiff(v1.pooled, expected.pooled) < 1e-5);
  assert.ok(maxAbsDiff(v1.pooled, fresh.pooled) > 1e-3, 'the view changes the embeddings');
  assert.equal((await embedWithCache(teacher, set, { cacheDir, ...opts, view })).hits, 150);
  assert.equal((await embedWithCache(teacher, set, { cacheDir, ...opts, view: { ...view, seed: 6 } })).misses, 150);
  assert.equal((await embedWithCache(teacher, set, { cacheDir, ...opts, view: { ...view, id: 2 } })).misses, 150);
});

test('fp16 storage: half-size shards, values are the float16 rounding of the fresh ones on every run', async () => {
  const cacheDir = join(root, 'fp16');
  const first = await embedWithCache(teacher, set, { cacheDir, ...opts, fp16: true });
  const rounded = decodeFloat16(encodeFloat16(first.pooled));
  assert.deepEqual(Array.from(first.pooled), Array.from(rounded), 'first run already returns float16 values');
  assert.ok(maxAbsDiff(first.pooled, fresh.pooled) < 1e-2);
  const second = await embedWithCache(teacher, set, { cacheDir, ...opts, fp16: true });
  assert.equal(second.hits, 150);
  assert.deepEqual(Array.from(second.pooled), Array.from(first.pooled));
  assert.deepEqual(Array.from(second.tokens!), Array.from(first.tokens!));
  await embedWithCache(teacher, set, { cacheDir: join(root, 'fp32'), ...opts });
  const size = (dir: string) => shardFiles(dir).reduce((s, f) => s + statSync(f).size, 0);
  // Headers are identical in size; each of the 150 x (8 + 4 x 8) values takes 2 bytes instead of 4.
  assert.equal(size(join(root, 'fp32')) - size(cacheDir), 150 * (8 + 4 * 8) * 2);
});

test('an aborted run keeps its completed shards; the rerun computes only the rest', async () => {
  const cacheDir = join(root, 'abort');
  const controller = new AbortController();
  let forwards = 0;
  // Aborts during the second shard (after 5 batches of 16: the first shard of 64 is written).
  const aborting: Teacher = {
    id: teacher.id, embedDim: teacher.embedDim, tokenGrid: teacher.tokenGrid, inputSize: teacher.inputSize,
    forward: (x) => { if (++forwards === 5) controller.abort(); return teacher.forward(x); },
    dispose: () => {},
  };
  await assert.rejects(embedWithCache(aborting, set, { cacheDir, ...opts, signal: controller.signal }), /abort/i);
  assert.equal(shardFiles(cacheDir).length, 1);
  const rerun = await embedWithCache(teacher, set, { cacheDir, ...opts });
  assert.equal(rerun.hits, 64);
  assert.equal(rerun.misses, 86);
  assert.ok(maxAbsDiff(rerun.pooled, fresh.pooled) < 1e-5);
});

test('bad options are one-line UserErrors', async () => {
  await assert.rejects(embedWithCache(teacher, set, { cacheDir: join(root, 'x'), ...opts, batchSize: 0 }), (e: Error) => e.name === 'UserError' && /--batch-size/.test(e.message));
});
