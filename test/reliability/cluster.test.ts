/**
 * The cluster workflow of docs/scale-out.md on an image folder whose student size (28 px) differs from the teacher's
 * input size (32 px, the random teacher's default), the normal case: three `distill --embed-only --shard i/3`
 * processes at once, each into its own node-local cache; `cache verify --data` of one shard's cache and of a
 * two-shard merge reports the partial count the shard jobs said they filled; `cache merge` of all three, then
 * `cache verify --data` is OK with every entry and `distill --cache-only` trains without computing one.
 *
 * The counts are checked against what the fill jobs printed (their own code path: the shard plan) and against the
 * hand count: 24 images x 2 views = 48 entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { assertOneLineError, tempDir, tintem } from './helpers.js';

const root = tempDir('cluster');
const images = join(root, 'images');
const IMAGES = 24;
const NEEDED = IMAGES * 2; // the identity view and one augmented view

// 24 colour images of 40x40 px: seeded noise, every one different (a content hash decides its shard).
mkdirSync(images);
let state = 12345;
const next = () => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state >>> 24; };
for (let i = 0; i < IMAGES; i++) {
  const raw = Buffer.from(Array.from({ length: 40 * 40 * 3 }, next));
  await sharp(raw, { raw: { width: 40, height: 40, channels: 3 } }).png().toFile(join(images, `img-${String(i).padStart(2, '0')}.png`));
}

const COMMON = [
  '--teacher', 'random:1', '--data', `folder:${images}`, '--views', '1', '--set', 'student.inputSize=28', '--set', 'student.channels=3',
];
const distill = (cacheDir: string, ...extra: string[]) => tintem(['distill', ...COMMON, '--epochs', '1', '--batch-size', '8', '--student-width', '8',
  '--set', 'student.embedDim=8', '--cache-dir', cacheDir, '--no-progress', ...extra]);
const verify = (cacheDir: string) => tintem(['cache', 'verify', cacheDir, ...COMMON]);

test('cluster sequence at teacher 32 px / student 28 px: 3 concurrent shards, partial counts, merge, verify, --cache-only', async () => {
  const shardDirs = [0, 1, 2].map((i) => join(root, `node-${i}`));
  const fills = await Promise.all(shardDirs.map((dir, i) => distill(dir, '--embed-only', '--shard', `${i}/3`)));
  const filled = fills.map((r, i) => {
    assert.equal(r.code, 0, r.stderr);
    const m = /filled .* shard (\d)\/3: (\d+) images x 2 view\(s\)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(Number(m[1]), i);
    return Number(m[2]);
  });
  assert.equal(filled.reduce((a, b) => a + b, 0), IMAGES, `the shards partition the images: ${filled.join(' + ')}`);

  // One shard's cache: the right partial count, and a FAILED line that says why.
  const one = await verify(shardDirs[0]!);
  assert.equal(one.code, 1, one.stderr);
  assert.match(one.stdout, new RegExp(`incomplete coverage: ${filled[0]! * 2}/${NEEDED} entries`));
  assert.doesNotMatch(one.stdout, /FAILED: ;/);
  assert.match(one.stdout, /unfinished shards: 1\/3 2\/3 of plan/);

  // Two shards merged: still partial, with their sum.
  const two = join(root, 'two');
  assert.equal((await tintem(['cache', 'merge', shardDirs[0]!, shardDirs[1]!, '--into', two])).code, 0);
  const partial = await verify(two);
  assert.equal(partial.code, 1);
  assert.match(partial.stdout, new RegExp(`${(filled[0]! + filled[1]!) * 2}/${NEEDED} entries .*missing view 0: ${filled[2]}, view 1: ${filled[2]}`));
  const refused = await distill(two, '--cache-only', '--run-dir', join(root, 'run-refused'));
  assertOneLineError(refused, two, new RegExp(`holds ${(filled[0]! + filled[1]!) * 2}/${NEEDED} entries`));

  // All three merged: complete.
  const all = join(root, 'all');
  const merged = await tintem(['cache', 'merge', ...shardDirs, '--into', all]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.match(merged.stdout, /, 6 manifests/); // one a shard a view
  const ok = await verify(all);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, new RegExp(`: OK: .*coverage ${NEEDED}/${NEEDED} entries`));

  const run = join(root, 'run');
  const trained = await distill(all, '--cache-only', '--run-dir', run);
  assert.equal(trained.code, 0, trained.stderr);
  const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as { cache: { hits: number; misses: number } };
  assert.deepEqual({ hits: summary.cache.hits, misses: summary.cache.misses }, { hits: NEEDED, misses: 0 });
});
