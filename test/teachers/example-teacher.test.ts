/**
 * Adding a teacher kind is one file (an entry), one registration line and one test: this test registers an example
 * kind (`patchmean`: each image's 2x2 patch means, a hand-checkable "model"), builds it from a spec, sees it in the
 * spec help, config validation and the docs table, distils a student from it end to end and unregisters it,
 * touching no other source file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { configDocsMarkdown } from '../../src/cli/config-docs.js';
import { runDistill } from '../../src/experiment/distill.js';
import { createTeacher, registerTeacher, teacherEntries, teacherSpecHelp, unregisterTeacher, type TeacherEntry } from '../../src/teachers/registry.js';
import type { Teacher } from '../../src/teachers/types.js';
import { loadDistillConfig } from '../../src/training/config.js';
import { UserError } from '../../src/util/errors.js';

/**
 * `patchmean[:<scale>]`: resizes to 4x4, takes the mean of each 2x2 patch per channel as the tokens (T = 4,
 * D = channels x 2, the second half scaled by `scale`), pooled = the mean of the tokens. Linear, so hand-checkable.
 */
function createPatchMean(scale: number, channels: number): Teacher {
  const dim = channels * 2;
  return {
    id: `patchmean:${scale}`, embedDim: dim, tokenGrid: 2, inputSize: 4,
    forward(images) {
      return tf.tidy(() => {
        const x = tf.image.resizeBilinear(images, [4, 4]);
        const patches = tf.avgPool(x, 2, 2, 'valid').reshape([images.shape[0], 4, images.shape[3]]) as tf.Tensor3D;
        const tokens = tf.concat([patches, patches.mul(scale)], 2) as tf.Tensor3D;
        return { pooled: tokens.mean(1) as tf.Tensor2D, tokens: tf.keep(tokens) };
      });
    },
    dispose() {},
  };
}

const patchMean: TeacherEntry = {
  kind: 'patchmean',
  usage: 'patchmean[:<scale>]',
  summary: '2x2 patch means (an example teacher)',
  check: (arg) => (arg === '' || Number.isFinite(Number(arg)) ? undefined : 'patchmean scale must be a number'),
  async create(arg) {
    return createPatchMean(arg === '' ? 1 : Number(arg), 1);
  },
};

before(async () => {
  await initBackend();
  registerTeacher(patchMean);
});
after(() => unregisterTeacher('patchmean'));

test('a teacher kind registered from a test is built by its spec and listed by help and docs', async () => {
  assert.equal(teacherEntries().at(-1), patchMean);
  assert.ok(teacherSpecHelp().endsWith(" or 'patchmean[:<scale>]'"));
  assert.match(configDocsMarkdown(), /patchmean\[:<scale>\]/);
  const teacher = await createTeacher('patchmean:2');
  // One 4x4 image with rows 0,0,1,1 / cols: the top patches average 0, the bottom ones 1 (hand values).
  const image = tf.tensor4d([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], [1, 4, 4, 1]);
  const out = teacher.forward(image);
  assert.deepEqual(Array.from(out.tokens!.dataSync()), [0, 0, 0, 0, 1, 2, 1, 2]);
  assert.deepEqual(Array.from(out.pooled.dataSync()), [0.5, 1]);
  tf.dispose([image, out.pooled, out.tokens!]);
  await assert.rejects(createTeacher('patchmean:big'), (e: Error) => e instanceof UserError && e.message === "--teacher 'patchmean:big': patchmean scale must be a number");
});

test('a registered teacher kind validates in a config and distils a student end to end', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tintem-example-teacher-'));
  try {
    await assert.rejects(loadDistillConfig(undefined, { values: { teacher: 'patchmean:x' } }), /patchmean scale must be a number/);
    const config = await loadDistillConfig(undefined, {
      values: { teacher: 'patchmean:2', 'data.train': 'noise:16', epochs: 1, batchSize: 8, runDir: join(root, 'run'), cacheDir: join(root, 'cache'), progress: false },
    });
    const r = await runDistill(config);
    assert.equal(r.summary!.teacher.id, 'patchmean:2');
    assert.equal(r.summary!.teacher.embedDim, 2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
