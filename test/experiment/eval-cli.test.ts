/**
 * `tintem eval` follows the runs it is given, through the real CLI: with no data flags a run distilled on
 * folder:X is scored on X's images (bank = its training images, queries = a held-out split, both recorded in
 * the scorecard), the scorecard lands in <run>/eval and is never overwritten silently, and students of different
 * teachers are refused. Also: the few-steps warning in distill and --dry-run, and no TensorFlow log noise.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ScorecardSchema } from '../../src/evaluation/schema.js';
import { Rng } from '../../src/util/random.js';
import { tempDir, tintem as tintemCli } from '../reliability/helpers.js';

// Generous per-command limits: on a shared 2-core machine one tiny eval took over 2 minutes.
const tintem = (args: string[]) => tintemCli(args, { timeoutSeconds: 600 });

const dir = tempDir('eval-cli');
const images = join(dir, 'photos');
const cache = join(dir, 'cache');
const PER_CLASS = 30;

before(async () => {
  const rng = new Rng(7);
  for (const [c, name] of ['circles', 'stripes'].entries()) {
    mkdirSync(join(images, name), { recursive: true });
    for (let i = 0; i < PER_CLASS; i++) {
      const px = Buffer.alloc(20 * 20 * 3);
      for (let k = 0; k < px.length; k++) px[k] = (c === 0 ? (k % 3) * 70 : (Math.floor(k / 3) % 20) * 11) + rng.int(60);
      await sharp(px, { raw: { width: 20, height: 20, channels: 3 } }).png().toFile(join(images, name, `${i}.png`));
    }
  }
});

const distill = (runDir: string, teacher: string, extra: string[] = []) => tintem([
  'distill', '--teacher', teacher, '--data', `folder:${images}`, '--epochs', '1', '--batch-size', '16',
  '--set', 'student.inputSize=16', '--run-dir', runDir, '--cache-dir', cache, '--no-progress', ...extra,
]);

test('eval with no data flags scores a folder run on its own images, into <run>/eval, once', { timeout: 900_000 }, async () => {
  const run = join(dir, 'run-a');
  const d = await distill(run, 'random:1');
  assert.equal(d.code, 0, d.stderr);
  // 60 images at batch 16 is 3 steps an epoch: warned, with the fix.
  assert.match(d.stderr, /warning: 3 steps an epoch \(60 images at batch size 16/);
  assert.match(d.stderr, /--epochs \d+/);

  const e = await tintem(['eval', '--run', run, '--cache-dir', cache, '--ood', 'noise:40', '--no-progress']);
  assert.equal(e.code, 0, e.stderr);
  assert.doesNotMatch(e.stderr, /absl|oneDNN|I0000/, 'no TensorFlow log lines');
  assert.match(e.stderr, new RegExp(`bank +folder:${images}: 48 images`));
  assert.match(e.stderr, new RegExp(`queries +folder:${images}: 12 images \\(held-out 20%`));
  const path = join(run, 'eval', 'scorecard.json');
  assert.ok(existsSync(path), `scorecard at ${path} (the folder eval --help names)`);
  const card = ScorecardSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  assert.deepEqual(card.sets?.train, { spec: `folder:${images}`, count: 48, from: 'run', note: "the run's training images except the held-out queries" });
  assert.equal(card.sets?.test.spec, `folder:${images}`);
  assert.equal(card.sets?.test.from, 'run');
  assert.equal(card.sets!.train.count + card.sets!.test.count, 2 * PER_CLASS, 'bank + queries are exactly the folder');
  assert.equal(card.counts.train, 48);
  assert.equal(card.counts.test, 12);
  assert.equal(card.counts.classes, 2, "the folder's two class sub-folders");
  assert.deepEqual(card.sets?.ood, { 'noise:40': { spec: 'noise:40', count: 40, from: 'option' } });

  // A second evaluation into the same folder is refused in one line; --out and --overwrite are the ways on.
  const again = await tintem(['eval', '--run', run, '--cache-dir', cache, '--ood', 'noise:40', '--no-progress']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^tintem: error: .*run-a\/eval: already holds an evaluation \(scorecard\.json\); pass --out <another folder>, or --overwrite to replace it\n$/);

  // A student of another teacher is not scored against this one unless the user names the teacher.
  const runB = join(dir, 'run-b');
  assert.equal((await distill(runB, 'random:2')).code, 0);
  const mixed = await tintem(['eval', '--run', run, '--run', runB, '--cache-dir', cache, '--out', join(dir, 'mixed'), '--no-progress']);
  assert.equal(mixed.code, 2);
  assert.equal(mixed.stderr.trim().split('\n').length, 1, mixed.stderr);
  assert.match(mixed.stderr, /was distilled from random:seed1.* but .*run-b from random:seed2.*; pass --teacher <spec>/);
  const named = await tintem(['eval', '--run', run, '--run', runB, '--teacher', 'random:1', '--cache-dir', cache, '--ood', 'noise:40', '--out', join(dir, 'mixed'), '--no-progress']);
  assert.equal(named.code, 0, named.stderr);
  assert.ok(existsSync(join(dir, 'mixed', 'scorecard.json')));
});

test('distill --dry-run says when an epoch has too few steps, and which batch size fixes it', { timeout: 600_000 }, async () => {
  const r = await tintem(['distill', '--teacher', 'random:1', '--data', 'mnist:train', '--limit', '1000', '--run-dir', join(dir, 'dry'), '--cache-dir', cache, '--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  // 1000 images at the default batch 128 for 20 epochs: 7 steps an epoch, 140 in all; batch 64 gives 15 x 20 = 300.
  assert.match(r.stdout, /warning +7 steps an epoch \(1000 images at batch size 128; 140 steps in all, under 300\).*use --batch-size 64 \(15 steps an epoch, 300 in all\)/);
});
