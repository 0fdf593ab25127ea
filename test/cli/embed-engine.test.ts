/** `tintem embed` names the engine that computed (issue 27, item 8): onnxruntime for an ONNX teacher, not "tensorflow". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');

test('embed with an ONNX teacher says "on onnxruntime"; a second, all-cached run says "from the cache"', () => {
  const cache = mkdtempSync(join(tmpdir(), 'tintem-embed-engine-'));
  const args = ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'embed', '--teacher', `onnx:${join(repo, 'test', 'fixtures', 'tiny-vit', 'tiny_vit.onnx')}#registers=2`,
    '--data', 'noise:8', '--cache-dir', cache, '--no-progress'];
  const run = () => spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, TINTEM_QUIET_BACKEND: '1' }, timeout: 120_000 });
  const first = run();
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /embedded 8 images of noise:8 with onnx:[0-9a-f]+:last_hidden_state\S* on onnxruntime: dim 16/);
  const second = run();
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /last_hidden_state\S* from the cache: .*8 hits, 0 misses/);
});
