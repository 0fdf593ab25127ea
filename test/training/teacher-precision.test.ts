/**
 * teacherPrecision through a distill run: an int8 ONNX teacher is checked against fp32 before the cache fill (the
 * figures reach the run summary's teacher id), refused before any training below teacherFidelity.minCosine, and a
 * kind without int8 is refused with one line. Tiny-ViT fixture, 16 noise images, 1 epoch.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import { loadDistillConfig } from '../../src/training/config.js';
import { runDistill } from '../../src/experiment/distill.js';
import { UserError } from '../../src/util/errors.js';
import { captureStderr } from '../teachers/helpers.js';

before(async () => { await initBackend(); });

const TEACHER = 'onnx:test/fixtures/tiny-vit/tiny_vit.onnx#preset=dinov2,registers=2,size=32';

function config(root: string, set: string[]) {
  return loadDistillConfig(undefined, {
    values: { teacher: TEACHER, 'data.train': 'noise:16', epochs: 1, batchSize: 8, runDir: join(root, 'run'), cacheDir: join(root, 'cache'), progress: false },
    set: ['student.embedDim=8', ...set],
  });
}

test('distill teacherPrecision int8: fidelity check first, figures in the teacher id; refused below the threshold before training', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tintem-tprec-'));
  try {
    assert.deepEqual((await config(root, [])).teacherFidelity, { minCosine: 0.995, images: 64 });
    assert.equal((await config(root, [])).teacherPrecision, 'fp32');
    // Forced threshold 1.0: no quantised teacher reaches it.
    const refused = await config(root, ['teacherPrecision=int8', 'teacherFidelity.minCosine=1']);
    await assert.rejects(captureStderr(() => runDistill(refused)), (e: unknown) => e instanceof UserError
      && /^teacherPrecision int8: the int8 teacher is too far from fp32: min token cosine [01]\.\d{4} < teacherFidelity\.minCosine 1 \(mean [01]\.\d{4}, nearest-neighbour agreement \d+\.\d%, 16 images\)/.test(e.message));
    assert.equal(existsSync(join(root, 'run', 'summary.json')), false, 'nothing trained');
    assert.equal(existsSync(join(root, 'cache', 'embeddings')), false, 'nothing cached');

    const { result } = await captureStderr(() => config(root, ['teacherPrecision=int8', 'teacherFidelity.minCosine=0.9']).then((c) => runDistill(c)));
    assert.match(result.summary!.teacher.id, /\|int8:[0-9a-f]{16}\|fidelity:[01]\.\d{4}\/[01]\.\d{4}\/\d\.\d{3}@16$/);
    const files = readdirSync(join(root, 'cache', 'teacher-int8'));
    assert.equal(files.filter((f) => f.endsWith('.onnx')).length, 1);
    assert.equal(files.filter((f) => f.includes('.fidelity-')).length, 1);

    await assert.rejects(config(root, ['teacher=random:1', 'teacherPrecision=int8', `runDir=${join(root, 'run-random')}`]).then((c) => runDistill(c)),
      (e: unknown) => e instanceof UserError && e.message === "teacherPrecision 'int8': the random teacher runs in fp32 only (int8 is for onnx teachers)");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
