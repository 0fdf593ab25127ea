/**
 * The 20-step graph-vs-eager setup shared by graph.test.ts and its oneDNN child process (graph-child.ts): a
 * small CNN student at 16 px, fixed random teacher features with tokens (and logits, which the trainer passes through), 4 epochs x 5 steps.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/backend/index.js';
import { train, type TrainConfig, type TrainEvent } from '../../src/training/trainer.js';
import { gatherRows, type TeacherSource } from '../../src/training/teacher-source.js';
import { readLog } from '../../src/training/train-log.js';
import { createStudent, type StudentSpec } from '../../src/students/index.js';
import { createMethod } from '../../src/methods/index.js';
import type { DistillMethod } from '../../src/methods/types.js';
import { Rng } from '../../src/util/random.js';
import { randomImages, snapshot } from './fixtures.js';

export const N = 40, BATCH = 8, TEACHER_DIM = 12, GRID = 2, CLASSES = 5;
export const data = randomImages(N, 5, 16);
const rng = new Rng(17);
const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const teacherPooled = fill(N * TEACHER_DIM), teacherTokens = fill(N * GRID * GRID * TEACHER_DIM), teacherLogits = fill(N * CLASSES);
/** Fixed random teacher features, logits included (the trainer carries them as step data when a source gives them). */
export const teacherSource: TeacherSource = {
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
export const config: TrainConfig = { epochs: 4, batchSize: BATCH, lr: 0.003, minLr: 1e-4, weightDecay: 0.05, warmupEpochs: 1, seed: 2, views: 0, progress: false };

export async function run(method: string, stepPath: 'graph' | 'eager') {
  const student = createStudent(spec, 3);
  const m: DistillMethod = await createMethod({ name: method }, { teacherDim: TEACHER_DIM, studentDim: 8, teacherTokens: true, seed: 4 });
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

