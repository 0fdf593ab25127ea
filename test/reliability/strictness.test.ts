/**
 * Class 5 of issue 14: strictness holes. Each input is a one-line error naming the file/option, before any work:
 * unknown student keys, oversized values and config files, a FIFO as --config, out-of-range teacherGrid, NaN
 * as a number, an output path that is an existing file; and a full disk on the train log names the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/training/checkpoint.js';
import { assertOneLineError, lineCount, tempDir, tintem } from './helpers.js';

const root = tempDir('strict');
const cache = join(root, 'cache');
const distill = (...extra: string[]) => tintem(['distill', '--teacher', 'random:1', '--data', 'noise:32', '--epochs', '1', '--run-dir', join(root, 'run'), '--cache-dir', cache, '--no-progress', ...extra]);
const file = (name: string, text: string) => { const p = join(root, name); writeFileSync(p, text); return p; };

test('config values: unknown student key, huge values and files, teacherGrid bound, NaN, a wrong type', async () => {
  const cases: Array<[string[], string, RegExp]> = [
    [['--set', 'student.stemWdth=8'], 'student', /student\.stemWdth: unknown key for a cnn student \(expected one of: kind, preset, inputSize/],
    [['--set', `student.note=${'x'.repeat(5000)}`], 'command line', /student\.note: a 5000-character value is longer than the 4096-character limit/],
    [['--config', file('big.yaml', `teacher: random:1\nnote: "${'y'.repeat(2 * 1024 * 1024)}"\n`)], 'big.yaml', /bytes is more than the 1048576-byte limit for a config file/],
    [['--set', 'teacherGrid=10000'], 'teacherGrid', /teacherGrid: too big: expected number to be <=64, got 10000/i],
    [['--config', file('nan.yaml', 'lr: .nan\n')], 'nan.yaml', /lr: expected number, got NaN/],
    [['--config', file('x.yaml', 'lr: "x"\n')], 'x.yaml', /lr: expected number, got string/],
  ];
  const results = await Promise.all(cases.map(([extra]) => distill(...extra)));
  results.forEach((r, i) => assertOneLineError(r, cases[i]![1], cases[i]![2], true));
  assert.ok(!existsSync(join(root, 'run')) && !existsSync(cache), 'refused before any work');
});

test('--config on a FIFO is refused at once instead of blocking forever', async () => {
  const fifo = join(root, 'config.fifo');
  execFileSync('mkfifo', [fifo]);
  const t0 = Date.now();
  const r = await tintem(['distill', '--config', fifo, '--dry-run'], { timeoutSeconds: 30 });
  assertOneLineError(r, fifo, /not a regular file \(a named pipe\) \(config file\)/, true);
  assert.ok(Date.now() - t0 < 30_000);
});

test('an output path that is an existing file: one line for distill --run-dir and embed --out', async () => {
  const blocker = file('blocker', 'a file, not a folder');
  const [d, e] = await Promise.all([
    distill('--run-dir', blocker),
    tintem(['embed', '--teacher', 'random:1', '--data', 'noise:4', '--cache-dir', cache, '--out', join(blocker, 'x.json'), '--no-progress']),
  ]);
  assertOneLineError(d, blocker, /exists and is not a folder/, true);
  assertOneLineError(e, blocker, /a file is in the way of a folder/);
});

test('disk full while appending to train.jsonl: one line naming the file; resume continues from the checkpoint', async () => {
  const runDir = join(root, 'log-full');
  const args = ['distill', '--teacher', 'random:1', '--data', 'noise:64', '--epochs', '3', '--batch-size', '16', '--run-dir', runDir, '--cache-dir', cache, '--no-progress'];
  const r = await tintem(args, { fault: 'enospc-append:train.jsonl:6' });
  assertOneLineError(r, join(runDir, 'train.jsonl'), /could not append to the training log \(ENOSPC: no space left on device\)/);
  assert.equal((await loadCheckpoint(join(runDir, 'checkpoint.bin'))).step, 4, 'the epoch-1 checkpoint');
  const ok = await tintem([...args, '--resume']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(lineCount(join(runDir, 'train.jsonl')), 12);
});
