import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { exportStudent } from '../../src/export/exporter.js';
import { loadStudent } from '../../src/export/load.js';
import { tintemJsonSchema } from '../../src/export/meta.js';
import { sha256 } from '../../src/util/hash.js';
import { UserError } from '../../src/util/errors.js';
import { createStudent, defaultStudentSpec, type StudentSpec } from '../../src/students/index.js';
import { randomImages, tinyMeta, tinyStudentModel } from './fixtures.js';

await initBackend();
const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-export-'));

test('export -> load gives bit-identical pooled embeddings on the same backend', async () => {
  const model = tinyStudentModel({ size: 8, channels: 3, dim: 6, seed: 3 });
  const dir = tmp();
  await exportStudent(model, dir, tinyMeta(model));
  const images = randomImages(10, 8, 3, 7);
  const expected = tf.tidy(() => (model.predict(tf.tensor4d(images.pixels, [10, 8, 8, 3])) as tf.Tensor[])[0]!.dataSync() as Float32Array);
  const before = tf.memory().numTensors;
  const student = await loadStudent(dir);
  const got = await student.embed(images, { batchSize: 4 });
  assert.equal(got.length, 60);
  assert.deepEqual(Array.from(got), Array.from(expected));
  // the tensor input path and ImageSet path agree exactly
  const asTensor = tf.tensor4d(images.pixels, [10, 8, 8, 3]);
  assert.deepEqual(Array.from(await student.embed(asTensor)), Array.from(expected));
  asTensor.dispose();
  student.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from load/embed/dispose');
  model.dispose();
});

test('real students (CNN and ViT with custom layers) round-trip bit-identically', async () => {
  const specs: StudentSpec[] = [
    defaultStudentSpec(12, 1),
    { kind: 'vit', inputSize: 12, channels: 3, embedDim: 8, patchSize: 4, width: 16, depth: 1, numHeads: 2, mlpRatio: 2 },
  ];
  for (const spec of specs) {
    const student = createStudent(spec, 4);
    const dir = tmp();
    await exportStudent(student.model, dir, {
      inputSize: student.inputSize, channels: student.channels, embedDim: student.embedDim, tokenGrid: student.tokenGrid,
      student: student.spec, teacher: { id: 'test-teacher' }, method: 'tintem',
    });
    const images = randomImages(5, 12, student.channels, 2);
    const expected = tf.tidy(() => student.apply(tf.tensor4d(images.pixels, [5, 12, 12, student.channels]), false).pooled.dataSync() as Float32Array);
    const loaded = await loadStudent(dir);
    assert.deepEqual(Array.from(await loaded.embed(images)), Array.from(expected), `${spec.kind} round trip`);
    assert.deepEqual(loaded.meta.student, student.spec);
    loaded.dispose();
    student.dispose();
  }
});

test('exported model has only the pooled output unless withTokens; metadata validates', async () => {
  const model = tinyStudentModel({ size: 8, channels: 1, dim: 5 });
  const a = tmp(), b = tmp();
  const meta = await exportStudent(model, a, tinyMeta(model, { scorecard: { knnAccuracy: 0.9 }, ood: { score: 'knn-distance', k: 5, threshold: 0.3, tpr: 0.95, source: 'scorecard.json' } }));
  await exportStudent(model, b, tinyMeta(model), { withTokens: true });
  const onDisk = JSON.parse(readFileSync(join(a, 'tintem.json'), 'utf8'));
  assert.deepEqual(onDisk, meta);
  assert.ok(tintemJsonSchema.safeParse(onDisk).success);
  assert.equal(onDisk.inputSize, 8);
  assert.equal(onDisk.channels, 1);
  assert.equal(onDisk.embedDim, 5);
  assert.equal(onDisk.tokenGrid, 4);
  assert.equal(onDisk.teacher.id, 'test-teacher@8');
  assert.deepEqual(onDisk.outputs, ['pooled']);
  assert.equal(onDisk.ood?.threshold, 0.3);
  assert.deepEqual(onDisk.preprocessing.range, [0, 1]);
  assert.equal(onDisk.files['weights.bin'].sha256, sha256(readFileSync(join(a, 'weights.bin'))));
  assert.equal(onDisk.files['model.json'].bytes, statSync(join(a, 'model.json')).size);
  const pooledOnly = await loadStudent(a);
  const both = await loadStudent(b);
  assert.equal(pooledOnly.model.outputs.length, 1);
  assert.equal(both.model.outputs.length, 2);
  assert.deepEqual(both.meta.outputs, ['pooled', 'tokens']);
  assert.deepEqual(both.model.outputs[1]!.shape, [null, 16, 5]);
  // both give the same pooled embedding; gray student accepts RGB input (converted) and other sizes (resized)
  const rgb = randomImages(3, 12, 3, 9);
  const e1 = await pooledOnly.embed(rgb), e2 = await both.embed(rgb);
  assert.deepEqual(Array.from(e1), Array.from(e2));
  const manual = tf.tidy(() => {
    const resized = tf.image.resizeBilinear(tf.tensor4d(rgb.pixels, [3, 12, 12, 3]), [8, 8], false, true);
    const x = tf.clipByValue(tf.sum(tf.mul(resized, tf.tensor1d([0.299, 0.587, 0.114])), -1, true), 0, 1);
    return (model.predict(x) as tf.Tensor[])[0]!.dataSync() as Float32Array;
  });
  assert.deepEqual(Array.from(e1), Array.from(manual));
  pooledOnly.dispose(); both.dispose(); model.dispose();
});

async function rejects(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${(e as Error)?.stack}`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('a bit-flipped or truncated weight file is a one-line UserError naming it', async () => {
  const model = tinyStudentModel();
  const dir = tmp();
  await exportStudent(model, dir, tinyMeta(model));
  const weights = join(dir, 'weights.bin');
  const good = readFileSync(weights);
  const flipped = Buffer.from(good);
  flipped[17]! ^= 0x01;
  writeFileSync(weights, flipped);
  await rejects(() => loadStudent(dir), new RegExp(`${weights.replace(/[.]/g, '\\.')}: SHA-256 mismatch, the file is corrupted; re-export`));
  writeFileSync(weights, good);
  truncateSync(weights, good.length - 8);
  await rejects(() => loadStudent(dir), /weights\.bin: SHA-256 mismatch.*expected \d+ bytes, found \d+: truncated/);
  writeFileSync(weights, good);
  const modelJson = join(dir, 'model.json');
  writeFileSync(modelJson, readFileSync(modelJson, 'utf8').replace('"relu"', '"tanh"'));
  await rejects(() => loadStudent(dir), /model\.json: SHA-256 mismatch/);
  model.dispose();
});

test('missing or malformed metadata and bad export input are UserErrors', async () => {
  const model = tinyStudentModel();
  const dir = tmp();
  await rejects(() => loadStudent(dir), /tintem\.json: file not found/);
  await exportStudent(model, dir, tinyMeta(model));
  const metaPath = join(dir, 'tintem.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  writeFileSync(metaPath, JSON.stringify({ ...meta, channels: 2 }));
  await rejects(() => loadStudent(dir), /tintem\.json: not tintem student metadata \(channels:/);
  writeFileSync(metaPath, '{oops');
  await rejects(() => loadStudent(dir), /tintem\.json: not valid JSON/);
  await rejects(() => exportStudent(model, tmp(), { ...tinyMeta(model), inputSize: 9 }), /export: model input shape \[null,8,8,3\] does not match metadata \[null,9,9,3\]/);
  await rejects(() => exportStudent(model, tmp(), { ...tinyMeta(model), method: '' }), /export: invalid student metadata \(method:/);
  model.dispose();
});
