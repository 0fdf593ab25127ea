/**
 * The ONNX export against an implementation independent of TF.js: onnxruntime-node runs the converted file and
 * must give TF.js's outputs on the same images, for each student kind and for every standard layer class the
 * named presets use; the int8 copy keeps its pooled outputs within cosine 0.99 of fp32 at <= 30% of the size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { exportStudent } from '../../src/export/exporter.js';
import { addOnnxForms, rowCosines } from '../../src/export/onnx-export.js';
import { convertToOnnx } from '../../src/export/onnx-convert.js';
import { loadOnnxStudent, openExport } from '../../src/export/verify.js';
import { exportRun } from '../../src/export/export-run.js';
import { createSession, loadOrt, modelMetadata, parseModel, readOnnxModel, serializeModel } from '../../src/onnx/index.js';
import { runBatches } from '../../src/export/onnx-export.js';
import { createStudent, defaultStudentSpec, defaultVitSpec } from '../../src/students/index.js';
import { UserError } from '../../src/util/errors.js';
import { fakeRun } from '../training/run-fixture.js';
import { randomImages, tinyMeta } from './fixtures.js';

await initBackend();
const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-onnx-export-'));

/** ONNX (onnxruntime) vs TF.js outputs of `model` on seeded images: max |diff| and the output scale. */
async function compare(model: tf.LayersModel, count = 4): Promise<{ diff: number; scale: number; outputs: number }> {
  const [, size, , channels] = model.inputs[0]!.shape as number[];
  const images = randomImages(count, size!, channels as 1 | 3, 11);
  const session = await createSession(serializeModel(convertToOnnx(model)), 'test model');
  const names = ['pooled', 'tokens'].slice(0, model.outputs.length);
  const got = await runBatches(session, images, names);
  await session.release();
  const want = tf.tidy(() => {
    const out = model.predict(tf.tensor4d(images.pixels, [count, size!, size!, channels!]));
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
  let diff = 0, scale = 0;
  names.forEach((n, i) => {
    assert.equal(got[n]!.length, want[i]!.length, `${n} size`);
    for (let j = 0; j < want[i]!.length; j++) {
      diff = Math.max(diff, Math.abs(got[n]![j]! - want[i]![j]!));
      scale = Math.max(scale, Math.abs(want[i]![j]!));
    }
  });
  return { diff, scale, outputs: names.length };
}

test('cnn student: onnxruntime matches TF.js (pooled and tokens)', async () => {
  const student = createStudent(defaultStudentSpec(16, 1), 3);
  // Non-trivial BatchNorm statistics, so inference-mode BN is checked too.
  for (const layer of student.model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    layer.setWeights(layer.getWeights().map((w, i) => tf.tidy(() => (i < 2 ? tf.randomUniform(w.shape, 0.5, 1.5, 'float32', i) : i === 2 ? tf.randomNormal(w.shape, 0, 0.3, 'float32', 7) : tf.randomUniform(w.shape, 0.5, 2, 'float32', 9)))));
  }
  const { diff, scale, outputs } = await compare(student.model);
  assert.equal(outputs, 2);
  assert.ok(diff <= 1e-4 * scale, `max |diff| ${diff} at scale ${scale}`);
  student.dispose();
});

test('vit student: onnxruntime matches TF.js (class token, attention, LayerNorm, GELU, shared projection)', async () => {
  const spec = { ...defaultVitSpec(16, 3), embedDim: 32, width: 48, depth: 2, numHeads: 3 };
  const student = createStudent(spec, 5);
  const { diff, scale } = await compare(student.model);
  assert.ok(diff <= 1e-4 * scale, `max |diff| ${diff} at scale ${scale}`);
  student.dispose();
});

test('standard layer classes of the named presets convert exactly', async () => {
  const L = tf.layers;
  const init = (seed: number) => tf.initializers.glorotNormal({ seed });
  const input = tf.input({ shape: [17, 17, 3] });
  let x = L.zeroPadding2d({ padding: [[1, 0], [2, 1]] }).apply(input) as tf.SymbolicTensor;
  x = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(1) }).apply(x) as tf.SymbolicTensor;
  const bn = L.batchNormalization({ epsilon: 1e-3 });
  x = bn.apply(x) as tf.SymbolicTensor;
  x = L.reLU({ maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  // hard-swish built from standard layers: x * relu6(x + 3) / 6
  const gate = L.rescaling({ scale: 1 / 6 }).apply(L.reLU({ maxValue: 6 }).apply(L.rescaling({ scale: 1, offset: 3 }).apply(x))) as tf.SymbolicTensor;
  x = L.multiply().apply([x, gate]) as tf.SymbolicTensor;
  const dw = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', depthwiseInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  const pw = L.conv2d({ filters: 16, kernelSize: 1, activation: 'sigmoid', kernelInitializer: init(3) }).apply(dw) as tf.SymbolicTensor;
  x = L.add().apply([dw, pw]) as tf.SymbolicTensor;
  x = L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  const valid = L.conv2d({ filters: 16, kernelSize: 2, padding: 'valid', activation: 'relu', kernelInitializer: init(4) }).apply(x) as tf.SymbolicTensor;
  const other = L.conv2d({ filters: 8, kernelSize: 2, padding: 'valid', activation: 'gelu', kernelInitializer: init(5) }).apply(x) as tf.SymbolicTensor;
  x = L.concatenate({ axis: -1 }).apply([valid, other]) as tf.SymbolicTensor; // 4 x 4 x 24
  const seq = L.reshape({ targetShape: [16, 24] }).apply(x) as tf.SymbolicTensor;
  let t = L.layerNormalization({ epsilon: 1e-5 }).apply(seq) as tf.SymbolicTensor;
  t = L.dense({ units: 12, activation: 'gelu_new', kernelInitializer: init(6) }).apply(t) as tf.SymbolicTensor;
  t = L.activation({ activation: 'tanh' }).apply(t) as tf.SymbolicTensor;
  const pooled = L.dense({ units: 12, kernelInitializer: init(7) }).apply(L.globalAveragePooling2d({}).apply(x)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [pooled, t] });
  bn.setWeights([tf.tensor1d([1.2, 0.8, 1, 1.5, 0.7, 1.1, 0.9, 1.3]), tf.tensor1d([0.1, -0.2, 0, 0.3, 0.05, -0.1, 0.2, 0]), tf.tensor1d([0.2, -0.1, 0.05, 0, 0.3, -0.3, 0.1, 0]), tf.tensor1d([1.5, 0.5, 2, 1, 0.8, 1.2, 0.9, 3])]);
  const { diff, scale, outputs } = await compare(model, 3);
  assert.equal(outputs, 2);
  assert.ok(diff <= 1e-4 * scale, `max |diff| ${diff} at scale ${scale}`);
});

test('squeeze-excite, hard-sigmoid and attention from standard layers (Permute, Dot, Softmax) convert exactly', async () => {
  const L = tf.layers;
  const init = (seed: number) => tf.initializers.glorotNormal({ seed });
  const input = tf.input({ shape: [8, 8, 3] });
  const x = L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  // squeeze-excite: GAP -> Reshape [1, 1, C] -> 1x1 convs -> hard-sigmoid gate, multiplied over the map
  let se = L.reshape({ targetShape: [1, 1, 8] }).apply(L.globalAveragePooling2d({}).apply(x)) as tf.SymbolicTensor;
  se = L.conv2d({ filters: 4, kernelSize: 1, activation: 'relu', kernelInitializer: init(2) }).apply(se) as tf.SymbolicTensor;
  se = L.conv2d({ filters: 8, kernelSize: 1, activation: 'hardSigmoid', kernelInitializer: init(3) }).apply(se) as tf.SymbolicTensor;
  const gated = L.multiply().apply([x, se]) as tf.SymbolicTensor;
  // one attention head over the 64 positions: softmax(q k^T) v with Dot / Permute / Softmax layers
  const seq = L.reshape({ targetShape: [64, 8] }).apply(gated) as tf.SymbolicTensor;
  const q = L.dense({ units: 8, kernelInitializer: init(4) }).apply(seq) as tf.SymbolicTensor;
  const k = L.dense({ units: 8, kernelInitializer: init(5) }).apply(seq) as tf.SymbolicTensor;
  const v = L.dense({ units: 8, kernelInitializer: init(6) }).apply(seq) as tf.SymbolicTensor;
  const attn = L.softmax({ axis: -1 }).apply(L.dot({ axes: [2, 2] }).apply([q, k])) as tf.SymbolicTensor; // 64 x 64
  const vt = L.permute({ dims: [2, 1] }).apply(v) as tf.SymbolicTensor; // 8 x 64
  const out = L.dot({ axes: [2, 2] }).apply([attn, vt]) as tf.SymbolicTensor; // 64 x 8
  const pooled = L.flatten().apply(L.maxPooling2d({ poolSize: 8 }).apply(L.reshape({ targetShape: [8, 8, 8] }).apply(out))) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [pooled, out] });
  const { diff, scale } = await compare(model, 3);
  assert.ok(diff <= 1e-4 * scale, `max |diff| ${diff} at scale ${scale}`);
});

test('an unsupported layer class is one line naming it', () => {
  const input = tf.input({ shape: [8, 8, 1] });
  const up = tf.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.globalAveragePooling2d({}).apply(up) as tf.SymbolicTensor });
  assert.throws(() => convertToOnnx(model), (e: Error) => e instanceof UserError && /layer up: layer class 'UpSampling2D' is not supported/.test(e.message) && !e.message.includes('\n'));
});

test('int8: resnet18-shaped cnn, <= 30% of fp32, pooled cosine >= 0.99 on test images', async () => {
  const spec = { kind: 'cnn' as const, inputSize: 32, channels: 3 as const, embedDim: 128, stemWidth: 64, stemStride: 4 as const, widthMultipliers: [1, 2, 4, 8], blocksPerStage: [2, 2, 2, 2] };
  const student = createStudent(spec, 1);
  const dir = tmp();
  await exportStudent(student.model, dir, tinyMeta(student.model, { student: spec }));
  student.dispose();
  const report = await addOnnxForms(dir, randomImages(16, 32, 3, 21), { quantize: 'int8' });
  const fp32 = statSync(join(dir, 'student.onnx')).size;
  const int8 = statSync(join(dir, 'student.int8.onnx')).size;
  assert.equal(report.int8!.bytes, int8);
  assert.ok(int8 <= 0.3 * fp32, `int8 ${int8} bytes vs fp32 ${fp32}`);
  // test images the calibration did not see, each form run by onnxruntime through the verified open
  const test = randomImages(8, 32, 3, 99);
  const [a, b] = [await loadOnnxStudent(dir, 'onnx'), await loadOnnxStudent(dir, 'onnx-int8')];
  const cos = rowCosines(await a.embed(test), await b.embed(test), 128);
  await a.dispose();
  await b.dispose();
  assert.ok(cos.min >= 0.99, `min cosine ${cos.min}`);
  rmSync(dir, { recursive: true, force: true });
});

test('int8 is in the form onnxruntime runs fast: its optimised graph is QLinearConv / QLinearAdd, no float Conv', async () => {
  const spec = { kind: 'cnn' as const, inputSize: 16, channels: 3 as const, embedDim: 32, stemWidth: 8, stemStride: 4 as const, widthMultipliers: [1, 2], blocksPerStage: [1, 1] };
  const student = createStudent(spec, 1);
  const dir = tmp();
  await exportStudent(student.model, dir, tinyMeta(student.model, { student: spec }));
  student.dispose();
  await addOnnxForms(dir, randomImages(8, 16, 3, 1), { quantize: 'int8' });
  // onnxruntime writes the graph it will run (fusions applied): read it back with the ONNX parser
  const ort = await loadOrt();
  const optimised = join(dir, 'optimised.onnx');
  await (await ort.InferenceSession.create(join(dir, 'student.int8.onnx'), { graphOptimizationLevel: 'extended', optimizedModelFilePath: optimised })).release();
  const ops: Record<string, number> = {};
  for (const n of readOnnxModel(optimised).graph!.node) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  // 7 convs (stem, 2 per block, 1 projection shortcut, the embedding conv), 2 residual adds; one Q in, one DQ out
  assert.deepEqual({ conv: ops.Conv ?? 0, qconv: ops.QLinearConv, qadd: ops.QLinearAdd, q: ops.QuantizeLinear, dq: ops.DequantizeLinear }, { conv: 0, qconv: 7, qadd: 2, q: 1, dq: 1 });
  rmSync(dir, { recursive: true, force: true });
});

test('export folder: ONNX sealed with tintem.json; edits and replaced files are refused; an interrupted export leaves nothing', async () => {
  const { dir, model } = await fakeRun();
  model.dispose();
  const out = join(dir, 'export');
  const { meta, onnx } = await exportRun({ runDir: dir, outDir: out, gallerySize: 0 });
  assert.ok(onnx && onnx.maxAbsDiff <= 1e-4 * onnx.scale);
  assert.ok(meta.files['student.onnx'] && meta.onnx?.check.images === 16);
  const props = modelMetadata(parseModel(readFileSync(join(out, 'student.onnx'))));
  assert.equal(props['tintem.inputSize'], '8');
  assert.match(props['tintem.preprocessing']!, /NHWC/);
  assert.deepEqual((await openExport(out)).forms, ['tfjs', 'onnx']);

  const metaPath = join(out, 'tintem.json');
  const original = readFileSync(metaPath, 'utf8');
  for (const [from, to] of [['"inputSize": 8', '"inputSize": 9'], ['"method": "tintem"', '"method": "proteus"'], ['"k": 10', '"k": 3'], ['"tokenGrid": 4', '"tokenGrid": 2']]) {
    assert.ok(original.includes(from!), from);
    writeFileSync(metaPath, original.replace(from!, to!));
    await assert.rejects(() => openExport(out), (e: unknown) => e instanceof UserError && /tintem\.json: seal mismatch/.test(e.message), from);
  }
  writeFileSync(metaPath, original);
  const onnxPath = join(out, 'student.onnx');
  const bytes = readFileSync(onnxPath);
  bytes[bytes.length - 5] ^= 1;
  writeFileSync(onnxPath, bytes);
  await assert.rejects(() => loadOnnxStudent(out), (e: unknown) => e instanceof UserError && /student\.onnx: SHA-256 mismatch/.test(e.message));

  // --format onnx: no TF.js files; a failure half-way leaves no folder behind
  const onlyOnnx = await exportRun({ runDir: dir, outDir: join(dir, 'only-onnx'), gallerySize: 0, format: 'onnx' });
  assert.deepEqual(Object.keys(onlyOnnx.meta.files), ['student.onnx']);
  assert.equal(existsSync(join(dir, 'only-onnx', 'model.json')), false);
  await assert.rejects(() => exportRun({ runDir: dir, outDir: join(dir, 'broken'), gallery: 'folder:/nonexistent-tintem', gallerySize: 4 }));
  assert.equal(existsSync(join(dir, 'broken')), false);
  writeFileSync(join(dir, 'not-export.txt'), 'x');
  await assert.rejects(() => exportRun({ runDir: dir, outDir: dir, gallerySize: 0 }), (e: unknown) => e instanceof UserError && /not a tintem export/.test(e.message));
});
