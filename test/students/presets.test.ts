/**
 * Student presets by name: parameter counts equal the reference implementations' (torchvision / timm, written by
 * scripts/fixtures/student_params.py into test/fixtures/student-params.json), token grids equal hand values, the
 * MobileNetV3 hard-sigmoid is relu6(x + 3) / 6, and every preset takes one graph training step at a small size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { createMethod } from '../../src/methods/index.js';
import {
  createStudent, resolveStudentSpec, studentFlops, studentName, studentParamCount, studentPresetNames, studentTokenGrid, studentWidthKey,
} from '../../src/students/index.js';
import { makeDivisible } from '../../src/students/mobilenetv3.js';
import { gatherRows, type TeacherSource } from '../../src/training/teacher-source.js';
import { train, type TrainEvent } from '../../src/training/trainer.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { randomImages } from '../training/fixtures.js';

await initBackend();

interface Fixture { inputSize: number; channels: number; presets: Record<string, { parameters: number; outputShape: number[] }> }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/student-params.json', import.meta.url), 'utf8')) as Fixture;
const PUBLISHED = ['resnet18', 'resnet50', 'mobilenetv3-small', 'mobilenetv3-large', 'vit-ti16', 'vit-ti14', 'vit-s16', 'vit-s14'];

test('the preset list: tintem\'s cnn and vit plus the published trunks, one fixture entry each', () => {
  assert.deepEqual([...studentPresetNames()].sort(), ['cnn', 'vit', ...PUBLISHED].sort());
  assert.deepEqual(Object.keys(fixture.presets).sort(), [...PUBLISHED].sort());
  assert.equal(fixture.inputSize, 224);
  assert.equal(fixture.channels, 3);
});

test('every published preset at 224 px, 3 channels has exactly the reference trunk\'s parameter count and width', () => {
  for (const name of PUBLISHED) {
    const student = createStudent(resolveStudentSpec({ preset: name }, 224, 3), 0);
    try {
      const ref = fixture.presets[name]!;
      assert.equal(studentParamCount(student), ref.parameters, name);
      // The reference's feature width (timm num_classes=0: [1, D]; torchvision: [1, D] or [1, D, 7, 7]).
      assert.equal(student.embedDim, ref.outputShape[1], `${name} width`);
      if (ref.outputShape.length === 4) assert.equal(student.tokenGrid, ref.outputShape[2], `${name} grid`);
    } finally {
      student.dispose();
    }
  }
  // The two counts the issue quotes.
  assert.equal(fixture.presets.resnet18!.parameters, 11_176_512);
  assert.equal(fixture.presets['vit-ti16']!.parameters, 5_524_416);
});

test('token grids by hand: /16 ViT at 224 -> 14, /14 -> 16, at 196 -> 14; CNN trunks /32 (224 -> 7, 32 -> 1)', () => {
  const grid = (preset: string, size: number) => studentTokenGrid(resolveStudentSpec({ preset }, size, 3));
  assert.equal(grid('vit-ti16', 224), 14);
  assert.equal(grid('vit-ti14', 224), 16);
  assert.equal(grid('vit-s14', 196), 14);
  assert.equal(grid('vit-s16', 32), 2);
  assert.equal(grid('resnet18', 224), 7);
  assert.equal(grid('resnet50', 160), 5);
  assert.equal(grid('resnet18', 32), 1);
  assert.equal(grid('mobilenetv3-small', 224), 7);
  assert.equal(grid('mobilenetv3-large', 96), 3);
  // PyTorch's floor((s + 2p - k) / s) + 1 at odd sizes: 225 -> 113 -> 57 -> 29 -> 15 -> 8.
  assert.equal(grid('resnet18', 225), 8);
  assert.equal(grid('mobilenetv3-small', 225), 8);
});

test('a ViT preset\'s position embeddings follow the input size: (grid^2 + 1) x width', () => {
  for (const [size, tokens] of [[224, 197], [112, 50]] as const) {
    const student = createStudent(resolveStudentSpec({ preset: 'vit-ti16' }, size, 3), 0);
    try {
      const pos = student.model.weights.find((w) => w.name.includes('pos_embedding'))!;
      assert.deepEqual(pos.shape, [1, tokens, 192]);
    } finally {
      student.dispose();
    }
  }
});

test('embedDim is the trunk\'s own unless asked; other keys override the preset; names and errors', () => {
  const r18 = resolveStudentSpec({ preset: 'resnet18' }, 64, 3);
  assert.equal(r18.embedDim, 512);
  assert.equal(studentName(r18), 'resnet18');
  const projected = createStudent(resolveStudentSpec({ preset: 'resnet18', embedDim: 128 }, 32, 3), 0);
  try {
    assert.equal(projected.embedDim, 128);
    // the trunk plus one 1x1 projection with bias: 11,176,512 + 512 x 128 + 128
    assert.equal(studentParamCount(projected), 11_176_512 + 512 * 128 + 128);
  } finally {
    projected.dispose();
  }
  const narrow = resolveStudentSpec({ preset: 'vit-ti16', depth: 2, inputSize: 64 }, 28, 1);
  assert.deepEqual([narrow.kind, narrow.inputSize, narrow.channels, narrow.embedDim], ['vit', 64, 1, 192]);
  // tintem's own students resolve exactly as before presets (no preset key: earlier runs keep their fingerprint)
  assert.deepEqual(resolveStudentSpec({}, 28, 1), resolveStudentSpec({ kind: 'cnn' }, 28, 1));
  assert.equal('preset' in resolveStudentSpec({ preset: 'vit' }, 28, 1), false);
  assert.throws(() => resolveStudentSpec({ preset: 'resnet19' }, 224, 3),
    (e: unknown) => e instanceof UserError && e.message === `config student.preset: unknown student 'resnet19' (expected one of ${studentPresetNames().join(', ')})`);
  assert.throws(() => resolveStudentSpec({ preset: 'resnet18', patchSize: 4 }, 224, 3), /config student.patchSize: unknown key for a resnet student/);
  assert.throws(() => resolveStudentSpec({ preset: 'vit-ti14' }, 224 + 8, 3), /inputSize 232 is not a multiple of patchSize 14/);
  assert.throws(() => resolveStudentSpec({ preset: 'vit-ti14', kind: 'cnn' }, 224, 3), /preset 'vit-ti14' is a vit student, not kind 'cnn'/);
  assert.equal(studentWidthKey({ preset: 'vit-s14' }), 'width');
  assert.equal(studentWidthKey({}), 'stemWidth');
  assert.throws(() => studentWidthKey({ preset: 'resnet50' }), /--student-width: resnet50 has its published widths/);
});

test('MobileNetV3 hard-sigmoid and hard-swish are relu6(x + 3) / 6 and x relu6(x + 3) / 6 (hand values), not Keras\'s 0.2x + 0.5', () => {
  const student = createStudent(resolveStudentSpec({ preset: 'mobilenetv3-small' }, 32, 3), 0);
  try {
    const xs = [-4, -3, -1.5, 0, 1, 2.5, 3, 5];
    const hsig = student.model.getLayer('stem_act_hsig_clip');
    const affine = student.model.getLayer('stem_act_hsig_affine');
    const got = tf.tidy(() => (hsig.apply(affine.apply(tf.tensor1d(xs))) as tf.Tensor).arraySync() as number[]);
    const want = [0, 0, 0.25, 0.5, 4 / 6, 5.5 / 6, 1, 1];
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-6, `hsig(${xs[i]}) = ${g}, expected ${want[i]}`));
  } finally {
    student.dispose();
  }
  // torchvision's _make_divisible(v, 8): the squeeze widths of the table
  assert.deepEqual([16 / 4, 96 / 4, 240 / 4, 120 / 4, 144 / 4, 288 / 4, 576 / 4].map((v) => makeDivisible(Math.floor(v))), [8, 24, 64, 32, 40, 72, 144]);
});

test('FLOPs per image of the references (2 x multiply-adds; resnet18 at 224: 1.81 G MACs, vit-ti16: 1.25 G)', () => {
  const flops = (preset: string) => {
    const s = createStudent(resolveStudentSpec({ preset }, 224, 3), 0);
    try { return studentFlops(s.model); } finally { s.dispose(); }
  };
  // resnet18: fvcore's 1,814,073,344 multiply-adds at 224 px less the 512 x 1000 fc = 1,813,561,344 (torchvision lists 1.81 "GFLOPS")
  assert.equal(flops('resnet18'), 2 * 1_813_561_344);
  // vit-ti16: patch 14*14*768*192, 12 blocks of 197 tokens (4 x 197 x 192^2 + 2 x 197^2 x 192 + 2 x 197 x 192 x 768), no head
  const blocks = 12 * (4 * 197 * 192 * 192 + 2 * 197 * 197 * 192 + 2 * 197 * 192 * 768);
  assert.equal(flops('vit-ti16'), 2 * (196 * 768 * 192 + blocks));
});

/** Fixed random teacher features (12-d, a 2x2 token map). */
function teacherFor(n: number): TeacherSource {
  const rng = new Rng(3);
  const dim = 12, grid = 2;
  const pooled = Float32Array.from({ length: n * dim }, () => rng.normal());
  const tokens = Float32Array.from({ length: n * grid * grid * dim }, () => rng.normal());
  return {
    dim, hasTokens: true, isCached: () => true,
    async features(indices) {
      return {
        pooled: tf.tensor2d(gatherRows(pooled, dim, indices), [indices.length, dim]),
        tokens: tf.tensor3d(gatherRows(tokens, grid * grid * dim, indices), [indices.length, grid * grid, dim]),
      };
    },
  };
}

const STEP_SIZES: Record<string, number> = {
  cnn: 16, vit: 16, resnet18: 32, resnet50: 32, 'mobilenetv3-small': 32, 'mobilenetv3-large': 32,
  'vit-ti16': 32, 'vit-ti14': 28, 'vit-s16': 32, 'vit-s14': 28,
};

test('every preset takes one graph training step (TinTeM with tokens, batch 2, 16-32 px)', async () => {
  const started = performance.now();
  const times: string[] = [];
  for (const name of studentPresetNames()) {
    const t0 = performance.now();
    const size = STEP_SIZES[name]!;
    const student = createStudent(resolveStudentSpec({ preset: name }, size, 3), 1);
    const method = await createMethod({ name: 'tintem' }, { teacherDim: 12, studentDim: student.embedDim, teacherTokens: true, seed: 2 });
    const runDir = mkdtempSync(join(tmpdir(), `tintem-preset-${name}-`));
    const events: TrainEvent[] = [];
    try {
      const before = tf.tidy(() => (student.trainableVariables()[0]!.clone()));
      await train({
        student, method, data: randomImages(2, 4, size, 3), teacherFeatures: teacherFor(2), runDir, onEvent: (e) => events.push(e),
        config: { epochs: 1, batchSize: 2, lr: 1e-3, minLr: 1e-3, weightDecay: 0, warmupEpochs: 0, seed: 1, views: 0, progress: false, stepPath: 'graph' },
      });
      const path = events.find((e) => e.type === 'path');
      assert.equal(path?.type === 'path' && path.path, 'graph', `${name}: ${JSON.stringify(path)}`);
      const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(student.trainableVariables()[0]!, before))).dataSync()[0]!);
      before.dispose();
      assert.ok(moved > 0, `${name}: the first weight did not move`);
      const epoch = events.find((e) => e.type === 'epoch');
      assert.ok(epoch, `${name}: no epoch event`);
    } finally {
      student.dispose();
      method.dispose();
      rmSync(runDir, { recursive: true, force: true });
    }
    times.push(`${name} ${((performance.now() - t0) / 1000).toFixed(1)}`);
  }
  process.stderr.write(`preset graph steps: ${((performance.now() - started) / 1000).toFixed(1)} s (${times.join(', ')})\n`);
});
