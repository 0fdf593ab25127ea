/**
 * `tintem distill` under faults, through the real CLI in child processes: one run is killed (SIGKILL) at four
 * points, hits a full disk twice, and is stopped with Ctrl-C (SIGINT), each time resumed with --resume; it must end
 * bit-identical (student weights, head, optimiser moments, loss log) to an uninterrupted run with the same seed.
 * Both train on the default path, each step one compiled TensorFlow graph (src/backend/graph).
 *
 * 256 MNIST images, batch 32 -> 8 steps an epoch, 4 epochs = 32 steps; a checkpoint at steps 8, 16, 24, 32.
 * Faults are placed deterministically by scripts/fault/inject.mjs (see docs/reliability.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCheckpoint, loadCheckpoint, type CheckpointData } from '../../src/training/checkpoint.js';
import { UserError } from '../../src/util/errors.js';
import { assertOneLineError, lineCount, tempDir, tintem } from './helpers.js';

const root = tempDir('distill');
const args = (runDir: string, cacheDir: string) => [
  'distill', '--teacher', 'random:1', '--data', 'mnist:train', '--limit', '256', '--epochs', '4', '--batch-size', '32',
  '--seed', '3', '--student-width', '16', '--set', 'student.embedDim=8', '--run-dir', runDir, '--cache-dir', cacheDir, '--no-progress',
];

const refDir = join(root, 'reference');
// The uninterrupted reference runs alongside the faulty legs (separate run and cache folders).
const reference = tintem(args(refDir, join(root, 'cache-ref')));

const runDir = join(root, 'faulty');
const cacheDir = join(root, 'cache');
const ckPath = join(runDir, 'checkpoint.bin');
const partial = `${ckPath}.partial`;
const logPath = join(runDir, 'train.jsonl');
const resume = () => [...args(runDir, cacheDir), '--resume'];

const stepOf = async (path: string) => (await loadCheckpoint(path)).step;

test('SIGKILL after the checkpoint temp file is written, before its rename: the previous checkpoint stays', async () => {
  const r = await tintem(args(runDir, cacheDir), { fault: 'kill-before-rename:checkpoint.bin:2' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.equal(await stepOf(ckPath), 8, 'checkpoint of epoch 1');
  // The new checkpoint was complete on disk but never renamed: the kill fell exactly between write and rename.
  assert.equal(decodeCheckpoint(readFileSync(partial), partial).step, 16);
  assert.equal(lineCount(logPath), 16);
});

test('SIGKILL mid-epoch (after step 11): resume restarts from the last checkpoint', async () => {
  const r = await tintem(resume(), { fault: 'kill-after-append:train.jsonl:3' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.equal(await stepOf(ckPath), 8);
  assert.equal(lineCount(logPath), 11, 'log truncated to the checkpoint on resume, then steps 9..11');
});

test('SIGKILL half-way through writing a checkpoint: the torn temp file is never read', async () => {
  const r = await tintem(resume(), { fault: 'kill-mid-write:checkpoint.bin.partial:2' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.equal(await stepOf(ckPath), 16, 'epoch 2 checkpoint written, epoch 3 torn');
  assert.ok(statSync(partial).size < statSync(ckPath).size / 1.5, 'a half-written temp file is left behind');
  assert.throws(() => decodeCheckpoint(readFileSync(partial), partial), UserError);
});

test('disk full (ENOSPC) while writing a checkpoint: one-line error, previous checkpoint intact and loadable', async () => {
  const r = await tintem(resume(), { fault: 'enospc-mid-write:checkpoint.bin.partial:1' });
  assertOneLineError(r, ckPath, /ENOSPC.*previous checkpoint, if any, is intact/);
  assert.equal(await stepOf(ckPath), 16);
  assert.ok(!existsSync(partial), 'the failed temp file is removed');
});

let resumeLine = '';
test('Ctrl-C (SIGINT): finishes the step, checkpoints, exits 130 and prints how to resume', async () => {
  const before = lineCount(logPath); // 24: steps 17..24 ran before the full disk
  const r = await tintem(resume(), {
    onSpawn: (child) => {
      // Resume first cuts the log back to step 16; interrupt once two new steps are logged.
      const timer = setInterval(() => {
        const n = lineCount(logPath);
        if (n >= 18 && n < before) { clearInterval(timer); child.kill('SIGINT'); }
      }, 20);
      child.on('close', () => clearInterval(timer));
    },
  });
  assert.equal(r.code, 130, `exit ${r.code ?? r.signal}\n${r.stderr}`);
  assert.match(r.stderr, /training path: graph/);
  const ck = await loadCheckpoint(ckPath);
  assert.ok(ck.stepInEpoch > 0 && ck.step > 16 && ck.step < 24, `mid-epoch checkpoint, step ${ck.step}`);
  assert.equal(lineCount(logPath), ck.step, 'the step in progress finished and was checkpointed: nothing lost');
  assert.match(r.stderr, new RegExp(`interrupted after step ${ck.step}; checkpoint saved to ${ckPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  resumeLine = /resume with: tintem (.+)$/m.exec(r.stderr)?.[1] ?? '';
  assert.ok(resumeLine.endsWith('--resume'), r.stderr);
});

const tensors = (ck: CheckpointData) => [...ck.student, ...ck.method].map((t) => t.data)
  .concat(ck.optimizer.m, ck.optimizer.v).map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));

test('SIGKILL after the last checkpoint, while the trained student is being saved (using the printed resume command)', async () => {
  assert.doesNotMatch(resumeLine, /'/, 'no quoting in these paths, so the line splits on spaces');
  const r = await tintem(resumeLine.split(' '), { fault: 'kill-after-rename:student/weights.bin:1' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.equal(await stepOf(ckPath), 32, 'training finished and checkpointed');
  assert.ok(existsSync(join(runDir, 'student', 'weights.bin')) && !existsSync(join(runDir, 'student', 'model.json')), 'student folder half written');
  assert.ok(!existsSync(join(runDir, 'summary.json')));
});

test('disk full while saving the trained student: one line saying to resume', async () => {
  const r = await tintem(resume(), { fault: 'enospc-mid-write:method-state/.weights.bin.:1' });
  assertOneLineError(r, runDir, /could not save the trained student \(ENOSPC.*--resume/);
  assert.ok(!existsSync(join(runDir, 'summary.json')));
});

test('resuming after all the faults finishes the run bit-identical to the uninterrupted one', async () => {
  const r = await tintem(resume());
  assert.equal(r.code, 0, r.stderr);
  const ref = await reference;
  assert.equal(ref.code, 0, ref.stderr);
  // The reference took the graph path (src/backend/graph), as did the faulty legs (checked at Ctrl-C): kill -9 +
  // resume repeats a graph run bit for bit.
  assert.match(ref.stderr, /training path: graph/);
  for (const file of ['student/weights.bin', 'student/model.json', 'method-state/weights.bin', 'train.jsonl']) {
    assert.ok(readFileSync(join(runDir, file)).equals(readFileSync(join(refDir, file))), `${file} differs from the uninterrupted run`);
  }
  const [a, b] = await Promise.all([loadCheckpoint(ckPath), loadCheckpoint(join(refDir, 'checkpoint.bin'))]);
  assert.equal(a.step, 32);
  assert.deepEqual(a.epochMeans, b.epochMeans);
  const ta = tensors(a), tb = tensors(b);
  assert.equal(ta.length, tb.length);
  ta.forEach((t, i) => assert.ok(t.equals(tb[i]!), `checkpoint tensor ${i} differs`));
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { steps: number; finalTerms: unknown };
  assert.equal(summary.steps, 32);
  assert.deepEqual(summary.finalTerms, JSON.parse(readFileSync(join(refDir, 'summary.json'), 'utf8')).finalTerms);
});
