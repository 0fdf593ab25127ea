/**
 * A cache written by the release before the registries refactor (test/fixtures/cache-release, from
 * scripts/fixtures/make-cache-release.sh at commit 683adf3) is read by today's code: the same teacher id, folder
 * and keys, so every image is a hit and no file is rewritten.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const FIXTURE = 'test/fixtures/cache-release';

const listing = (dir: string): Record<string, string> => Object.fromEntries(
  readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
    .map((e) => [relative(dir, join(e.parentPath, e.name)), readFileSync(join(e.parentPath, e.name)).toString('base64')]),
);

test('a cache written by the earlier release is all hits today, and left byte-for-byte as it was', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-release-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(FIXTURE, dir, { recursive: true });
  const before = listing(dir);
  assert.deepEqual(Object.keys(before).sort(), [
    'embeddings/random_seed3_dim32-39660f0d8ecb/9a9544729487860217694655ace46219.ttc',
    'embeddings/random_seed3_dim32-39660f0d8ecb/manifests/35bd0e086f5bf78d-0-of-1.json',
  ]);
  const r = spawnSync(process.execPath, ['bin/tintem.js', 'embed', '--teacher', 'random:3', '--data', 'noise:4', '--cache-dir', dir, '--input-size', '16', '--grid', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /with random:seed3:dim32\|16px\|m0\.5,0\.5,0\.5s0\.5,0\.5,0\.5\|grid2 .*; 4 hits, 0 misses/);
  assert.deepEqual(listing(dir), before);
});

test('a finished run written by the earlier release resumes to the same student, and exports', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-release-run-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = join(dir, 'run');
  cpSync('test/fixtures/run-release', run, { recursive: true });
  const weights = readFileSync(join(run, 'student', 'weights.bin'));
  const resumed = spawnSync(process.execPath, ['bin/tintem.js', 'distill', '-c', join(run, 'config.yaml'), '--resume', '--run-dir', run, '--cache-dir', join(dir, 'cache')], { encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.deepEqual(readFileSync(join(run, 'student', 'weights.bin')), weights, 'the resumed run ends at the same student');
  const exported = spawnSync(process.execPath, ['bin/tintem.js', 'export', '--run', run, '--out', join(dir, 'export'), '--format', 'tfjs', '--gallery-size', '0'], { encoding: 'utf8' });
  assert.equal(exported.status, 0, exported.stderr);
  const recorded = (JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as { teacher: { id: string } }).teacher.id;
  assert.equal(recorded, 'random:seed3:dim32|32px|m0.5,0.5,0.5s0.5,0.5,0.5|grid2');
  assert.ok(exported.stdout.startsWith(`exported tintem student (teacher ${recorded}) to `), exported.stdout);
});
