/**
 * `tintem distill` checks the whole config before any work: a typo'd loss weight, an option the chosen method
 * does not take and an unknown teacher each fail with one line while the training data does not even exist and
 * TensorFlow.js is refused (so neither data nor a model can have been read).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = mkdtempSync(join(tmpdir(), 'tintem-distill-validation-'));

function distill(...args: string[]) {
  const r = spawnSync(process.execPath, [
    '--import', 'tsx', '--import', './test/architecture/forbid-tf.mjs', 'src/cli/main.ts',
    'distill', '--data', `folder:${join(root, 'no-such-folder')}`, '--run-dir', join(root, 'run'), ...args,
  ], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr.trim() };
}

test('distill: bad method options and teacher specs fail before any data or model is read', () => {
  const weight = distill('--set', 'method.weights.headGlobl=1');
  assert.equal(weight.stderr, 'tintem: error: command line: method.weights.headGlobl: unknown key (expected one of: headGlobal, headLocal, studentPooled, studentTokens)');
  assert.equal(weight.status, 2);
  const pca = distill('--method', 'proteus', '--pca-init');
  assert.equal(pca.stderr, 'tintem: error: command line: method.pcaInit: unknown key (expected one of: name, weights, tokens)');
  const teacher = distill('--teacher', 'resnet50');
  assert.match(teacher.stderr, /^tintem: error: command line: teacher: 'resnet50': unknown teacher, expected 'inception\[:<layer>\]', /);
  assert.equal(teacher.stderr.includes('\n'), false);
});
