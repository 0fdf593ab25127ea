import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'tintem-embed-cli-'));

function tintem(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Two CLI runs only (each starts a process); bad teacher paths are covered in-process in test/teachers.
test('tintem embed: second run is all hits and --out exports the cached embeddings as JSON', () => {
  const cacheDir = join(root, 'cache');
  const args = ['embed', '--teacher', 'random:1', '--data', 'noise:40', '--cache-dir', cacheDir, '--batch-size', '16'];
  const first = tintem(...args);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /embedded 40 images .* dim 32, tokens 4; 0 hits, 40 misses/);
  const second = tintem(...args, '--out', join(root, 'emb.json'));
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /40 hits, 0 misses/);
  const exported = JSON.parse(readFileSync(join(root, 'emb.json'), 'utf8')) as { count: number; dim: number; pooled: number[][] };
  assert.equal(exported.count, 40);
  assert.equal(exported.pooled.length, 40);
  assert.equal(exported.pooled[0]!.length, 32);
});
