/**
 * Damaged files reach the user as one line naming the file, through the real CLI: a truncated or bit-flipped
 * checkpoint (`tintem distill --resume`), and a bit-flipped or truncated exported model (`tintem embed --model`).
 * (Damaged cache shards are recomputed: test/reliability/embed-faults.test.ts.)
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import { loadDistillConfig as loadConfig } from '../../src/training/config.js';
import { exportRun } from '../../src/export/export-run.js';
import { loadStudent } from '../../src/export/load.js';
import { runDistill } from '../../src/experiment/distill.js';
import { assertOneLineError, flipBit, tempDir, tintem } from './helpers.js';

await initBackend();

const root = tempDir('damaged');
const runDir = join(root, 'run');
const cacheDir = join(root, 'cache');
const exportDir = join(root, 'export');
const flags = ['--teacher', 'random:1', '--data', 'noise:48', '--epochs', '2', '--batch-size', '16', '--set', 'student.embedDim=8', '--cache-dir', cacheDir, '--no-progress'];

before(async () => {
  // A seconds-long finished run (in-process), and its export.
  const config = await loadConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': 'noise:48', epochs: 2, batchSize: 16, runDir, cacheDir, progress: false },
    set: ['student.embedDim=8'],
  });
  const r = await runDistill(config);
  assert.equal(r.interrupted, false);
  await exportRun({ runDir, outDir: exportDir, gallerySize: 0 });
  (await loadStudent(exportDir)).dispose(); // the intact export loads
});

/** A copy of `dir` with `damage` applied to one of its files; returns the damaged file's path. */
function damagedCopy(dir: string, file: string, damage: (path: string) => void): { copy: string; path: string } {
  const copy = tempDir('copy');
  cpSync(dir, copy, { recursive: true });
  const path = join(copy, file);
  damage(path);
  return { copy, path };
}
const truncate = (path: string) => truncateSync(path, Math.floor(readFileSync(path).length / 2));
const flip = (path: string) => writeFileSync(path, flipBit(readFileSync(path)));

test('a truncated or bit-flipped checkpoint: distill --resume stops with one line naming it', async () => {
  const cases = [truncate, flip].map((damage) => damagedCopy(runDir, 'checkpoint.bin', damage));
  const results = await Promise.all(cases.map(({ copy }) => tintem(['distill', ...flags, '--run-dir', copy, '--resume'])));
  results.forEach((r, i) => assertOneLineError(r, cases[i]!.path, /checkpoint is damaged \(SHA-256 mismatch/));
});

test('a bit-flipped or truncated exported model: embed --model stops with one line naming the file', async () => {
  const cases = [
    { ...damagedCopy(exportDir, 'weights.bin', flip), why: /weights\.bin.*(checksum|SHA-256)/i },
    { ...damagedCopy(exportDir, 'model.json', truncate), why: /model\.json/ },
    { ...damagedCopy(exportDir, 'tintem.json', truncate), why: /tintem\.json/ },
  ];
  const results = await Promise.all(cases.map(({ copy }) => tintem(['embed', '--model', copy, '--data', 'noise:4'])));
  results.forEach((r, i) => assertOneLineError(r, cases[i]!.path, cases[i]!.why, true));
});
