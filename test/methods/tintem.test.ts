import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../../src/backend/index.js';
import { createTintem, pcaInitHead, prefitHead, type TintemMethod } from '../../src/methods/tintem.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';

type Matrix = number[][];
const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
const close = (a: number, e: number, tol = 1e-4) => Math.abs(a - e) <= tol * Math.max(1, Math.abs(e));

await initBackend();

// Fixed head parameters (the loss values themselves are checked against the reference in goldens.test.ts).
const gamma = [1, 0.5, 2];
const beta = [0.1, 0, -0.1];
const kernel: Matrix = [[1, 0], [0.5, -1], [0.2, 0.3]];
const bias = [0.05, -0.02];
const taus = [0.5, 1];

function setHead(method: TintemMethod): void {
  tf.tidy(() => {
    method.head.gamma!.assign(tf.tensor1d(gamma));
    method.head.beta!.assign(tf.tensor1d(beta));
    method.head.kernel.assign(tf.tensor2d(kernel));
    method.head.bias.assign(tf.tensor1d(bias));
  });
}

const teacherPooled: Matrix = [[1, 2, 0.5], [0.3, -1, 2], [2, 0.1, 0.4]];
const studentPooled: Matrix = [[0.5, 1], [1, -0.2], [-0.3, 0.8]];
const teacherTokens: Matrix[] = [
  [[1, 0, 0], [0.5, 1, 0.2], [0, 0.3, 1], [1, 1, 0.1]],
  [[0.2, 0.4, 2], [1, -1, 0], [0.3, 0.3, 0.3], [2, 0.5, -0.5]],
  [[0, 1, 1], [1, 2, 3], [-1, 0.5, 0], [0.4, 0.1, 0.9]],
];
const studentTokens: Matrix[] = [
  [[1, 0], [0, 1], [1, 1], [0.5, -0.5]],
  [[0.2, 0.9], [1, 0.1], [-0.4, 0.3], [0.7, 0.7]],
  [[0.1, -1], [0.6, 0.2], [0.3, 0.3], [1, -0.2]],
];

/** studentTokens of `method` for given student tokens (teacher fixed). */
function studentTokensLoss(method: TintemMethod, tokens: Matrix[]): number {
  return tf.tidy(() => method.losses(
    { pooled: tf.tensor2d(studentPooled), tokens: tf.tensor3d(tokens) },
    { pooled: tf.tensor2d(teacherPooled), tokens: tf.tensor3d(teacherTokens) },
  ).studentTokens!.dataSync()[0]!);
}

test('tintem: a finer student token grid is average-pooled to the teacher grid (4x4 -> 2x2)', () => {
  const method = createTintem({ teacherDim: 3, studentDim: 2, seed: 1, taus });
  setHead(method);
  const rng = new Rng(5);
  const fine: Matrix[] = [0, 1, 2].map(() => Array.from({ length: 16 }, () => [rng.normal(), rng.normal()]));
  // block (r, c) of the 2x2 grid averages fine cells (2r + dr, 2c + dc)
  const pooled = fine.map((img) => [0, 1, 2, 3].map((cell) => {
    const r = Math.floor(cell / 2), c = cell % 2;
    const members = [0, 1].flatMap((dr) => [0, 1].map((dc) => img[(2 * r + dr) * 4 + 2 * c + dc]!));
    return [mean(members.map((m) => m[0]!)), mean(members.map((m) => m[1]!))];
  }));
  const got = studentTokensLoss(method, fine);
  const want = studentTokensLoss(method, pooled);
  assert.ok(close(got, want, 1e-5), `${got} vs ${want} (the student's map pooled by hand)`);
  assert.ok(!close(got, studentTokensLoss(method, fine.map((img) => img.slice(0, 4))), 1e-3), 'a different 2x2 map gives another loss');

  // Grids that do not divide (3x3 student vs 2x2 teacher): adaptive average pooling with PyTorch's overlapping
  // bins, i.e. target cell (i, j) averages the 3x3 cells in rows {i, i+1} x cols {j, j+1}.
  const coarse3: Matrix[] = [0, 1, 2].map(() => Array.from({ length: 9 }, () => [rng.normal(), rng.normal()]));
  const adaptive = (img: Matrix) => [[0, 0], [0, 1], [1, 0], [1, 1]].map(([i, j]) => {
    const cells = [img[i! * 3 + j!]!, img[i! * 3 + j! + 1]!, img[(i! + 1) * 3 + j!]!, img[(i! + 1) * 3 + j! + 1]!];
    return [mean(cells.map((v) => v[0]!)), mean(cells.map((v) => v[1]!))];
  });
  const got3 = studentTokensLoss(method, coarse3);
  const want3 = studentTokensLoss(method, coarse3.map(adaptive));
  assert.ok(close(got3, want3, 1e-5), `${got3} vs ${want3}`);
  method.dispose();
});

test('tintem: token terms are skipped without teacher tokens or with local=false', () => {
  const method = createTintem({ teacherDim: 3, studentDim: 2, seed: 1, taus });
  const student = { pooled: tf.tensor2d(studentPooled), tokens: tf.tensor3d(studentTokens) };
  const keys = tf.tidy(() => Object.keys(method.losses(student, { pooled: tf.tensor2d(teacherPooled) })));
  assert.deepEqual(keys.sort(), ['headGlobal', 'studentPooled']);
  method.dispose();
  const global = createTintem({ teacherDim: 3, studentDim: 2, seed: 1, taus, local: false });
  const keys2 = tf.tidy(() => Object.keys(global.losses(student, { pooled: tf.tensor2d(teacherPooled), tokens: tf.tensor3d(teacherTokens) })));
  assert.deepEqual(keys2.sort(), ['headGlobal', 'studentPooled']);
  global.dispose();
  tf.dispose(student);
});

test('tintem: student terms give zero gradient to the head, head terms give zero gradient to the student', () => {
  const method = createTintem({ teacherDim: 3, studentDim: 2, seed: 2, taus });
  const sPooled = tf.variable(tf.tensor2d(studentPooled), true, 'test/tintem/student_pooled');
  const sTokens = tf.variable(tf.tensor3d(studentTokens), true, 'test/tintem/student_tokens');
  const teacher = { pooled: tf.tensor2d(teacherPooled), tokens: tf.tensor3d(teacherTokens) };
  const all = [sPooled, sTokens, ...method.variables];
  const isZero = (g: tf.Tensor | undefined) => g === undefined || tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]) === 0;
  const isNonZero = (g: tf.Tensor | undefined) => g !== undefined && tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]!) > 1e-6;

  const studentSide = tf.variableGrads(() => {
    const t = method.losses({ pooled: sPooled as tf.Tensor2D, tokens: sTokens as tf.Tensor3D }, teacher);
    return tf.add(t.studentPooled!, t.studentTokens!) as tf.Scalar;
  }, all);
  for (const v of method.variables) assert.ok(isZero(studentSide.grads[v.name]), `student loss moved ${v.name}`);
  assert.ok(isNonZero(studentSide.grads[sPooled.name]) && isNonZero(studentSide.grads[sTokens.name]));

  const headSide = tf.variableGrads(() => {
    const t = method.losses({ pooled: sPooled as tf.Tensor2D, tokens: sTokens as tf.Tensor3D }, teacher);
    return tf.add(t.headGlobal!, t.headLocal!) as tf.Scalar;
  }, all);
  assert.ok(isZero(headSide.grads[sPooled.name]) && isZero(headSide.grads[sTokens.name]));
  for (const v of method.variables) assert.ok(isNonZero(headSide.grads[v.name]), `head loss did not reach ${v.name}`);
  tf.dispose([studentSide.value, headSide.value, ...Object.values(studentSide.grads), ...Object.values(headSide.grads), sPooled, sTokens, teacher.pooled, teacher.tokens]);
  method.dispose();
});

test('tintem: variables have descriptive unique names; losses + gradients leak no tensors', () => {
  const a = createTintem({ teacherDim: 3, studentDim: 2, seed: 3 });
  assert.deepEqual(a.variables.map((v) => v.name), ['tintem/head/ln/gamma', 'tintem/head/ln/beta', 'tintem/head/linear/kernel', 'tintem/head/linear/bias']);
  const b = createTintem({ teacherDim: 3, studentDim: 2, seed: 3 }); // a second live instance gets a distinct prefix
  assert.deepEqual(b.variables.map((v) => v.name), ['tintem/head_1/ln/gamma', 'tintem/head_1/ln/beta', 'tintem/head_1/linear/kernel', 'tintem/head_1/linear/bias']);
  assert.deepEqual(Array.from(a.head.kernel.dataSync()), Array.from(b.head.kernel.dataSync()), 'same seed -> same head');
  b.dispose();
  const student = { pooled: tf.tensor2d(studentPooled), tokens: tf.tensor3d(studentTokens) };
  const teacher = { pooled: tf.tensor2d(teacherPooled), tokens: tf.tensor3d(teacherTokens) };
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const { value, grads } = tf.variableGrads(() => {
      const t = a.losses(student, teacher);
      return tf.addN(Object.values(t)) as tf.Scalar;
    }, a.variables);
    tf.dispose([value, ...Object.values(grads)]);
    tf.dispose(a.mapTeacher(teacher.pooled));
  }
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => tf.tidy(() => a.losses(student, { pooled: tf.zeros([3, 5]) as tf.Tensor2D })), (e: unknown) => e instanceof UserError && /width 3, got 5/.test(e.message));
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([student.pooled, student.tokens, teacher.pooled, teacher.tokens]);
  a.dispose();
  assert.throws(() => createTintem({ teacherDim: 3, studentDim: 2, seed: 1, weights: { headGlobl: 1 } as never }), /unknown loss weight 'headGlobl'/);
});

/** A low-rank teacher set: rank-3 latent times a 3 x 16 map with zero-mean rows (so LayerNorm keeps the rank), + noise. */
function lowRankSet(n: number, dim: number, rank: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const a = Array.from({ length: rank }, () => {
    const row = Array.from({ length: dim }, () => rng.normal());
    const m = mean(row);
    return row.map((v) => v - m);
  });
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: rank }, () => rng.normal());
    for (let j = 0; j < dim; j++) out[i * dim + j] = z.reduce((s, zk, k) => s + zk * a[k]![j]!, 0) + 0.01 * rng.normal();
  }
  return out;
}

function cosineError(method: TintemMethod, data: Float32Array, n: number, dim: number): number {
  return tf.tidy(() => {
    const t = tf.tensor2d(data, [n, dim]);
    const norm = (x: tf.Tensor2D) => tf.div(x, tf.norm(x, 2, 1, true));
    const simT = tf.matMul(norm(t), norm(t), false, true);
    const mapped = method.mapTeacher(t);
    const simH = tf.matMul(norm(mapped), norm(mapped), false, true);
    return tf.mean(tf.abs(tf.sub(simT, simH))).dataSync()[0]!;
  });
}

test('pcaInitHead preserves cosine structure of a low-rank set far better than a random head', () => {
  const n = 64, dim = 16, d = 3;
  const data = lowRankSet(n, dim, d, 11);
  const random = createTintem({ teacherDim: dim, studentDim: d, seed: 4 });
  const pca = createTintem({ teacherDim: dim, studentDim: d, seed: 4 });
  pcaInitHead(pca, data, n);
  const randomErr = cosineError(random, data, n, dim);
  const pcaErr = cosineError(pca, data, n, dim);
  assert.ok(pcaErr < 0.02, `pca cosine error ${pcaErr}`);
  assert.ok(pcaErr < randomErr / 5, `pca ${pcaErr} vs random ${randomErr}`);
  // and the head loss it is trained with agrees
  const kl = (m: TintemMethod) => tf.tidy(() => m.headLosses({ pooled: tf.tensor2d(data, [n, dim]) }).headGlobal!.dataSync()[0]!);
  assert.ok(kl(pca) < kl(random) / 2, `KL pca ${kl(pca)} vs random ${kl(random)}`);
  // LayerNorm starts as the identity, the bias at 0, the kernel's columns orthonormal
  assert.deepEqual(Array.from(pca.head.gamma!.dataSync()), new Array(dim).fill(1));
  assert.deepEqual(Array.from(pca.head.bias.dataSync()), [0, 0, 0]);
  const gram = tf.tidy(() => tf.matMul(pca.head.kernel, pca.head.kernel, true, false).arraySync() as Matrix);
  gram.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - (i === j ? 1 : 0)) < 1e-4)));
  assert.throws(() => pcaInitHead(pca, data, n + 1), UserError);
  random.dispose();
  pca.dispose();
});

test('prefitHead lowers the head loss on cached embeddings and is deterministic', () => {
  const n = 48, dim = 12, d = 4, tokens = 4;
  const pooled = lowRankSet(n, dim, 6, 21);
  const tokenData = lowRankSet(n * tokens, dim, 6, 22);
  const run = () => {
    const method = createTintem({ teacherDim: dim, studentDim: d, seed: 6, taus: [0.05, 0.1] });
    const before = tf.memory().numTensors;
    const { epochLosses } = prefitHead(method, pooled, tokenData, { epochs: 8, batchSize: 16, lr: 0.02, seed: 1 });
    assert.equal(tf.memory().numTensors, before);
    method.dispose();
    return epochLosses;
  };
  const losses = run();
  assert.equal(losses.length, 8);
  assert.ok(losses[7]! < 0.7 * losses[0]!, `losses ${losses.map((l) => l.toFixed(4)).join(' ')}`);
  assert.deepEqual(run(), losses);
  const method = createTintem({ teacherDim: dim, studentDim: d, seed: 6 });
  assert.throws(() => prefitHead(method, pooled.subarray(0, 10), undefined, { epochs: 1, batchSize: 8, lr: 0.01, seed: 1 }), UserError);
  assert.throws(() => prefitHead(method, pooled, tokenData.subarray(0, 100), { epochs: 1, batchSize: 8, lr: 0.01, seed: 1 }), UserError);
  method.dispose();
});
