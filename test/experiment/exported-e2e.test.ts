/**
 * Faithfulness as deployed, end to end on a real tintem export: a tiny TinTeM student (MNIST, random teacher, a few
 * steps), `tintem export --quantize int8` (TF.js + student.onnx + student.int8.onnx, sealed), then `tintem eval
 * --run <run> --model <export> --report`: the three forms are scored like students and each is compared with the
 * fp32 student, in exported.json, the scorecard and the report's verdict.
 *
 * Hand values: the tfjs form IS the fp32 student's weights run by the same TF.js, so every difference is exactly 0;
 * the onnx form is the same float32 network under onnxruntime (checked at export to 1e-4 of the output scale), so
 * its CKA moves by less than 1e-3 and its kNN figures by at most a couple of the 40 queries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import { loadDistillConfig } from '../../src/training/config.js';
import { runDistill } from '../../src/experiment/distill.js';
import { tempDir, tintem } from '../reliability/helpers.js';

interface Figure { label: string; value: number; reference: number; difference: { estimate: number; lower: number; upper: number }; outcome: string }
interface Comparison { model: string; form: string; reference: string; figures: Figure[] }

test('eval --model on a real `tintem export --quantize int8`: tfjs, onnx and onnx-int8 scored and compared with the fp32 student', { timeout: 600_000 }, async () => {
  await initBackend();
  const root = tempDir('exported-e2e');
  const runDir = join(root, 'tintem');
  const cacheDir = join(root, 'cache');
  await runDistill(await loadDistillConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': 'mnist:train', 'data.limit': 64, epochs: 1, batchSize: 16, runDir, cacheDir, progress: false },
    set: ['student.embedDim=8'],
  }));

  const exportDir = join(root, 'export');
  const exp = await tintem(['export', '--run', runDir, '--out', exportDir, '--quantize', 'int8', '--gallery-size', '16'], { timeoutSeconds: 240 });
  assert.equal(exp.code, 0, exp.stderr);
  for (const f of ['model.json', 'student.onnx', 'student.int8.onnx']) assert.ok(existsSync(join(exportDir, f)), f);

  const out = join(root, 'eval');
  const ev = await tintem(['eval', '--run', runDir, '--model', exportDir, '--train-limit', '64', '--test-limit', '40', '--ood', 'noise:20',
    '--cache-dir', cacheDir, '--out', out, '--report', '--no-progress'], { timeoutSeconds: 300 });
  assert.equal(ev.code, 0, ev.stderr);
  assert.match(ev.stdout, /Exported forms vs their fp32 student/);

  const comparisons = JSON.parse(readFileSync(join(out, 'exported.json'), 'utf8')) as Comparison[];
  assert.deepEqual(comparisons.map((c) => [c.model, c.reference]), [['tintem [tfjs]', 'tintem'], ['tintem [onnx]', 'tintem'], ['tintem [onnx-int8]', 'tintem']]);
  const labels = ['kNN agreement with the teacher', 'Linear CKA to the teacher', 'kNN accuracy', 'OOD AUROC, noise:20 (kNN score)'];
  for (const c of comparisons) assert.deepEqual(c.figures.map((f) => f.label), labels, c.model);
  const [tfjs, onnx, int8] = comparisons as [Comparison, Comparison, Comparison];
  for (const f of tfjs.figures) {
    assert.equal(f.difference.estimate, 0, `tfjs ${f.label}`);
    assert.equal(f.outcome, 'same', `tfjs ${f.label}`);
  }
  for (const f of onnx.figures) {
    const bound = f.label.startsWith('Linear CKA') ? 1e-3 : 0.05;
    assert.ok(Math.abs(f.difference.estimate) <= bound, `onnx ${f.label}: ${f.difference.estimate}`);
  }
  for (const f of int8.figures) assert.ok(Number.isFinite(f.value) && f.difference.lower <= f.difference.estimate && f.difference.estimate <= f.difference.upper, `int8 ${f.label}`);

  const scorecard = JSON.parse(readFileSync(join(out, 'scorecard.json'), 'utf8')) as { students: Record<string, unknown> };
  assert.deepEqual(Object.keys(scorecard.students), ['tintem', 'tintem [tfjs]', 'tintem [onnx]', 'tintem [onnx-int8]']);
  const report = readFileSync(join(out, 'report', 'report.html'), 'utf8');
  for (const form of ['tfjs', 'onnx', 'onnx-int8']) assert.ok(report.includes(`tintem [${form}]`), form);
  assert.equal(report.split('vs its fp32 student').length - 1 >= 3 * labels.length, true, 'a "vs its fp32 student" row per figure and form');
});
