/**
 * Round 3, class 5: `cache merge` applies `cache verify`'s checks to every source before it copies a byte. A valid
 * shard under another shard's name, a shard in another teacher's folder and a manifest that is a folder are each
 * refused with one line naming the file and why, and nothing is copied into the target.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertOneLineError, tempDir, tintem } from './helpers.js';

const root = tempDir('merge');
const embed = (cacheDir: string, teacher: string) => tintem(['embed', '--teacher', teacher, '--data', 'noise:8', '--cache-dir', cacheDir,
  '--images-per-file', '4', '--no-progress']);
const teacherDir = (cacheDir: string) => join(cacheDir, 'embeddings', readdirSync(join(cacheDir, 'embeddings'))[0]!);
const shards = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.ttc')).sort();

test('merge refuses a renamed shard, another teacher\'s shard and a folder as manifest, copying nothing', async () => {
  const [a, b] = [join(root, 'a'), join(root, 'b')];
  const filled = await Promise.all([embed(a, 'random:1'), embed(b, 'random:2')]);
  for (const r of filled) assert.equal(r.code, 0, r.stderr);
  const copy = (name: string) => { const dir = join(root, name); cpSync(a, dir, { recursive: true }); return dir; };

  const renamed = copy('renamed');
  const rdir = teacherDir(renamed);
  cpSync(join(rdir, shards(rdir)[0]!), join(rdir, `${'c'.repeat(32)}.ttc`)); // a valid shard under another name
  const foreign = copy('foreign');
  const bShard = shards(teacherDir(b))[0]!;
  cpSync(join(teacherDir(b), bShard), join(teacherDir(foreign), bShard));
  const dirManifest = copy('dir-manifest');
  const manifestDir = join(teacherDir(dirManifest), 'manifests', 'folder.json');
  mkdirSync(manifestDir);

  const cases: Array<[string, string, RegExp]> = [
    [renamed, `${'c'.repeat(32)}.ttc`, /belong in [0-9a-f]{32}\.ttc \(renamed or misplaced file\)/],
    [foreign, bShard, /it holds teacher random:seed2.*not this folder's/],
    [dirManifest, manifestDir, /folder\.json: not a regular file \(a folder\)/],
  ];
  const results = await Promise.all(cases.map(([src], i) => tintem(['cache', 'merge', src, '--into', join(root, `into-${i}`)])));
  results.forEach((r, i) => {
    assertOneLineError(r, cases[i]![1], cases[i]![2], true);
    assert.match(r.stderr, /cache merge: nothing copied: 1 problem in the sources/);
    assert.ok(!existsSync(join(root, `into-${i}`)), 'nothing copied');
  });
  // The intact cache still merges.
  const ok = await tintem(['cache', 'merge', a, '--into', join(root, 'into-ok')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /2 shard files copied, 0 already there, 1 manifests/);
});
