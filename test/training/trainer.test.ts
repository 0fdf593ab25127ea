import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { UserError } from '../../src/util/errors.js';
import { train, type TrainConfig, type TrainEvent, type TrainOptions } from '../../src/training/trainer.js';
import { createTeacherSource, gatherRows } from '../../src/training/teacher-source.js';
import { readLog } from '../../src/training/train-log.js';
import { loadCheckpoint } from '../../src/training/checkpoint.js';
import { projectionTeacher, randomCachedView, randomImages, snapshot, tinyMethod, tinyStudent } from './fixtures.js';

before(async () => { await initBackend(); });

const N = 48, TEACHER_DIM = 6, STUDENT_DIM = 4;
const data = randomImages(N, 1);
const cached = new Map([[0, randomCachedView(N, TEACHER_DIM, 2)]]);
const config: TrainConfig = {
  epochs: 3, batchSize: 12, lr: 0.01, minLr: 0.0001, weightDecay: 0.05, warmupEpochs: 1, seed: 11, views: 0, progress: false,
};
const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-train-'));

/** A fresh student + method from fixed seeds, so separate runs start from identical weights. */
function setup(runDir: string, extra: Partial<TrainOptions> = {}): TrainOptions {
  return {
    student: tinyStudent(3), method: tinyMethod(TEACHER_DIM, STUDENT_DIM, 4), data,
    teacherFeatures: createTeacherSource({ cached }), config, runDir, ...extra,
  };
}

function finish(o: TrainOptions): number[][] {
  const w = snapshot(o.student, o.method);
  o.student.dispose(); o.method.dispose();
  return w;
}

let uninterrupted: number[][];
const uninterruptedEvents: TrainEvent[] = [];

test('train: 3 epochs lower every loss term, log each step, checkpoint each epoch, keep tensors flat', async () => {
  const runDir = tmp();
  const o = setup(runDir, { onEvent: (e) => uninterruptedEvents.push(e) });
  const before = snapshot(o.student, o.method);
  const r = await train(o);
  assert.equal(r.interrupted, false);
  assert.equal(r.epochsCompleted, 3);
  assert.equal(r.steps, 12); // 48 / 12 = 4 steps per epoch
  for (const k of ['student', 'head']) {
    assert.ok(r.epochMeans[2]![k]! < r.epochMeans[0]![k]!, `${k}: ${r.epochMeans.map((m) => m[k])}`);
  }
  const log = readLog(join(runDir, 'train.jsonl'));
  assert.deepEqual(log.map((l) => l.step), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.ok(log.every((l) => Number.isFinite(l.terms.student) && Number.isFinite(l.terms.head)));
  // The loss is the weighted sum of the terms (weights 1 here).
  for (const l of log) assert.ok(Math.abs(l.loss - (l.terms.student! + l.terms.head!)) < 1e-5);
  assert.ok(log[0]!.lr < log[3]!.lr, 'warm-up raises the lr over the first epoch');
  assert.ok(existsSync(join(runDir, 'checkpoint.bin')));
  const epochs = uninterruptedEvents.filter((e): e is Extract<TrainEvent, { type: 'epoch' }> => e.type === 'epoch');
  assert.equal(epochs.length, 3);
  assert.equal(epochs[0]!.numTensors, epochs[2]!.numTensors, 'tensor count grows across epochs');
  assert.ok(epochs.every((e) => e.rssBytes > 0));
  uninterrupted = finish(o);
  assert.notDeepEqual(uninterrupted, before);
});

test('train: 1 epoch, stop, resume for 2 gives bit-identical weights', async () => {
  const runDir = tmp();
  const ac = new AbortController();
  const first = setup(runDir, { signal: ac.signal, onEvent: (e) => { if (e.type === 'epoch') ac.abort(); } });
  const r1 = await train(first);
  assert.equal(r1.interrupted, true);
  assert.equal(r1.epochsCompleted, 1);
  finish(first);
  const second = setup(runDir, { resume: true });
  const r2 = await train(second);
  assert.equal(r2.interrupted, false);
  assert.equal(r2.steps, 12);
  assert.deepEqual(finish(second), uninterrupted);
  assert.deepEqual(readLog(join(runDir, 'train.jsonl')).map((l) => l.step), Array.from({ length: 12 }, (_, i) => i + 1));
});

test('train: an abort mid-epoch checkpoints after the current step; resume reproduces the run exactly', async () => {
  const runDir = tmp();
  const ac = new AbortController();
  const first = setup(runDir, { signal: ac.signal, onEvent: (e) => { if (e.type === 'step' && e.record.step === 6) ac.abort(); } });
  const events: TrainEvent[] = [];
  const r1 = await train({ ...first, onEvent: (e) => { events.push(e); first.onEvent!(e); } });
  assert.equal(r1.interrupted, true);
  assert.equal(r1.steps, 6);
  const stop = events.find((e) => e.type === 'interrupted');
  assert.deepEqual(stop && { epoch: stop.epoch, stepInEpoch: stop.stepInEpoch }, { epoch: 1, stepInEpoch: 2 });
  finish(first);
  const second = setup(runDir, { resume: true });
  const r2 = await train(second);
  assert.deepEqual(finish(second), uninterrupted);
  // Epoch means are exact across the interruption too.
  const reference = uninterruptedEvents.filter((e) => e.type === 'epoch').map((e) => (e as { means: object }).means);
  assert.deepEqual(r2.epochMeans, reference);
  const log = readLog(join(runDir, 'train.jsonl'));
  assert.deepEqual(log.map((l) => l.step), Array.from({ length: 12 }, (_, i) => i + 1));
});

test('train: resume refuses a different config; a fresh run refuses to overwrite a checkpoint', async () => {
  const runDir = tmp();
  const ac = new AbortController();
  const first = setup(runDir, { signal: ac.signal, onEvent: (e) => { if (e.type === 'epoch') ac.abort(); } });
  await train(first);
  finish(first);
  const changed = setup(runDir, { resume: true, config: { ...config, lr: 0.02 } });
  await assert.rejects(train(changed), (e: unknown) => e instanceof UserError && /config differs.*train\.lr: 0\.01 -> 0\.02/.test(e.message));
  finish(changed);
  const fresh = setup(runDir);
  await assert.rejects(train(fresh), (e: unknown) => e instanceof UserError && /already holds a checkpoint; pass --resume/.test(e.message));
  finish(fresh);
  const missing = setup(tmp(), { resume: true });
  await assert.rejects(train(missing), (e: unknown) => e instanceof UserError && /--resume: no checkpoint/.test(e.message));
  finish(missing);
});

test('train: augmented views reach the student and the live teacher as the same pixels', async () => {
  const teacher = projectionTeacher(TEACHER_DIM, 5);
  const augment = (indices: Int32Array, viewId: number) =>
    gatherRows(data.pixels, 64, indices).map((x) => Math.min(1, x * (1 + 0.1 * viewId)));
  // View 1 is cached, view 2 goes through the live teacher.
  const source = createTeacherSource({ cached: new Map([...cached, [1, randomCachedView(N, TEACHER_DIM, 9)]]), teacher });
  const o = setup(tmp(), { teacherFeatures: source, augment, config: { ...config, epochs: 2, views: 2 } });
  const studentSaw: Float32Array[] = [];
  const apply = o.student.apply.bind(o.student);
  o.student = { ...o.student, apply: (x, training) => { studentSaw.push(x.dataSync() as Float32Array); return apply(x, training); } };
  await train({ ...o, onEvent: () => {} });
  assert.equal(studentSaw.length, 8);
  assert.ok(teacher.seen.length > 0 && teacher.seen.length < 8, `live forwards: ${teacher.seen.length}`);
  for (const seen of teacher.seen) assert.ok(studentSaw.some((s) => s.length === seen.length && s.every((x, i) => x === seen[i])));
  finish(o);
  teacher.dispose();
});

test('train: a diverging loss stops with a UserError suggesting a lower lr', async () => {
  const o = setup(tmp());
  const bad = { ...o.method, losses: (s: Parameters<typeof o.method.losses>[0], t: Parameters<typeof o.method.losses>[1]) => {
    const terms = o.method.losses(s, t);
    return { ...terms, student: tf.div(terms.student!, 0) as tf.Scalar };
  } };
  await assert.rejects(train({ ...o, method: bad }), (e: unknown) => e instanceof UserError && /diverged.*--lr/.test(e.message));
  finish(o);
});

test('train: a checkpoint write failing mid-run (disk full) stops with a UserError and keeps the previous checkpoint', async () => {
  const runDir = tmp();
  const ac = new AbortController();
  const first = setup(runDir, { signal: ac.signal, onEvent: (e) => { if (e.type === 'epoch') ac.abort(); } });
  await train(first);
  finish(first);
  const diskFull = async () => { throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }); };
  const second = setup(runDir, { resume: true, checkpointWriter: diskFull });
  const tensorsBefore = tf.memory().numTensors;
  await assert.rejects(train(second), (e: unknown) => e instanceof UserError && /ENOSPC.*previous checkpoint, if any, is intact/.test(e.message));
  assert.equal(tf.memory().numTensors, tensorsBefore, 'optimizer state released after the failure');
  finish(second);
  const ck = await loadCheckpoint(join(runDir, 'checkpoint.bin'));
  assert.equal(ck.epoch, 1);
  assert.equal(ck.step, 4);
});
