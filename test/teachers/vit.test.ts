/**
 * ViT teachers as users export them, against onnxruntime-Python's raw outputs of the tiny ViT fixture
 * (test/fixtures/tiny-vit, made by scripts/fixtures/make_tiny_vit.py): CLS / registers / patches split, CLS from
 * another output, no CLS, pooling to a grid, channels-last maps, combined outputs, external-data identity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { createTeacher, forwardTeacher } from '../../src/teachers/index.js';
import { mapLayout } from '../../src/teachers/tokens.js';
import { entryKeys } from '../../src/cache/key.js';
import { UserError } from '../../src/util/errors.js';
import { tinyConvOnnx } from './onnxFixture.js';
import { maxAbsDiff } from './helpers.js';

await initBackend();
const FIXTURE = resolve('test/fixtures/tiny-vit');
const MODEL = join(FIXTURE, 'tiny_vit.onnx');
interface Golden {
  size: number; registers: number; dim: number; images: number[][];
  outputs: Record<string, { shape: number[]; values: number[] }>;
}
const golden = JSON.parse(readFileSync(join(FIXTURE, 'golden.json'), 'utf8')) as Golden;
const N = golden.images.length, S = golden.size, D = golden.dim, K = golden.registers;
const hidden = golden.outputs.last_hidden_state!;
const T = hidden.shape[1]!; // 1 + K + 16
const P = T - 1 - K;
const G = Math.sqrt(P);
const tol = 2e-5;

function images(): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(golden.images.flat(), (v) => v / 255), [N, S, S, 3]);
}
/** Golden token t of image n (float64 copies). */
const tok = (n: number, t: number) => hidden.values.slice((n * T + t) * D, (n * T + t + 1) * D);

async function run(spec: string) {
  const teacher = await createTeacher(spec);
  const x = images();
  const out = await forwardTeacher(teacher, x);
  const r = { id: teacher.id, grid: teacher.tokenGrid, dim: teacher.embedDim, pooled: out.pooled.arraySync(), tokens: out.tokens?.arraySync() };
  tf.dispose([x, out.pooled, ...(out.tokens ? [out.tokens] : [])]);
  teacher.dispose();
  return r;
}

test('tiny ViT: CLS is pooled, registers are skipped, patches are the 4x4 token map (vs onnxruntime)', async () => {
  const before = tf.memory().numTensors;
  const r = await run(`onnx:${MODEL}#registers=${K},grid=full`);
  assert.equal(r.dim, D);
  assert.equal(r.grid, G);
  for (let n = 0; n < N; n++) {
    assert.ok(maxAbsDiff(r.pooled[n]!, tok(n, 0)) < tol, 'pooled = CLS');
    for (let p = 0; p < P; p++) assert.ok(maxAbsDiff(r.tokens![n]![p]!, tok(n, 1 + K + p)) < tol, `patch ${p}`);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('tiny ViT: CLS from pooler_output; no CLS gives the patch mean; grid 2 average-pools the patches', async () => {
  const pooler = golden.outputs.pooler_output!.values;
  const a = await run(`onnx:${MODEL}#registers=${K},cls=pooler_output,grid=2`);
  for (let n = 0; n < N; n++) assert.ok(maxAbsDiff(a.pooled[n]!, pooler.slice(n * D, (n + 1) * D)) < tol);
  assert.equal(a.grid, 2);
  for (let n = 0; n < N; n++) {
    for (let cell = 0; cell < 4; cell++) {
      const [ci, cj] = [Math.floor(cell / 2), cell % 2];
      const mean = new Array(D).fill(0);
      for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        const t = tok(n, 1 + K + (2 * ci + i!) * G + 2 * cj + j!);
        for (let d = 0; d < D; d++) mean[d] += t[d]! / 4;
      }
      assert.ok(maxAbsDiff(a.tokens![n]![cell]!, mean) < tol, `cell ${cell}`);
    }
  }
  // No CLS: the registers + CLS are then read as patches unless skipped: 1 + K tokens skipped as registers.
  const b = await run(`onnx:${MODEL}#cls=none,registers=${K + 1},grid=full`);
  for (let n = 0; n < N; n++) {
    const mean = new Array(D).fill(0);
    for (let p = 0; p < P; p++) tok(n, 1 + K + p).forEach((v, d) => { mean[d] += v / P; });
    assert.ok(maxAbsDiff(b.pooled[n]!, mean) < tol);
  }
  assert.notEqual(a.id, b.id);
});

test('tiny ViT: a channels-last map output is recognised; outputs combine along the feature axis', async () => {
  const m = await run(`onnx:${MODEL}#output=patch_map,grid=full`);
  for (let n = 0; n < N; n++) for (let p = 0; p < P; p++) assert.ok(maxAbsDiff(m.tokens![n]![p]!, tok(n, 1 + K + p)) < tol);
  const c = await run(`onnx:${MODEL}#output=last_hidden_state+patch_map,registers=${K},grid=full`);
  assert.equal(c.dim, 2 * D);
  const patchMean = (n: number) => { const s = new Array(D).fill(0); for (let p = 0; p < P; p++) tok(n, 1 + K + p).forEach((v, d) => { s[d] += v / P; }); return s; };
  for (let n = 0; n < N; n++) {
    assert.ok(maxAbsDiff(c.pooled[n]!, [...tok(n, 0), ...patchMean(n)]) < tol);
    assert.ok(maxAbsDiff(c.tokens![n]![5]!, [...tok(n, 1 + K + 5), ...tok(n, 1 + K + 5)]) < tol);
  }
});

test('token layout errors: a wrong register count and an ambiguous map are one-line errors naming the flag', async () => {
  await assert.rejects(createTeacher(`onnx:${MODEL}#registers=1`), (e: Error) => e instanceof UserError && /registers=<k>/.test(e.message) && !e.message.includes('\n'));
  await assert.rejects(createTeacher(`onnx:${MODEL}#output=nope`), /outputs: last_hidden_state, pooler_output, patch_map/);
  assert.throws(() => mapLayout('y', [1, 4, 4, 4], [1, 4, 4, 4], 'auto', 'onnx teacher', ['y', 'z']), (e: Error) => /outputs: y, z/.test(e.message) && /layout=nchw/.test(e.message));
  assert.equal(mapLayout('y', [1, 384, 16, 16], ['N', 384, 'H', 'W'], 'auto', 's', ['y']), 'nchw');
  assert.equal(mapLayout('y', [1, 16, 16, 384], ['N', 16, 16, 384], 'auto', 's', ['y']), 'nhwc');
  assert.equal(mapLayout('y', [1, 16, 16, 384], undefined, 'auto', 's', ['y']), 'nhwc');
});

test('a 1x1 feature map gives pooled only, not copies of one token', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-vit-'));
  const path = join(dir, 'conv.onnx');
  writeFileSync(path, tinyConvOnnx([[1, 0, 0], [0, 1, 0]], [0, 0]));
  const teacher = await createTeacher(`onnx:${path}`, { inputSize: 1 });
  assert.equal(teacher.tokenGrid, undefined);
  teacher.dispose();
});

test('external weights: loaded from the model folder whatever the cwd; different weights, different cache keys', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tintem-ext-'));
  const [a, b, c] = ['a', 'b', 'c'].map((d) => { mkdirSync(join(root, d)); return join(root, d); });
  for (const d of [a!, b!, c!]) {
    copyFileSync(join(FIXTURE, 'external', 'model.onnx'), join(d, 'model.onnx'));
    copyFileSync(join(FIXTURE, 'external', 'model.onnx.data'), join(d, 'model.onnx.data'));
  }
  const data = readFileSync(join(b!, 'model.onnx.data'));
  const f = new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  for (let i = 0; i < f.length; i++) f[i] = f[i]! * 0.5;
  writeFileSync(join(b!, 'model.onnx.data'), data);
  const cwd = process.cwd();
  process.chdir(tmpdir());
  try {
    const set = { name: 's', count: N, height: S, width: S, channels: 3 as const, pixels: images().dataSync() as Float32Array };
    const ids: string[] = [];
    const keys: string[] = [];
    for (const d of [a!, b!, c!]) {
      const r = await run(`onnx:${join(d, 'model.onnx')}#registers=${K},grid=full`);
      ids.push(r.id);
      const t = await createTeacher(`onnx:${join(d, 'model.onnx')}#registers=${K},grid=full`);
      keys.push(entryKeys(set, 0, 1, t)[0]!);
      t.dispose();
      if (d === a) for (let n = 0; n < N; n++) assert.ok(maxAbsDiff(r.pooled[n]!, tok(n, 0)) < tol, 'external copy = the in-graph model');
    }
    assert.notEqual(keys[0], keys[1], 'same graph, different external weights: different keys');
    assert.equal(keys[0], keys[2], 'same graph and weights: same key');
    await assert.rejects(async () => {
      writeFileSync(join(c!, 'model.onnx.data'), Buffer.alloc(0));
      const { rmSync } = await import('node:fs');
      rmSync(join(c!, 'model.onnx.data'));
      await createTeacher(`onnx:${join(c!, 'model.onnx')}`);
    }, /external data 'model.onnx.data'.*not found/);
  } finally {
    process.chdir(cwd);
  }
});
