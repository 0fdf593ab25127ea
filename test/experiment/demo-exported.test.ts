/**
 * `tintem demo` (tiny sizes, random teacher): it exports its TinTeM student as TF.js + ONNX + int8 and the report
 * holds the scorecards of those three forms, each with its "vs its fp32 student" rows (the acceptance).
 * The tfjs form is the fp32 student's own weights under TF.js, so its differences are exactly 0 (a hand value).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_DEFAULTS, runDemo } from '../../src/experiment/demo.js';
import { tempDir } from '../reliability/helpers.js';

test('demo: the TinTeM student\'s tfjs, onnx and onnx-int8 forms are scored in the report against the fp32 student', { timeout: 600_000 }, async () => {
  const outDir = tempDir('demo-exported');
  const r = await runDemo({
    ...DEMO_DEFAULTS, teacher: 'random:1', trainLimit: 64, testLimit: 32, oodLimit: 16, epochs: 1, robustnessCount: 0,
    outDir, cacheDir: join(outDir, 'cache'), progress: false,
  });
  assert.equal(r.interrupted, false);
  for (const f of ['model.json', 'student.onnx', 'student.int8.onnx']) assert.ok(existsSync(join(outDir, 'export', f)), f);
  const data = JSON.parse(readFileSync(join(outDir, 'report', 'report-data.json'), 'utf8')) as {
    verdict: { students: Array<{ model: string; figures: Array<{ label: string; reference?: string; gap?: { value: number } }> }> };
  };
  const forms = ['tintem [tfjs]', 'tintem [onnx]', 'tintem [onnx-int8]'];
  assert.deepEqual(data.verdict.students.map((s) => s.model), ['tintem', 'proteus', ...forms]);
  for (const form of forms) {
    const rows = data.verdict.students.find((s) => s.model === form)!.figures.filter((f) => f.reference === 'fp32 tintem');
    assert.ok(rows.length >= 3, `${form}: ${rows.length} rows vs the fp32 student`);
    assert.ok(rows.every((f) => / vs its fp32 student$/.test(f.label)), form);
    if (form === 'tintem [tfjs]') for (const f of rows) assert.equal(f.gap!.value, 0, f.label);
  }
  const exported = JSON.parse(readFileSync(join(outDir, 'exported.json'), 'utf8')) as Array<{ form: string }>;
  assert.deepEqual(exported.map((c) => c.form), ['tfjs', 'onnx', 'onnx-int8']);
});
