/**
 * Acceptance: distilling from the tiny ViT ONNX fixture with its CLS token as pooled and its 4x4 patch tokens as
 * the token map; all four TinTeM terms are trained, and the cached teacher tokens equal onnxruntime-Python's raw
 * output for the same images (test/fixtures/tiny-vit/golden.json, from scripts/fixtures/make_tiny_vit.py).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { initBackend } from '../../src/backend/index.js';
import { loadDistillConfig as loadConfig } from '../../src/training/config.js';
import { embedWithCache } from '../../src/cache/index.js';
import { loadDataset } from '../../src/data/index.js';
import { createTeacher } from '../../src/teachers/index.js';
import { estimateDistill, runDistill } from '../../src/experiment/distill.js';
import { readLog } from '../../src/training/train-log.js';

before(async () => { await initBackend(); });

const FIXTURE = resolve('test/fixtures/tiny-vit');
const golden = JSON.parse(readFileSync(join(FIXTURE, 'golden.json'), 'utf8')) as {
  size: number; registers: number; dim: number; images: number[][]; outputs: Record<string, { shape: number[]; values: number[] }>;
};

test('distil from the tiny ViT: CLS pooled + patch tokens, four TinTeM terms, cached tokens = onnxruntime', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tintem-vit-distill-'));
  const folder = join(root, 'images');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(folder);
  const S = golden.size;
  for (const [i, img] of golden.images.entries()) {
    await sharp(Buffer.from(img), { raw: { width: S, height: S, channels: 3 } }).png().toFile(join(folder, `img${i}.png`));
  }
  const spec = `onnx:${join(FIXTURE, 'tiny_vit.onnx')}#registers=${golden.registers},grid=full`;
  const config = await loadConfig(undefined, {
    values: { teacher: spec, 'data.train': `folder:${folder}`, epochs: 2, batchSize: 3, runDir: join(root, 'run'), cacheDir: join(root, 'cache'), progress: false },
    set: ['student.embedDim=8', 'student.inputSize=32', 'student.channels=3'],
  });
  const estimate = await estimateDistill(config); // --dry-run works for an (asynchronous) ONNX teacher
  assert.equal(estimate.tokenCount, 16);
  assert.equal(estimate.teacherDim, golden.dim);

  const r = await runDistill(config);
  assert.equal(r.summary!.teacher.tokenCount, 16);
  const log = readLog(join(root, 'run', 'train.jsonl'));
  assert.ok(log.length > 0);
  for (const entry of log) {
    const terms = (entry as unknown as { terms: Record<string, number> }).terms;
    for (const k of ['headGlobal', 'headLocal', 'studentPooled', 'studentTokens']) assert.ok(Number.isFinite(terms[k]), `${k} in the train log`);
  }

  // The cache now holds the teacher outputs: a second pass is all hits and equals onnxruntime's raw output.
  const teacher = await createTeacher(spec, { lazy: true });
  const set = await loadDataset(`folder:${folder}`, { size: S, channels: 3 });
  const cached = await embedWithCache(teacher, set, { cacheDir: join(root, 'cache'), quiet: true });
  teacher.dispose();
  assert.equal(cached.hits, 3);
  assert.equal(cached.misses, 0);
  const hidden = golden.outputs.last_hidden_state!;
  const [, T, D] = hidden.shape as [number, number, number];
  const K = golden.registers;
  // Folder order is sorted file names = image order.
  for (let n = 0; n < 3; n++) {
    for (let d = 0; d < D; d++) assert.ok(Math.abs(cached.pooled[n * D + d]! - hidden.values[n * T * D + d]!) < 2e-5, 'pooled = CLS');
    for (let p = 0; p < 16; p++) {
      for (let d = 0; d < D; d++) {
        const want = hidden.values[(n * T + 1 + K + p) * D + d]!;
        assert.ok(Math.abs(cached.tokens![(n * 16 + p) * D + d]! - want) < 2e-5, `token ${p} of image ${n}`);
      }
    }
  }
});
