/**
 * Issue 27, item 8: a resumed distill says where it resumes and reports the run's speed over the whole run; a
 * teacher that gives no patch tokens (output=pooler_output on the tiny ONNX ViT) is warned about, naming the
 * TinTeM terms that are dropped.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import { loadDistillConfig as loadConfig } from '../../src/training/config.js';
import { droppedTokenTermsWarning, runDistill } from '../../src/experiment/distill.js';

before(async () => { await initBackend(); });
const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-resume-'));
const cacheDir = tmp();
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'tiny-vit', 'tiny_vit.onnx');

async function captureStderr<T>(f: () => Promise<T>): Promise<{ value: T; text: string }> {
  let text = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => { text += String(chunk); return true; }) as typeof process.stderr.write;
  try { return { value: await f(), text }; } finally { process.stderr.write = write; }
}

test('resume: "resuming from step 3 of 9", and the speed is the whole run\'s (all steps over all training time)', async () => {
  const runDir = tmp();
  // 48 noise images at batch 16: 3 steps an epoch, 3 epochs = 9 steps; stopped after the first epoch.
  const config = await loadConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': 'noise:48', epochs: 3, batchSize: 16, runDir, cacheDir, progress: false },
    set: ['student.embedDim=8', 'views=0'],
  });
  const stop = new AbortController();
  const first = await runDistill(config, { signal: stop.signal, onEvent: (e) => { if (e.type === 'epoch') stop.abort(); } });
  assert.equal(first.interrupted, true);
  assert.equal(first.step, 3);
  const { value: second, text } = await captureStderr(() => runDistill(config, { resume: true }));
  assert.match(text, /^resuming from step 3 of 9 \(epoch 2 of 3, 3 steps an epoch\)$/m);
  const s = second.summary!;
  assert.equal(s.steps, 9);
  // 9 steps x 16 images over the run's training time (the first session's included).
  assert.ok(Math.abs(s.imagesPerSec - (9 * 16) / s.trainSeconds) < 1e-6 * s.imagesPerSec, `${s.imagesPerSec} vs ${(9 * 16) / s.trainSeconds}`);
});

test('output=pooler_output on a token teacher: warned, naming the dropped TinTeM terms; a corrupt file is listed once', async () => {
  const runDir = tmp();
  // 16 colour images and one corrupt file; the student's 16 px and the teacher's 32 px decode read the folder twice.
  const folder = join(tmp(), 'photos');
  mkdirSync(folder);
  for (let i = 0; i < 16; i++) await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 15 * i, g: 80, b: 200 - 10 * i } } }).png().toFile(join(folder, `${i}.png`));
  writeFileSync(join(folder, 'broken.png'), 'not a png');
  const config = await loadConfig(undefined, {
    values: { teacher: `onnx:${FIXTURE}#output=pooler_output`, 'data.train': `folder:${folder}`, epochs: 1, batchSize: 8, runDir, cacheDir, progress: false },
    set: ['student.embedDim=8', 'student.inputSize=16', 'views=0'],
  });
  const { value: r, text } = await captureStderr(() => runDistill(config));
  assert.equal(r.interrupted, false);
  assert.match(text, /warning: teacher onnx:tiny_vit\.onnx#output=pooler_output: its output=pooler_output is one vector an image, with no patch tokens, so tintem's token terms \(headLocal, studentTokens\) have no target and are dropped; only headGlobal, studentPooled train\./);
  assert.match(text, /output=last_hidden_state/);
  assert.equal(text.split('skipped 1 unreadable file(s)').length - 1, 1, text);
  // Tokens switched off on purpose, or a method without token terms: no warning.
  assert.equal(droppedTokenTermsWarning({ ...config, method: { ...config.method, tokens: false } }, false), undefined);
  assert.equal(droppedTokenTermsWarning(config, true), undefined);
});
