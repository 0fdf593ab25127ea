/**
 * Class 4 of issue 14: without the native TensorFlow binding, `tintem distill` refuses before any work (no data
 * loaded, no cache filled, no run folder made) with one line saying how to get it, and the README says so.
 * scripts/fault/no-native.mjs makes `@tensorflow/tfjs-node` fail to load, as on a machine where it was never built.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, tempDir, tintem } from './helpers.js';

test('no native binding: distill (and --dry-run) refuse before any work, naming the fix; the README matches', async () => {
  const root = tempDir('no-native');
  const preload = `--import ${join(REPO, 'scripts', 'fault', 'no-native.mjs')}`;
  const runs = await Promise.all([[], ['--dry-run']].map((extra) =>
    tintem(['distill', '--teacher', 'random:1', '--data', 'mnist:train', '--limit', '64', '--run-dir', join(root, 'run'), '--cache-dir', join(root, 'cache'), ...extra], { nodeOptions: preload })));
  for (const r of runs) {
    assert.equal(r.code, 2, r.stderr);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('tintem: error:'));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, /cannot train on the wasm backend.*python3 -m pip download --no-deps -d .* tensorflow-cpu==.* && node .*install-native\.mjs.*--backend cpu/);
    assert.doesNotMatch(r.stderr, /internal error|^\s+at /m);
    assert.ok(!existsSync(join(root, 'run')) && !existsSync(join(root, 'cache')), 'nothing was written');
  }
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  assert.match(readme, /`distill` refuses before any work/);
  assert.doesNotMatch(readme, /tintem still runs on the WebAssembly \/ pure-JS backend and says so \(training is then far slower\)/);
});
