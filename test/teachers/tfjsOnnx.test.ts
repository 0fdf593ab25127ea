import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { createTeacher, forwardTeacher, isAsyncTeacher } from '../../src/teachers/index.js';
import { tinyConvOnnx } from './onnxFixture.js';

await initBackend();
const dir = mkdtempSync(join(tmpdir(), 'tintem-teachers-'));

/** Writes a TF.js layers model as model.json + weights.bin (the format `tfjs:<path>` reads). */
async function saveLayersModel(model: tf.LayersModel, folder: string): Promise<string> {
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(folder, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
    writeFileSync(join(folder, 'model.json'), JSON.stringify({
      modelTopology: a.modelTopology, format: 'layers-model', weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return join(folder, 'model.json');
}

test('tfjs teacher: 4-D output gives GAP + tokens equal to the model; a named 2-D layer gives pooled only', async () => {
  const input = tf.input({ shape: [null, null, 3] as unknown as number[] });
  const map = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', name: 'map', kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) }).apply(input) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(map) as tf.SymbolicTensor;
  const emb = tf.layers.dense({ units: 4, name: 'emb', kernelInitializer: tf.initializers.glorotNormal({ seed: 10 }) }).apply(gap) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: map });
  const withHead = tf.model({ inputs: input, outputs: emb });
  const folder = mkdtempSync(join(dir, 'tfjs-'));
  const path = await saveLayersModel(withHead, folder);

  const identity = { mean: [0, 0, 0], std: [1, 1, 1] };
  const mapTeacher = await createTeacher(`tfjs:${path}`, { output: 'map', inputSize: 8, normalization: identity });
  assert.equal(mapTeacher.embedDim, 6);
  assert.equal(mapTeacher.tokenGrid, 2);
  const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  const out = mapTeacher.forward(x);
  const expectedMap = model.predict(x) as tf.Tensor4D;
  const expectedPooled = tf.mean(expectedMap, [1, 2]);
  assert.ok(tf.max(tf.abs(tf.sub(out.pooled, expectedPooled))).dataSync()[0]! < 1e-5);
  assert.deepEqual(out.tokens!.shape, [2, 4, 6]);
  // Token 0 is the top-left 2x2 block of the 4x4 map.
  const topLeft = tf.mean(tf.slice(expectedMap, [0, 0, 0, 0], [2, 2, 2, 6]), [1, 2]);
  const token0 = tf.squeeze(tf.slice(out.tokens!, [0, 0, 0], [2, 1, 6]), [1]);
  assert.ok(tf.max(tf.abs(tf.sub(token0, topLeft))).dataSync()[0]! < 1e-5);

  const embTeacher = await createTeacher(`tfjs:${path}`, { inputSize: 8, normalization: identity });
  assert.equal(embTeacher.embedDim, 4);
  assert.equal(embTeacher.tokenGrid, undefined);
  const e = embTeacher.forward(x);
  assert.equal(e.tokens, undefined);
  assert.ok(tf.max(tf.abs(tf.sub(e.pooled, withHead.predict(x) as tf.Tensor))).dataSync()[0]! < 1e-5);
  assert.notEqual(mapTeacher.id, embTeacher.id);
  mapTeacher.dispose();
  embTeacher.dispose();
});

test('tfjs teacher: missing file, bad JSON and unknown layer are one-line UserErrors', async () => {
  const oneLine = (re: RegExp) => (e: Error) => e.name === 'UserError' && re.test(e.message) && !e.message.includes('\n');
  await assert.rejects(createTeacher('tfjs:/nonexistent/model.json'), oneLine(/nonexistent\/model.json: does not exist/));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ not json');
  await assert.rejects(createTeacher(`tfjs:${bad}`), oneLine(/is not valid JSON/));
  await assert.rejects(createTeacher('tfjs:'), oneLine(/missing model path/));
  const input = tf.input({ shape: [4, 4, 3] });
  const tiny = tf.model({ inputs: input, outputs: tf.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }).apply(input) as tf.SymbolicTensor });
  const path = await saveLayersModel(tiny, mkdtempSync(join(dir, 'tfjs-')));
  await assert.rejects(createTeacher(`tfjs:${path}`, { output: 'nope', inputSize: 4 }), oneLine(/has no layer 'nope'/));
  tiny.dispose();
  await assert.rejects(createTeacher('onnx:/nonexistent/m.onnx'), oneLine(/does not exist/));
  const junk = join(dir, 'junk.onnx');
  writeFileSync(junk, 'not a model');
  await assert.rejects(createTeacher(`onnx:${junk}`), oneLine(/could not load/));
});

test('onnx teacher on a hand-built 1x1 conv: known pooled and token values', async () => {
  const W = [[1, 2, 3], [-1, 0, 0.5]];
  const B = [0.25, -0.5];
  const path = join(dir, 'tiny.onnx');
  writeFileSync(path, tinyConvOnnx(W, B));
  const teacher = await createTeacher(`onnx:${path}`, { inputSize: 4, normalization: { mean: [0, 0, 0], std: [1, 1, 1] } });
  assert.ok(isAsyncTeacher(teacher));
  assert.equal(teacher.embedDim, 2);
  assert.equal(teacher.tokenGrid, 2);
  // Gray 4x4 image: value v at (r, c) = (4r + c) / 16; gray -> RGB repeats it, so y_o = v * sum(W[o]) + B[o].
  const values = Array.from({ length: 16 }, (_, i) => i / 16);
  const x = tf.tensor4d(values, [1, 4, 4, 1]);
  const out = await forwardTeacher(teacher, x);
  const mean = (idx: number[]) => idx.reduce((a, i) => a + values[i]!, 0) / idx.length;
  const y = (v: number) => W.map((w, o) => v * (w[0]! + w[1]! + w[2]!) + B[o]!);
  const close = (a: ArrayLike<number>, b: number[]) => b.forEach((v, i) => assert.ok(Math.abs(a[i]! - v) < 1e-5, `${a[i]} vs ${v}`));
  close(out.pooled.dataSync(), y(mean(values.map((_, i) => i))));
  const quadrants = [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]];
  close(out.tokens!.dataSync(), quadrants.flatMap((q) => y(mean(q))));
  assert.throws(() => teacher.forward(x), /asynchronous/);
  tf.dispose([x, out.pooled, out.tokens!]);
  teacher.dispose();
});
