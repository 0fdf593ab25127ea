import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { loadDistillConfig as loadConfig } from '../../src/training/config.js';
import { UserError } from '../../src/util/errors.js';
import { resolveDistillConfig } from '../../src/cli/commands/distill.js';
import { estimateDistill, runDistill, teacherGridFor, viewSpecs } from '../../src/experiment/distill.js';
import { readLog } from '../../src/training/train-log.js';

before(async () => { await initBackend(); });

const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-distill-'));
const cacheDir = tmp();

/** A seconds-long pipeline: 48 noise images, random teacher, a narrow CNN, batch 16 (3 steps per epoch). */
async function tinyConfig(runDir: string, set: string[] = []) {
  return loadConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': 'noise:48', epochs: 2, batchSize: 16, runDir, cacheDir, progress: false },
    // stemWidth stays 16: with oneDNN on, tfjs-node's training step corrupts the heap for stem widths 4, 8, 12 (16, 32 are fine).
    set: ['student.embedDim=8', ...set],
  });
}

test('runDistill: trains and writes student, method state, summary, config and log', async () => {
  const runDir = tmp();
  const r = await runDistill(await tinyConfig(runDir, ['views=1']));
  assert.equal(r.interrupted, false);
  const s = r.summary!;
  assert.equal(s.steps, 6);
  assert.equal(s.data.count, 48);
  assert.deepEqual(Object.keys(s.finalTerms).sort(), ['headGlobal', 'headLocal', 'studentPooled', 'studentTokens']);
  assert.ok(s.finalTerms.studentPooled! < s.firstEpochTerms.studentPooled!);
  assert.equal(s.cache.misses, 96); // two views of 48 images, all computed on the first run
  const model = await tf.loadLayersModel(`file://${join(runDir, 'student', 'model.json')}`);
  assert.deepEqual(model.outputs[0]!.shape, [null, 8]);
  model.dispose();
  const state = JSON.parse(readFileSync(join(runDir, 'method-state', 'variables.json'), 'utf8'));
  assert.equal(state.method, 'tintem');
  assert.equal(state.variables.length, 4);
  assert.ok(existsSync(join(runDir, 'config.yaml')));
  assert.equal(readLog(join(runDir, 'train.jsonl')).length, 6);
  const saved = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8'));
  assert.equal(saved.teacher.id, s.teacher.id);
});

test('runDistill: refuses --resume without a checkpoint and a fresh run over one, before any work', async () => {
  const runDir = tmp();
  await assert.rejects(runDistill(await tinyConfig(runDir), { resume: true }), (e: unknown) => e instanceof UserError && /--resume: no checkpoint/.test(e.message));
  const done = tmp();
  await runDistill(await tinyConfig(done, ['epochs=1']));
  await assert.rejects(runDistill(await tinyConfig(done, ['epochs=1'])), (e: unknown) => e instanceof UserError && /already holds a checkpoint/.test(e.message));
});

test('estimateDistill: counts forwards and cache bytes from the teacher shape', async () => {
  const config = await tinyConfig(tmp(), ['views=2', 'fp16=true']);
  const e = await estimateDistill(config);
  assert.equal(e.teacherForwards, 48 * 3);
  assert.equal(e.stepsPerEpoch, 3);
  assert.equal(e.totalSteps, 6);
  // random teacher: 32-d; default teacher grid 2x2 -> 4 tokens; fp16 = 2 bytes.
  assert.equal(e.cacheBytes, 48 * 3 * e.teacherDim * (1 + e.tokenCount) * 2);
  assert.equal(e.tokenCount, 4);
  assert.ok(e.trainSecondsPerStep > 0 && e.teacherSecondsPerImage > 0);
});

test('teacher grid is 2x2 unless configured (never finer than the student); views carry the augmentation settings', async () => {
  const config = await loadConfig();
  assert.equal(teacherGridFor(config, 7), 2);
  assert.equal(teacherGridFor(config, 1), 1);
  assert.equal(teacherGridFor({ ...config, teacherGrid: 4 }, 7), 4);
  const views = viewSpecs({ ...config, views: 2 }, 1);
  assert.equal(views.length, 3);
  assert.deepEqual(views[0], { id: 0, seed: 0 });
  assert.deepEqual(views[2]!.crop, config.augment.crop);
  assert.equal(views[2]!.colorJitter, undefined); // grey images: no colour jitter
});

test('distill flags map onto config keys; --student-width sets the CNN stem width', async () => {
  const c = await resolveDistillConfig({ set: ['lr=0.01'], progress: false, epochs: 3, limit: 100, data: 'fashion:train', studentWidth: 8, method: 'cosine' });
  assert.equal(c.epochs, 3);
  assert.equal(c.data.limit, 100);
  assert.equal(c.data.train, 'fashion:train');
  assert.equal(c.method.name, 'cosine');
  assert.equal(c.lr, 0.01);
  assert.equal(c.progress, false);
  assert.equal(c.student.stemWidth, 8);
});
