/**
 * The teacher-embedding cache under faults. Through the CLI: `tintem embed` killed (SIGKILL) after a shard and
 * between a shard's write and rename, and hitting a full disk, then resumed; damaged shards are recomputed;
 * two processes fill one cache at once. In-process: a cache written for another teacher, cut, input size or
 * preprocessing is never served.
 *
 * 1100 MNIST images with the CLI's 512-image shards -> three shards (512, 512, 76).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { embedWithCache, teacherCacheDir } from '../../src/cache/embed.js';
import { decodeShard } from '../../src/cache/shard.js';
import { loadDataset } from '../../src/data/index.js';
import type { ImageSet } from '../../src/data/types.js';
import { createTeacher } from '../../src/teachers/index.js';
import type { Teacher } from '../../src/teachers/types.js';
import { assertOneLineError, flipBit, tempDir, tintem } from './helpers.js';

await initBackend();

const root = tempDir('embed');
const cacheDir = join(root, 'cache');
const COUNT = 1100;
const args = (out?: string) => [
  'embed', '--teacher', 'random:1', '--data', 'mnist:train', '--limit', String(COUNT), '--cache-dir', cacheDir, '--no-progress',
  ...(out ? ['--out', out] : []),
];

let shardDir = '';
const shards = () => readdirSync(shardDir).filter((f) => f.endsWith('.ttc')).map((f) => join(shardDir, f));
/** Every shard verifies (SHA-256, sizes, header); returns their image counts, sorted. */
const verifiedCounts = () => shards().map((p) => decodeShard(readFileSync(p)).header.count).sort((a, b) => a - b);

/** What a fresh compute gives: pooled then tokens, float32 bytes, as `--out x.bin` writes them. */
let fresh: Buffer;
before(async () => {
  const teacher = await createTeacher('random:1', { lazy: true });
  shardDir = teacherCacheDir(cacheDir, teacher);
  const set = await loadDataset('mnist:train', { limit: COUNT, seed: 0 });
  const r = await embedWithCache(teacher, set, { cacheDir: join(root, 'fresh-cache'), batchSize: 64, quiet: true, progress: false });
  teacher.dispose();
  fresh = Buffer.concat([r.pooled, r.tokens!].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)));
});

test('embed: SIGKILL after the first shard, SIGKILL between a shard\'s write and rename, a full disk; the resumed cache is complete and exact', async () => {
  const first = await tintem(args(), { fault: 'kill-after-rename:.ttc:1' });
  assert.equal(first.signal, 'SIGKILL', first.stderr);
  assert.deepEqual(verifiedCounts(), [512]);

  const second = await tintem(args(), { fault: 'kill-before-rename:.ttc:1' });
  assert.equal(second.signal, 'SIGKILL', second.stderr);
  assert.deepEqual(verifiedCounts(), [512], 'the shard killed before its rename is not in the cache');
  const leftovers = () => readdirSync(shardDir).filter((f) => f.endsWith('.tmp'));
  assert.equal(leftovers().length, 1, 'the killed write leaves only a temp file, which readers ignore');

  const full = await tintem(args(), { fault: 'enospc-mid-write:.ttc.:1' });
  assertOneLineError(full, shardDir, /\.ttc: could not write cache shard \(ENOSPC.*completed shards are kept/);
  assert.deepEqual(verifiedCounts(), [512]);
  assert.equal(leftovers().length, 1, 'the failed write removed its temp file');

  const out = join(root, 'resumed.bin');
  const last = await tintem(args(out));
  assert.equal(last.code, 0, last.stderr);
  assert.match(last.stdout, /512 hits, 588 misses/);
  assert.deepEqual(verifiedCounts(), [76, 512, 512]);
  assert.ok(readFileSync(out).equals(fresh), 'resumed embeddings equal a fresh compute bit for bit');
});

test('embed: a bit-flipped and a truncated shard are reported by path, recomputed, and the values stay exact', async () => {
  const [small, big] = shards().map((p) => ({ p, count: decodeShard(readFileSync(p)).header.count })).sort((a, b) => a.count - b.count);
  writeFileSync(big!.p, flipBit(readFileSync(big!.p)));
  truncateSync(small!.p, 1000);
  const out = join(root, 'repaired.bin');
  const r = await tintem(args(out));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /512 hits, 588 misses/);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('tintem: warning: cache shard'));
  assert.equal(warnings.length, 2, r.stderr);
  assert.ok(warnings.some((w) => w.includes(big!.p) && /checksum mismatch/.test(w)), r.stderr);
  assert.ok(warnings.some((w) => w.includes(small!.p)), r.stderr);
  assert.deepEqual(verifiedCounts(), [76, 512, 512]);
  assert.ok(readFileSync(out).equals(fresh));
});

test('embed: a full disk while writing --out is one line naming the file, and leaves no partial output', async () => {
  const out = join(root, 'never.json');
  const r = await tintem(args(out), { fault: 'enospc-mid-write:.tmp:1' });
  assertOneLineError(r, out, /^tintem: error: .*never\.json: could not write \(ENOSPC: no space left on device/, true);
  assert.ok(!existsSync(out));
  assert.deepEqual(readdirSync(root).filter((f) => f.endsWith('.tmp')), []);
});

test('embed: two processes filling one cache at once both finish with exact values', async () => {
  const shared = join(root, 'concurrent-cache');
  const outs = [join(root, 'c1.bin'), join(root, 'c2.bin')];
  const rs = await Promise.all(outs.map((out) => tintem([...args(out).map((a) => (a === cacheDir ? shared : a))])));
  rs.forEach((r) => assert.equal(r.code, 0, r.stderr));
  for (const out of outs) assert.ok(readFileSync(out).equals(fresh));
  const dir = join(shared, shardDir.slice(cacheDir.length));
  const counts = readdirSync(dir).filter((f) => f.endsWith('.ttc')).map((f) => decodeShard(readFileSync(join(dir, f))).header.count).sort((a, b) => a - b);
  assert.deepEqual(counts, [76, 512, 512]);
});

/** Writes a two-conv TF.js layers model (cut points 'c1' and 'c2', same width) as model.json + weights.bin. */
async function twoConvModel(dir: string): Promise<string> {
  const input = tf.input({ shape: [null, null, 3] as unknown as number[] });
  const init = (seed: number) => tf.initializers.glorotNormal({ seed });
  const c1 = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', name: 'c1', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'c2', kernelInitializer: init(2) }).apply(c1) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: c2 });
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({
      modelTopology: a.modelTopology, format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  model.dispose();
  return join(dir, 'model.json');
}

test('a cache written for another teacher, cut, input size or preprocessing is never used: each computes', async () => {
  const modelPath = await twoConvModel(tempDir('model'));
  const set: ImageSet = await loadDataset('noise:24', { size: 16, channels: 3, seed: 5 });
  const shared = join(root, 'shared-cache');
  const identity = { mean: [0, 0, 0], std: [1, 1, 1] };
  const variants: Record<string, () => Promise<Teacher>> = {
    base: () => createTeacher(`tfjs:${modelPath}`, { output: 'c2', inputSize: 8, grid: 2, normalization: identity }),
    'other cut': () => createTeacher(`tfjs:${modelPath}`, { output: 'c1', inputSize: 8, grid: 2, normalization: identity }),
    'other input size': () => createTeacher(`tfjs:${modelPath}`, { output: 'c2', inputSize: 12, grid: 2, normalization: identity }),
    'other preprocessing': () => createTeacher(`tfjs:${modelPath}`, { output: 'c2', inputSize: 8, grid: 2, normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } }),
    'other teacher': () => createTeacher('random:1', { inputSize: 8, grid: 2, embedDim: 6 }),
  };
  const firstPooled: Record<string, Float32Array> = {};
  for (const [name, make] of Object.entries(variants)) {
    const teacher = await make();
    const r = await embedWithCache(teacher, set, { cacheDir: shared, quiet: true, progress: false });
    teacher.dispose();
    assert.deepEqual([r.hits, r.misses], [0, set.count], `${name}: served from another teacher's cache`);
    firstPooled[name] = r.pooled;
  }
  // Every variant really computes something else, and each one's own cache now hits with its own values.
  const names = Object.keys(variants);
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      assert.notDeepEqual(firstPooled[names[i]!], firstPooled[names[j]!], `${names[i]} and ${names[j]} gave the same embeddings`);
    }
  }
  for (const [name, make] of Object.entries(variants)) {
    const teacher = await make();
    const r = await embedWithCache(teacher, set, { cacheDir: shared, quiet: true, progress: false });
    teacher.dispose();
    assert.deepEqual([r.hits, r.misses], [set.count, 0], name);
    assert.deepEqual(r.pooled, firstPooled[name], name);
  }
});
