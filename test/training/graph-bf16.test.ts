/**
 * precision bf16: the compiled step runs convolutions and matmuls in bfloat16 (src/backend/graph/recorder.ts)
 * and keeps everything else in float32; it must not change what is learned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { Stepper } from '../../src/backend/graph/index.js';
import { fullPrecision } from '../../src/backend/precision.js';
import { train, type TrainConfig, type TrainEvent } from '../../src/training/trainer.js';
import { gatherRows, type TeacherSource } from '../../src/training/teacher-source.js';
import { readLog } from '../../src/training/train-log.js';
import { createStudent, type StudentSpec } from '../../src/students/index.js';
import { createMethod } from '../../src/methods/index.js';
import { Rng } from '../../src/util/random.js';
import { randomImages } from './fixtures.js';

await initBackend('tensorflow');

/** One step through a compiled graph of the given precision; returns the second (graph) run's results. */
function graphValues(precision: 'fp32' | 'bf16', step: () => tf.Tensor[]): { values: number[][]; bf16Kernels: number } {
  const stepper = new Stepper({ mode: 'graph', strict: true, precision });
  try {
    tf.dispose(stepper.step([], step).results); // recorded, then the same step as a graph
    const r = stepper.step([], step);
    assert.equal(r.graph, true);
    const values = r.results.map((t) => Array.from(t.dataSync()));
    tf.dispose(r.results);
    return { values, bf16Kernels: stepper.bf16Kernels };
  } finally {
    stepper.dispose();
  }
}

test('bf16: matmuls and convolutions round their operands to bfloat16, everything around them stays float32 (hand-computed values)', () => {
  // 1 + 2^-10 is exact in float32 and rounds to 1 in bfloat16 (8 significant bits); 2^-12 added after the
  // matmul survives only in float32.
  const a = tf.variable(tf.tensor2d([[1 + 2 ** -10, 3]]), true);
  const b = tf.tensor2d([[1], [1]]);
  const img = tf.tensor4d([1 + 2 ** -9, 2, 3, 4], [1, 2, 2, 1]);
  const kernel = tf.variable(tf.tensor4d([1, 1, 1, 1 + 2 ** -10], [2, 2, 1, 1]), true);
  const step = () => [tf.tidy(() => tf.add(tf.matMul(a, b), 2 ** -12)), tf.tidy(() => tf.reshape(tf.conv2d(img, kernel, 1, 'valid'), [1])),
    tf.tidy(() => fullPrecision(() => tf.matMul(a, b)))];
  try {
    const f = graphValues('fp32', step);
    const h = graphValues('bf16', step);
    // float32: (1 + 2^-10) + 3 + 2^-12; conv: (1 + 2^-9) + 2 + 3 + 4 (1 + 2^-10).
    assert.deepEqual(f.values, [[4 + 2 ** -10 + 2 ** -12], [10 + 2 ** -9 + 2 ** -8], [4 + 2 ** -10]]);
    assert.equal(f.bf16Kernels, 0);
    // bfloat16 operands: 1 + 3, then + 2^-12 in float32; conv: 1 + 2 + 3 + 4 (1 + 2^-9 rounds to 1 too:
    // bf16 keeps 7 fraction bits, so 2^-9 is below half an ulp of 1); the fullPrecision matmul stays exact.
    assert.deepEqual(h.values, [[4 + 2 ** -12], [10], [4 + 2 ** -10]]);
    assert.equal(h.bf16Kernels, 2);
  } finally {
    tf.dispose([a, b, img, kernel]);
  }
});

const rng = new Rng(23);
const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

/** 20 TinTeM steps (all four terms) of `spec` on random images and teacher features, on the graph path. */
async function run20(spec: StudentSpec, precision: 'fp32' | 'bf16', teacher: { dim: number; grid: number; pooled: Float32Array; tokens: Float32Array }) {
  const N = 40, D = teacher.dim, T = teacher.grid * teacher.grid;
  const source: TeacherSource = {
    dim: D, hasTokens: true, isCached: () => true,
    async features(indices) {
      return {
        pooled: tf.tensor2d(gatherRows(teacher.pooled, D, indices), [indices.length, D]),
        tokens: tf.tensor3d(gatherRows(teacher.tokens, T * D, indices), [indices.length, T, D]),
      };
    },
  };
  const student = createStudent(spec, 3);
  const method = await createMethod({ name: 'tintem' }, { teacherDim: D, studentDim: spec.embedDim, teacherTokens: true, seed: 4 });
  const runDir = mkdtempSync(join(tmpdir(), 'tintem-bf16-'));
  const events: TrainEvent[] = [];
  // 40 / 8 = 5 steps an epoch, 4 epochs: warm-up to the peak learning rate and most of the decay.
  const config: TrainConfig = { epochs: 4, batchSize: 8, lr: 2e-3, minLr: 1e-5, weightDecay: 0.05, warmupEpochs: 1, seed: 2, views: 0, progress: false, stepPath: 'graph', precision };
  try {
    await train({ student, method, data: randomImages(N, 5, spec.inputSize, spec.channels), config, runDir, teacherFeatures: source, onEvent: (e) => events.push(e) });
    return { log: readLog(join(runDir, 'train.jsonl')), paths: events.filter((e) => e.type === 'path') };
  } finally {
    student.dispose();
    method.dispose();
    rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * The tolerance, derived: bf16 rounds each conv / matmul operand to 8 significant bits (relative error at most
 * 2^-9 ~ 0.2 %), products accumulate in float32, so one layer's output is off by ~2 x 2^-9 relative at worst,
 * ~0.1 % typically (independent roundings partly cancel over a dot product); through the ~10 layers of the
 * student's forward and the head that is ~1 % in the embeddings. The loss terms are smooth in them: the cosine
 * terms move by about the embedding error, the KL terms (affinities over cosines at temperatures down to 0.01;
 * the cosines themselves are computed in float32) by a few times it. Over 20 AdamW steps the two runs' weights
 * drift apart further (Adam's updates are ~lr sign(g), so a gradient component that changes sign moves a weight
 * by 2 lr); so each term of each step within 5 % relative, the mean over the 20 steps within 1 % (the means
 * average the per-step noise out). Measured here: at most 1.1 % per step and 0.06 % for the means; with the
 * cosine matrices in bf16 too (no fullPrecision) 2.2 % and 0.4 %; a wrong graph is off by far more.
 */
function assertTracks(bf16: Awaited<ReturnType<typeof run20>>, fp32: Awaited<ReturnType<typeof run20>>, what: string) {
  assert.deepEqual([...bf16.paths, ...fp32.paths].map((p) => (p as { path: string }).path), ['graph', 'graph']);
  assert.equal(bf16.log.length, 20);
  assert.equal(fp32.log.length, 20);
  let differs = false;
  for (const term of Object.keys(fp32.log[0]!.terms)) {
    let sumB = 0, sumF = 0;
    for (let s = 0; s < 20; s++) {
      const b = bf16.log[s]!.terms[term]!, f = fp32.log[s]!.terms[term]!;
      sumB += b;
      sumF += f;
      if (b !== f) differs = true;
      assert.ok(Math.abs(b - f) <= 0.05 * Math.abs(f) + 1e-6, `${what}: ${term} at step ${s}: bf16 ${b} vs fp32 ${f}`);
    }
    assert.ok(Math.abs(sumB - sumF) <= 0.01 * Math.abs(sumF), `${what}: ${term} mean over 20 steps: bf16 ${sumB / 20} vs fp32 ${sumF / 20}`);
  }
  assert.ok(differs, `${what}: the bf16 run equals the fp32 run bit for bit: bf16 did not run`);
}

test('20 bf16 graph steps track 20 fp32 steps from the same seed (TinTeM, MNIST-size CNN at 28 px)', async () => {
  const spec: StudentSpec = { kind: 'cnn', inputSize: 28, channels: 1, embedDim: 64, stemWidth: 32, stemStride: 2, widthMultipliers: [1, 2], blocksPerStage: [1, 1] };
  const teacher = { dim: 48, grid: 2, pooled: fill(40 * 48), tokens: fill(40 * 4 * 48) };
  assertTracks(await run20(spec, 'bf16', teacher), await run20(spec, 'fp32', teacher), 'mnist');
});

test('20 bf16 graph steps track 20 fp32 steps from the same seed (TinTeM, photo-shaped ViT at 32 px, 3 channels)', async () => {
  const spec: StudentSpec = { kind: 'vit', inputSize: 32, channels: 3, embedDim: 32, patchSize: 8, width: 48, depth: 2, numHeads: 3, mlpRatio: 2 };
  const teacher = { dim: 48, grid: 4, pooled: fill(40 * 48), tokens: fill(40 * 16 * 48) };
  assertTracks(await run20(spec, 'bf16', teacher), await run20(spec, 'fp32', teacher), 'photo vit');
});

test('the first bf16 graph step is still checked against the eager one: a step that needs float32 falls back (results and variables)', () => {
  // (1 + 2^-10) x 1 - 1 is 2^-10 in float32 and 0 with bf16 operands: off by all of it.
  const a = tf.variable(tf.tensor2d([[1 + 2 ** -10]]), true);
  const b = tf.tensor2d([[1]]);
  const v = tf.variable(tf.tensor2d([[0.5]]), true);
  try {
    for (const where of ['results', 'variables'] as const) {
      const reasons: string[] = [];
      const stepper = new Stepper({ mode: 'auto', precision: 'bf16', onFallback: (r) => reasons.push(r) });
      const r = stepper.step([], () => [tf.tidy(() => {
        const small = tf.sub(tf.matMul(a, b), 1);
        if (where === 'variables') {
          v.assign(small as tf.Tensor2D);
          return tf.sum(b);
        }
        return tf.sum(small);
      })]);
      assert.equal(r.graph, false);
      if (where === 'results') assert.equal(r.results[0]!.dataSync()[0], 2 ** -10, 'the eager result is kept');
      else assert.equal(v.dataSync()[0], 2 ** -10, "the eager step's state is kept");
      tf.dispose(r.results);
      stepper.dispose();
      assert.match(reasons[0] ?? '', where === 'results' ? /does not match the eager step \(the step results differ/ : /does not match the eager step \(the 1 variable the step sets differs? by/);
    }
  } finally {
    tf.dispose([a, b, v]);
  }
});
