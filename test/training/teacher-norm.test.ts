import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import { loadDistillConfig as loadConfig } from '../../src/training/config.js';
import { LOSS_VERSION } from '../../src/methods/index.js';
import { assertSameConfig, type CheckpointData } from '../../src/training/checkpoint.js';
import { runDistill } from '../../src/experiment/distill.js';
import { computeTeacherNorm, loadTeacherNorm, normalizeFeatures, TEACHER_NORM_FILE } from '../../src/training/teacher-norm.js';
import { loadRun } from '../../src/experiment/load-run.js';
import { UserError } from '../../src/util/errors.js';

before(async () => { await initBackend(); });
const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-norm-'));

test('teacherNorm statistics: per-dimension mean and std by hand; center and standardize', () => {
  // rows (1, 10), (3, 10), (5, 40): mean (3, 20), population std (sqrt(8/3), sqrt(200))
  const values = Float32Array.from([1, 10, 3, 10, 5, 40]);
  const stats = computeTeacherNorm('standardize', { pooled: values, dim: 2, tokenCount: 0 })!;
  assert.deepEqual(stats.pooled.mean, [3, 20]);
  assert.ok(Math.abs(stats.pooled.std[0]! - Math.sqrt(8 / 3)) < 1e-12 && Math.abs(stats.pooled.std[1]! - Math.sqrt(200)) < 1e-12);
  assert.deepEqual(Array.from(normalizeFeatures(values, 2, stats.pooled, 'center')), [-2, -10, 0, -10, 2, 20]);
  const z = normalizeFeatures(values, 2, stats.pooled, 'standardize');
  assert.ok(Math.abs(z[0]! + 2 / Math.sqrt(8 / 3)) < 1e-6 && Math.abs(z[5]! - 20 / Math.sqrt(200)) < 1e-6);
  assert.equal(computeTeacherNorm('none', { pooled: values, dim: 2, tokenCount: 0 }), undefined);
});

test('a checkpoint made before loss version 2 is refused with one line saying why', () => {
  const old = { configFingerprint: 'old', config: { train: {}, method: { name: 'tintem' } } } as unknown as CheckpointData;
  assert.throws(() => assertSameConfig(old, 'new', { train: {}, lossVersion: LOSS_VERSION }, 'runs/x/checkpoint.bin'),
    (e: unknown) => e instanceof UserError && /loss version 1, this tintem computes version 2 .*cannot resume; start a new run directory/.test(e.message) && !e.message.includes('\n'));
});

test('runDistill with teacherNorm center: statistics stored with the run, recorded in the summary, loaded for evaluation', async () => {
  const runDir = tmp();
  const config = await loadConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': 'noise:32', epochs: 1, batchSize: 16, runDir, cacheDir: tmp(), progress: false },
    set: ['student.embedDim=8', 'teacherNorm=center'],
  });
  const r = await runDistill(config);
  assert.equal(r.summary!.teacherNorm, 'center');
  assert.equal(r.summary!.lossVersion, LOSS_VERSION);
  assert.ok(existsSync(join(runDir, TEACHER_NORM_FILE)));
  const stats = loadTeacherNorm(runDir, 'center')!;
  assert.equal(stats.count, 32);
  assert.equal(stats.pooled.mean.length, r.summary!.teacher.embedDim);
  assert.ok(stats.tokens, 'token statistics too');
  const run = await loadRun(runDir);
  assert.deepEqual(run.teacherNorm, stats);
  run.dispose();
  assert.throws(() => loadTeacherNorm(runDir, 'standardize'), (e: unknown) => e instanceof UserError && /holds teacherNorm center/.test(e.message));
  assert.match(readFileSync(join(runDir, 'config.yaml'), 'utf8'), /teacherNorm: center/);
});
