/**
 * Class 2 of issue 14: resume and restart know which run they continue. The data is fingerprinted by content,
 * a run folder holds exactly one run (a lock with pid + liveness, the run id in run.json, the checkpoint and
 * summary.json, whose checksums seal every other file), and mixtures are refused with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { Rng } from '../../src/util/random.js';
import { assertOneLineError, tempDir, tintem, waitFor } from './helpers.js';

const root = tempDir('identity');
const cache = join(root, 'cache');

async function writeImages(dir: string, count: number, seed: number, from = 0): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  for (let i = from; i < from + count; i++) {
    const raw = Buffer.from(Array.from({ length: 16 * 16 * 3 }, () => Math.floor(rng.next() * 256)));
    await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(join(dir, `img-${String(i).padStart(3, '0')}.png`));
  }
}

const base = (runDir: string, data: string, epochs = 2) => [
  'distill', '--teacher', 'random:1', '--data', data, '--epochs', String(epochs), '--batch-size', '16', '--seed', '2',
  '--student-width', '8', '--set', 'student.embedDim=8', '--set', 'student.inputSize=16', '--run-dir', runDir, '--cache-dir', cache, '--no-progress',
];

test('replaced images between a kill and --resume are refused: the data is fingerprinted by content', async () => {
  const images = join(root, 'images');
  await writeImages(images, 48, 1);
  const runDir = join(root, 'replaced');
  const killed = await tintem(base(runDir, `folder:${images}`), { fault: 'kill-after-rename:checkpoint.bin:1' });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  await writeImages(images, 4, 99, 10); // same names, count and size; other pixels
  const r = await tintem([...base(runDir, `folder:${images}`), '--resume']);
  assertOneLineError(r, join(runDir, 'checkpoint.bin'), /config differs from the checkpoint's \(dataSha256: /);
  // With the original images back, the same resume continues.
  rmSync(images, { recursive: true });
  await writeImages(images, 48, 1);
  const ok = await tintem([...base(runDir, `folder:${images}`), '--resume']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('two distill on one run folder: the second is refused by the lock; a dead holder\'s lock does not block', async () => {
  const runDir = join(root, 'locked');
  const data = 'noise:256';
  let child: ChildProcess | undefined;
  // Its time limit includes the time it spends paused below.
  const first = tintem(base(runDir, data, 4), { onSpawn: (c) => { child = c; }, timeoutSeconds: 400 });
  await waitFor(() => existsSync(join(runDir, 'checkpoint.bin')) && existsSync(join(runDir, 'run.lock')), 'the first run to checkpoint', 120_000);
  // Paused, the first run is alive and holds the lock for as long as the test needs.
  child!.kill('SIGSTOP');
  try {
    const second = await tintem([...base(runDir, data, 4), '--resume']);
    assertOneLineError(second, runDir, /another tintem distill \(pid \d+\) is using this run folder/, true);
    const fresh = await tintem(base(runDir, data, 4));
    assertOneLineError(fresh, runDir, /already holds a checkpoint/, true);
  } finally {
    child!.kill('SIGCONT');
  }
  const a = await first;
  assert.equal(a.code, 0, a.stderr);
  assert.ok(!existsSync(join(runDir, 'run.lock')), 'the lock is released at exit');

  // A lock left by a process that no longer exists (kill -9, power cut) is taken over.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const other = join(root, 'stale-lock');
  mkdirSync(other, { recursive: true });
  writeFileSync(join(other, 'run.lock'), JSON.stringify({ pid: Number(dead.stdout), host: (await import('node:os')).hostname() }));
  const r = await tintem(base(other, 'noise:32', 1));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!existsSync(join(other, 'run.lock')));
});

test('mixtures of two runs are refused with one line; a fresh run never writes over another run\'s outputs', async () => {
  const a = join(root, 'run-a'), b = join(root, 'run-b');
  for (const r of await Promise.all([[a, '3'], [b, '4']].map(([dir, seed]) => tintem([...base(dir!, 'noise:32', 1), '--seed', seed!])))) {
    assert.equal(r.code, 0, r.stderr);
  }
  const cases: Array<[string, string, RegExp]> = [
    ['config.yaml', 'config.yaml', /SHA-256 mismatch with summary\.json.*another run/],
    ['student', 'student/weights.bin', /SHA-256 mismatch with summary\.json/],
    ['summary.json', 'run-mix-summary.json', /mixes two runs \(summary\.json is run [0-9a-f-]+, run\.json is run [0-9a-f-]+\)/],
  ];
  await Promise.all(cases.map(async ([part, shown, pattern]) => {
    const mixed = join(root, `run-mix-${part.replace(/\W/g, '')}`);
    cpSync(a, mixed, { recursive: true });
    rmSync(join(mixed, part), { recursive: true });
    cpSync(join(b, part), join(mixed, part), { recursive: true });
    const r = await tintem(['export', '--run', mixed, '--out', join(mixed, 'export'), '--gallery-size', '0']);
    assertOneLineError(r, shown === 'run-mix-summary.json' ? mixed : join(mixed, shown), pattern, true);
  }));
  // "delete the checkpoint to start over", then a fresh run: refused before any work, the old model kept.
  const before = readFileSync(join(a, 'student', 'weights.bin'));
  rmSync(join(a, 'checkpoint.bin'));
  const r = await tintem(base(a, 'noise:32', 1));
  assertOneLineError(r, a, /holds another run's summary\.json, student, method-state/, true);
  assert.ok(readFileSync(join(a, 'student', 'weights.bin')).equals(before));
});
