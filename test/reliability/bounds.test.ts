/**
 * Round 3, classes 4 and 7: every size that multiplies memory is bounded before work starts, with the bound and
 * the offending value in the one-line message (the teacher `grid` option, a token grid finer than the teacher's
 * feature map or the student's, `views` and `noise:N` in the millions), and teacher options that conflict or would
 * be ignored are refused. Every case is a `distill --dry-run`, which must end (never hang) in seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOneLineError, tempDir, tintem } from './helpers.js';

const root = tempDir('bounds');
const yaml = join(root, 'grid.yaml');
writeFileSync(yaml, 'teacher: random:1\nteacherOptions:\n  grid: 100000\n');
const dry = (...extra: string[]) => tintem(['distill', '--teacher', 'random:1', '--data', 'noise:8', '--student-width', '8', '--dry-run',
  '--run-dir', join(root, 'run'), '--cache-dir', join(root, 'cache'), '--no-progress', ...extra], { timeoutSeconds: 90 });

test('sizes and teacher options: bounded and checked before work, one line with the bound and the value', async () => {
  const cases: Array<[string[], string, RegExp]> = [
    [['--teacher-option', 'grid=100000'], 'grid', /--teacher-option: grid expects an integer from 1 to 64, got '100000'/],
    [['--config', yaml], 'grid.yaml', /teacherOptions\.grid: too big: expected number to be <=64, got 100000/],
    // random:1 at 32 px has an 8x8 feature map; a 64 px CNN student an 8x8 token map, a 32 px ViT of patch 2 16x16.
    [['--set', 'teacherGrid=10', '--set', 'student.inputSize=64'], 'teacherGrid', /token grid 10x10 is finer than the student's 8x8 .* to 8 or less/],
    [['--set', 'teacherGrid=10', '--student-width', '12', '--set', 'student.kind=vit', '--set', 'student.inputSize=32', '--set', 'student.patchSize=2',
      '--set', 'student.depth=1'], 'grid', /token grid 10x10 is finer than the model's 8x8 feature map .*use grid=8 or less/],
    [['--views', '2000000'], 'views', /views: too big: expected number to be <=1000, got 2000000/],
    [['--set', 'teacherBatchSize=100000'], 'teacherBatchSize', /teacherBatchSize: too big: expected number to be <=4096, got 100000/],
    [['--data', 'noise:5000000'], 'noise:5000000', /5000000 images of 28x28x1 need 14\.6 GiB; the limit for generated noise is 2 GiB, at most \d+ images/],
    [['--teacher-preset', 'dinov2'], 'preset', /--teacher random: teacher option preset .* would be ignored by the built-in random teacher/],
    [['--teacher-option', 'grid=2', '--teacher-option', 'grid=4'], 'grid', /teacher option grid is given twice/],
  ];
  const t0 = Date.now();
  const results = await Promise.all(cases.map(([extra]) => dry(...extra)));
  results.forEach((r, i) => assertOneLineError(r, cases[i]![1], cases[i]![2]));
  const embed = await tintem(['embed', '--teacher', 'random:1', '--data', 'noise:8', '--batch-size', '100000', '--cache-dir', join(root, 'cache'), '--no-progress']);
  assertOneLineError(embed, '--batch-size', /expected an integer from 1 to 4096, got '100000'/, true);
  assert.ok(Date.now() - t0 < 90_000, `took ${Date.now() - t0} ms`);
});
