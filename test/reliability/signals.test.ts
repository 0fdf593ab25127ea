/**
 * Class 3 of issue 14: SIGTERM (docker stop, a scheduler's preemption) and SIGHUP (a closed terminal) save a
 * checkpoint like SIGINT, and a run stopped by each in turn, then SIGKILLed at a random step, resumes to weights
 * bit-identical to an uninterrupted run. (bench/distill-interrupt.ts runs 20 such random trials.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/training/checkpoint.js';
import { lineCount, tempDir, tintem, type CliResult } from './helpers.js';

const root = tempDir('signals');
const args = (runDir: string, cacheDir: string) => [
  'distill', '--teacher', 'random:1', '--data', 'mnist:train', '--limit', '256', '--epochs', '4', '--batch-size', '32',
  '--seed', '5', '--student-width', '16', '--set', 'student.embedDim=8', '--run-dir', runDir, '--cache-dir', cacheDir, '--no-progress',
];
const refDir = join(root, 'reference');
// Runs alongside the interrupted legs; a generous limit, since on a loaded machine it shares the cores with them.
const reference = tintem(args(refDir, join(root, 'cache-ref')), { timeoutSeconds: 900 });
reference.catch(() => {}); // awaited (and reported) by the last test
const runDir = join(root, 'run');
const cacheDir = join(root, 'cache');
const logPath = join(runDir, 'train.jsonl');

/** Runs (or resumes) the run and sends `signal` once the log has grown by two steps past `after`. */
function stopWith(signal: NodeJS.Signals, resume: boolean, after: number): Promise<CliResult> {
  return tintem([...args(runDir, cacheDir), ...(resume ? ['--resume'] : [])], {
    timeoutSeconds: 600, // a loaded shared machine runs these 32 steps in minutes, not seconds
    onSpawn: (child) => {
      let armed = false;
      const timer = setInterval(() => {
        const n = lineCount(logPath);
        if (n <= after) armed = true; // resume first cuts the log back to the checkpoint
        if (armed && n >= after + 2) { clearInterval(timer); child.kill(signal); }
      }, 20);
      child.on('close', () => clearInterval(timer));
    },
  });
}

for (const [signal, code, resume, after] of [['SIGTERM', 143, false, 3], ['SIGHUP', 129, true, 12]] as const) {
  test(`${signal}: finishes the step, checkpoints mid-epoch, exits ${code} with a message`, async () => {
    const r = await stopWith(signal, resume, after);
    assert.equal(r.code, code, `exit ${r.code ?? r.signal}\n${r.stderr}`);
    const ck = await loadCheckpoint(join(runDir, 'checkpoint.bin'));
    assert.ok(ck.step > after, `checkpoint at step ${ck.step}`);
    assert.equal(lineCount(logPath), ck.step, 'every logged step is in the checkpoint: nothing lost');
    assert.match(r.stderr, new RegExp(`${signal}: stopping after the current step and saving a checkpoint`));
    assert.match(r.stderr, new RegExp(`interrupted after step ${ck.step}; checkpoint saved to`));
    assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
  });
}

test('SIGKILL at a random later step, then resume: bit-identical to the uninterrupted run', async () => {
  const n = 2 + Math.floor(Math.random() * 8); // steps after the resume's restart point
  const killed = await tintem([...args(runDir, cacheDir), '--resume'], { fault: `kill-after-append:train.jsonl:${n}`, timeoutSeconds: 600 });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  const r = await tintem([...args(runDir, cacheDir), '--resume'], { timeoutSeconds: 600 });
  assert.equal(r.code, 0, r.stderr);
  const ref = await reference;
  assert.equal(ref.code, 0, ref.stderr);
  for (const file of ['student/weights.bin', 'method-state/weights.bin', 'train.jsonl']) {
    assert.ok(readFileSync(join(runDir, file)).equals(readFileSync(join(refDir, file))), `${file} differs from the uninterrupted run (kill after ${n} steps)`);
  }
});

// Start-up: loading the CLI and the native backend takes a second or two before distill installs its handlers;
// a signal then must still end with its exit code and a message (bin/tintem.js, handed over in src/cli/signals.ts).
for (const [signal, code, delayMs] of [['SIGTERM', 143, 200], ['SIGHUP', 129, 700], ['SIGINT', 130, 1500]] as const) {
  test(`${signal} ${delayMs} ms after start: exits ${code} with a message, no stack`, async () => {
    const dir = tempDir(`early-${signal}`);
    const r = await tintem(args(join(dir, 'run'), join(dir, 'cache')), {
      onSpawn: (child) => { setTimeout(() => child.kill(signal), delayMs); },
    });
    assert.equal(r.code, code, `exit ${r.code ?? r.signal} (a signal that kills the process silently)\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`tintem: ${signal}: `));
    assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
  });
}
