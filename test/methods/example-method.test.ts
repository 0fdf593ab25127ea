/**
 * CONTRIBUTING.md's "add a method" recipe, done from a test without touching any source file: one
 * registerMethod entry (name, loss terms, zod options with defaults and help, constructor) and the method is in
 * the config schema, the distill help rows, the trainer and the run loader.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { initBackend, tf } from '../../src/backend/index.js';
import { methodConfigRows } from '../../src/config/describe.js';
import { loadRun } from '../../src/experiment/load-run.js';
import { registerMethod, unregisterMethod } from '../../src/methods/registry.js';
import type { DistillMethod } from '../../src/methods/types.js';
import { distillRegistries, loadDistillConfig } from '../../src/training/config.js';
import { runDistill } from '../../src/experiment/distill.js';
import { UserError } from '../../src/util/errors.js';

/** Mean squared difference of the two batches' cosine-similarity matrices (works across widths, no variables). */
function cosineMatrixMse(student: tf.Tensor2D, teacher: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const gram = (x: tf.Tensor2D) => { const n = tf.div(x, tf.norm(x, 2, 1, true).add(1e-8)); return tf.matMul(n, n, false, true); };
    return tf.mean(tf.square(tf.sub(gram(student), gram(teacher)))) as tf.Scalar;
  });
}

before(async () => {
  await initBackend();
  registerMethod({
    name: 'example-gram',
    summary: "example: match the batch's cosine-similarity matrix (registered by a test)",
    terms: { gram: { weight: 1, help: 'MSE between student and teacher cosine-similarity matrices' } },
    options: { scale: z.number().positive().default(2).describe('multiplies the loss') },
    async create(_ctx, settings): Promise<DistillMethod> {
      return {
        name: 'example-gram', weights: settings.weights, variables: [],
        losses: (student, teacher) => ({ gram: tf.tidy(() => tf.mul(cosineMatrixMse(student.pooled, teacher.pooled), settings.scale) as tf.Scalar) }),
        dispose() {},
      };
    },
  });
});
after(() => unregisterMethod('example-gram'));

test('example method: the loss is the hand value on a 2-image batch', () => {
  // student rows (1,0), (0,1): cosines [[1,0],[0,1]]; teacher rows (1,0), (1,1): cosines [[1,s],[s,1]], s = 1/sqrt(2).
  const v = cosineMatrixMse(tf.tensor2d([[1, 0], [0, 1]]), tf.tensor2d([[1, 0], [1, 1]]));
  assert.ok(Math.abs(v.dataSync()[0]! - (2 * 0.5) / 4) < 1e-6); // two off-diagonal entries of (1/sqrt 2)^2, over 4
  v.dispose();
});

test('example method: the config knows its options and defaults, and rejects what it does not take', async () => {
  const c = await loadDistillConfig(undefined, { set: ['method.name=example-gram'] });
  assert.deepEqual(c.method, { name: 'example-gram', weights: { gram: 1 }, tokens: true, scale: 2 });
  await assert.rejects(loadDistillConfig(undefined, { set: ['method.name=example-gram', 'method.taus=[0.1]'] }),
    (e: unknown) => e instanceof UserError && e.message === 'command line: method.taus: unknown key (expected one of: name, weights, tokens, scale)');
  await assert.rejects(loadDistillConfig(undefined, { set: ['method.name=example-gram', 'method.scale=-1'] }),
    (e: unknown) => e instanceof UserError && e.message.startsWith('command line: method.scale: too small'));
  const rows = methodConfigRows(distillRegistries, 'example-gram').map((r) => [r.key, r.default, r.help]);
  assert.deepEqual(rows, [
    ['method.weights.gram', '1', 'MSE between student and teacher cosine-similarity matrices'],
    ['method.tokens', 'true', "use the teacher's token map (the token terms; the cache stores tokens)"],
    ['method.scale', '2', 'multiplies the loss'],
  ]);
});

test('example method: trains end to end and loads back from its run folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-example-method-'));
  const config = await loadDistillConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': 'noise:48', epochs: 2, batchSize: 16, runDir: join(dir, 'run'), cacheDir: join(dir, 'cache'), progress: false },
    set: ['student.embedDim=8', 'method.name=example-gram', 'method.scale=3'],
  });
  const r = await runDistill(config);
  assert.deepEqual(Object.keys(r.summary!.finalTerms), ['gram']);
  assert.ok(r.summary!.finalTerms.gram! < r.summary!.firstEpochTerms.gram!, 'the loss goes down');
  assert.match(readFileSync(join(dir, 'run', 'config.yaml'), 'utf8'), /name: example-gram[\s\S]*scale: 3/);
  const run = await loadRun(join(dir, 'run'));
  assert.equal(run.method.name, 'example-gram');
  assert.equal(run.config.method.scale, 3);
  run.dispose();
});
