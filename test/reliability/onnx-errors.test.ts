/**
 * Round 3, class 6: ONNX teacher errors say what is wrong, in one short line. The external-data file of the
 * tiny-ViT fixture (test/fixtures/tiny-vit/external, made by scripts/fixtures/make_tiny_vit.py; fixed 32 px input)
 * replaced by a named pipe, a link to /dev/zero, a truncated copy and a 10 GB sparse file; and a preset (224 px) on
 * the 32 px model, which names the size option to use. Nothing is handed to onnxruntime that it would choke on, so no
 * raw onnxruntime log line reaches the terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertOneLineError, tempDir, tintem } from './helpers.js';

const FIXTURE = resolve('test/fixtures/tiny-vit/external');
const root = tempDir('onnx-errors');
const DATA_BYTES = 31808; // model.onnx.data: the tensors' byte ranges end here

function modelWith(name: string, data: (path: string) => void): string {
  const dir = join(root, name);
  mkdirSync(dir);
  copyFileSync(join(FIXTURE, 'model.onnx'), join(dir, 'model.onnx'));
  data(join(dir, 'model.onnx.data'));
  return join(dir, 'model.onnx');
}

test('external data that is a FIFO, a device link, truncated or huge; a preset on a fixed 32 px model', async () => {
  assert.equal(readFileSync(join(FIXTURE, 'model.onnx.data')).length, DATA_BYTES);
  const fifo = modelWith('fifo', (p) => execFileSync('mkfifo', [p]));
  const device = modelWith('device', (p) => symlinkSync('/dev/zero', p));
  const cut = modelWith('cut', (p) => writeFileSync(p, readFileSync(join(FIXTURE, 'model.onnx.data')).subarray(0, 20000)));
  const huge = modelWith('huge', (p) => { copyFileSync(join(FIXTURE, 'model.onnx.data'), p); truncateSync(p, 10 * 2 ** 30); });
  const intact = modelWith('intact', (p) => copyFileSync(join(FIXTURE, 'model.onnx.data'), p));
  const cases: Array<[string, string, RegExp]> = [
    [`onnx:${fifo}`, 'model.onnx.data', /not a regular file \(a named pipe\)/],
    [`onnx:${device}`, 'model.onnx.data', /not a regular file \(a device\)/],
    [`onnx:${cut}`, 'model.onnx.data', /truncated \(20000 bytes; the model's tensors need 31808\)/],
    [`onnx:${huge}`, 'model.onnx.data', /10737418240 bytes, but the model's tensors use only 31808/],
    [`onnx:${intact}#preset=dinov2`, intact, /takes a fixed 32px input, not the 224px of preset dinov2; add size=32 to the teacher options/],
  ];
  const t0 = Date.now();
  const results = await Promise.all(cases.map(([teacher]) => tintem(['embed', '--teacher', teacher, '--data', 'noise:4', '--cache-dir', join(root, 'cache'), '--no-progress'], { timeoutSeconds: 60 })));
  results.forEach((r, i) => {
    assertOneLineError(r, cases[i]![1], cases[i]![2], true);
    assert.ok(r.stderr.length < 400, `short: ${r.stderr.length} characters`);
    assert.ok(!r.stderr.includes('\u001b['), 'no terminal colour codes');
  });
  assert.ok(Date.now() - t0 < 60_000);
});
