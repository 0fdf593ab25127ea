import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import {
  createStudent, defaultStudentSpec, defaultVitSpec, studentFromModel, studentParamCount, validateStudentSpec, type StudentSpec,
} from '../../src/students/index.js';
import { cnnTokenGrid, type CnnSpec } from '../../src/students/cnn.js';
import { customLayerClassNames } from '../../src/students/layers.js';
import type { Student } from '../../src/students/types.js';
import { UserError } from '../../src/util/errors.js';

await initBackend();

const images = (n: number, size: number, channels: number, seed = 1) => tf.randomUniform([n, size, size, channels], 0, 1, 'float32', seed) as tf.Tensor4D;
const tinyVit: StudentSpec = { kind: 'vit', inputSize: 16, channels: 3, embedDim: 12, patchSize: 4, width: 16, depth: 2, numHeads: 2, mlpRatio: 2 };

/** Runs the student and returns plain arrays, leaving no tensors behind. */
function run(student: Student, x: tf.Tensor4D, training = false) {
  return tf.tidy(() => {
    const out = student.apply(x, training);
    return { pooled: out.pooled.arraySync() as number[][], tokens: out.tokens.arraySync() as number[][][], shapes: [out.pooled.shape, out.tokens.shape] };
  });
}

test('default CNN: outputs [pooled N x 64, tokens N x 49 x 64] on 28 px MNIST-sized input; pooled is the token mean', () => {
  const student = createStudent(defaultStudentSpec(), 1);
  assert.equal(student.embedDim, 64);
  assert.equal(student.tokenGrid, 7);
  assert.equal(student.inputSize, 28);
  assert.equal(student.channels, 1);
  const x = images(3, 28, 1);
  const out = run(student, x);
  assert.deepEqual(out.shapes, [[3, 64], [3, 49, 64]]);
  for (let i = 0; i < 3; i++) for (const c of [0, 17, 63]) {
    const avg = out.tokens[i]!.reduce((s, t) => s + t[c]!, 0) / 49;
    assert.ok(Math.abs(avg - out.pooled[i]![c]!) < 1e-4);
  }
  assert.ok(studentParamCount(student) > 10_000 && studentParamCount(student) < 200_000);
  assert.deepEqual(student.spec, defaultStudentSpec());
  x.dispose();
  student.dispose();
});

test('configurable CNN: 3-channel input, stem stride 1, three stages -> expected grid and widths', () => {
  const spec: CnnSpec = { kind: 'cnn', inputSize: 20, channels: 3, embedDim: 10, stemWidth: 4, stemStride: 1, widthMultipliers: [1, 1.5, 2], blocksPerStage: [2, 1, 1] };
  assert.equal(cnnTokenGrid(spec), 5); // 20 -> 20 -> 10 -> 5
  const student = createStudent(spec, 2);
  const x = images(2, 20, 3);
  assert.deepEqual(run(student, x).shapes, [[2, 10], [2, 25, 10]]);
  const names = student.model.layers.map((l) => l.name);
  assert.ok(names.includes('s0b1_conv2') && names.includes('s1b0_proj_conv') && !names.includes('s0b1_proj_conv'), 'projection shortcut only where shapes change');
  // stage widths round(4 * [1, 1.5, 2]) = 4, 6, 8
  const width = (layer: string) => (student.model.getLayer(layer).getWeights()[0]!.shape)[3];
  assert.deepEqual([width('s0b0_conv1'), width('s1b0_conv1'), width('s2b0_conv1')], [4, 6, 8]);
  x.dispose();
  student.dispose();
});

test('ViT: outputs [CLS pooled N x d, patch tokens N x T x d] with projection when width != d', () => {
  const student = createStudent(tinyVit, 3);
  assert.equal(student.tokenGrid, 4);
  const x = images(2, 16, 3);
  assert.deepEqual(run(student, x).shapes, [[2, 12], [2, 16, 12]]);
  x.dispose();
  student.dispose();
  const same = createStudent({ ...tinyVit, embedDim: 16 }, 3); // width == d: no projection layer
  assert.ok(!same.model.layers.some((l) => l.name === 'embed_proj'));
  const y = images(2, 16, 3);
  assert.deepEqual(run(same, y).shapes, [[2, 16], [2, 16, 16]]);
  y.dispose();
  same.dispose();
  const vit28 = createStudent(defaultVitSpec(), 1);
  assert.equal(vit28.tokenGrid, 7);
  vit28.dispose();
});

test('same seed gives the same weights, another seed different ones (CNN and ViT)', () => {
  for (const spec of [defaultStudentSpec(), tinyVit]) {
    const a = createStudent(spec, 7), b = createStudent(spec, 7), c = createStudent(spec, 8);
    const values = (s: Student) => s.model.getWeights().map((w) => Array.from(w.dataSync()));
    const va = values(a);
    assert.deepEqual(va, values(b));
    assert.notDeepEqual(va, values(c));
    const x = images(2, spec.inputSize, spec.channels);
    assert.deepEqual(run(a, x).pooled, run(b, x).pooled);
    x.dispose();
    for (const s of [a, b, c]) s.dispose();
  }
});

test('weights have recognisable names: biases and norm parameters end in /bias, /gamma, /beta', () => {
  for (const spec of [defaultStudentSpec(), tinyVit]) {
    const student = createStudent(spec, 1);
    const names = student.model.trainableWeights.map((w) => w.originalName);
    for (const n of names) assert.match(n, /\/(kernel|bias|gamma|beta|cls_token|pos_embedding|qkv\/kernel|qkv\/bias|proj\/kernel|proj\/bias)$/, n);
    assert.ok(names.some((n) => n.endsWith('bn/gamma') || n.endsWith('ln1/gamma')));
    assert.equal(new Set(names).size, names.length);
    assert.equal(student.trainableVariables().length, names.length);
    student.dispose();
  }
});

test('a training step reaches every trainable variable and leaks no tensors', () => {
  for (const spec of [defaultStudentSpec(16), tinyVit]) {
    const student = createStudent(spec, 5);
    const x = images(4, spec.inputSize, spec.channels);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => {
      const out = student.apply(x, true);
      return tf.add(tf.sum(tf.square(tf.sub(out.pooled, 0.3))), tf.mean(tf.square(tf.sub(out.tokens, 0.1)))) as tf.Scalar;
    }, student.trainableVariables());
    for (const v of student.trainableVariables()) {
      const g = grads[v.name];
      assert.ok(g && tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 0, `no gradient for ${v.name}`);
    }
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before);
    x.dispose();
    student.dispose();
  }
});

test('ViT save/load round trip through model.json + weights gives identical outputs', async () => {
  const student = createStudent(tinyVit, 9);
  let saved: tf.io.ModelArtifacts | undefined;
  await student.model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const topology = JSON.stringify(saved!.modelTopology);
  for (const name of customLayerClassNames) assert.ok(topology.includes(name), name);
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
  const restored = studentFromModel(loaded, tinyVit);
  assert.equal(restored.tokenGrid, 4);
  assert.equal(restored.embedDim, 12);
  const x = images(2, 16, 3, 4);
  const a = run(student, x), b = run(restored, x);
  assert.deepEqual(b.shapes, a.shapes);
  a.pooled.flat().forEach((v, i) => assert.ok(Math.abs(v - b.pooled.flat()[i]!) < 1e-6));
  a.tokens.flat(2).forEach((v, i) => assert.ok(Math.abs(v - b.tokens.flat(2)[i]!) < 1e-6));
  x.dispose();
  student.dispose();
  restored.dispose();
});

test('bad specs and bad images are one-line UserErrors', () => {
  assert.throws(() => validateStudentSpec({ kind: 'mlp' }, 'config.yaml student'), (e: unknown) => e instanceof UserError && /config.yaml student: 'kind'/.test(e.message));
  assert.throws(() => validateStudentSpec({ ...defaultStudentSpec(), blocksPerStage: [1] }), /one per width multiplier/);
  assert.throws(() => createStudent({ ...tinyVit, patchSize: 5 }, 1), (e: unknown) => e instanceof UserError && /not a multiple of patchSize 5/.test(e.message));
  assert.throws(() => createStudent({ ...tinyVit, numHeads: 3 }, 1), /not divisible by numHeads 3/);
  const student = createStudent(defaultStudentSpec(), 1);
  const wrong = images(1, 32, 1);
  assert.throws(() => student.apply(wrong, false), (e: unknown) => e instanceof UserError && /28 x 28 x 1/.test(e.message));
  wrong.dispose();
  student.dispose();
});
