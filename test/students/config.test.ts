/**
 * Students by name in the config and on the command line: `student: resnet18`, `{ preset, ...keys }`, `--set
 * student=...`, one-line errors listing the presets, configs of the current release unchanged, and a named preset
 * trained end to end through `runDistill` with its preset, parameters, FLOPs and grids in summary.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { studentPresetNames } from '../../src/students/index.js';
import { loadDistillConfig, parseDistillConfig } from '../../src/training/config.js';
import { estimateDistill, runDistill } from '../../src/experiment/distill.js';
import { UserError } from '../../src/util/errors.js';

await initBackend();

test('student: <name> is { preset: <name> }; keys override it from the file, flags and --set', async () => {
  assert.deepEqual(parseDistillConfig({ student: 'resnet18' }).student, { preset: 'resnet18' });
  assert.deepEqual(parseDistillConfig({ student: { preset: 'vit-ti14', inputSize: 224, embedDim: 96 } }).student, { preset: 'vit-ti14', inputSize: 224, embedDim: 96 });
  const set = await loadDistillConfig(undefined, { set: ['student=vit-s14', 'student.inputSize=196'] });
  assert.deepEqual(set.student, { preset: 'vit-s14', inputSize: 196 });
  const flag = await loadDistillConfig(undefined, { values: { 'student.preset': 'mobilenetv3-large', 'student.embedDim': 128 } });
  assert.deepEqual(flag.student, { preset: 'mobilenetv3-large', embedDim: 128 });
  // the current release's sections are unchanged
  assert.deepEqual(parseDistillConfig({ student: { kind: 'vit', width: 64 } }).student, { kind: 'vit', width: 64 });
  assert.deepEqual(parseDistillConfig({}).student, {});
});

test('an unknown student, or a key the preset does not take, is one line before any data is read', async () => {
  assert.throws(() => parseDistillConfig({ student: 'resnet-18' }, 'config.yaml'),
    (e: unknown) => e instanceof UserError && e.message === `config.yaml: student.preset: unknown student 'resnet-18' (expected one of ${studentPresetNames().join(', ')})`);
  await assert.rejects(loadDistillConfig(undefined, { values: { 'student.preset': 'vit-b16' } }), /command line: student.preset: unknown student 'vit-b16' \(expected one of cnn, vit, vit-ti16, vit-ti14, vit-s16, vit-s14, resnet18/);
  assert.throws(() => parseDistillConfig({ student: { preset: 'resnet50', stemWidth: 8 } }), /config: student.stemWidth: unknown key for a resnet student \(expected one of: kind, preset, inputSize, channels, embedDim, depth\)/);
  assert.throws(() => parseDistillConfig({ student: { kind: 'mlp' } }), /config: student: 'kind' must be one of cnn, vit, resnet, mobilenetv3/);
});

test('a named preset trains end to end: summary.json and the dry run show preset, parameters, FLOPs and both grids', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tintem-student-preset-'));
  const config = await loadDistillConfig(undefined, {
    values: { teacher: 'random:1', 'data.train': 'noise:16', epochs: 1, batchSize: 8, runDir: join(root, 'run'), cacheDir: join(root, 'cache'), progress: false },
    set: ['student=mobilenetv3-small', 'student.inputSize=32'],
  });
  // torchvision's 927,008 at 3 channels less the stem's 3 x 3 x 2 x 16 weights of the two missing channels
  const params = 927_008 - 3 * 3 * 2 * 16;
  const e = await estimateDistill(config);
  const rows = new Map(e.studentRows);
  assert.equal(rows.get('student size'), `parameters: ${params}`);
  assert.match(rows.get('student')!, /^mobilenetv3-small \(torchvision mobilenet_v3_small\(\)\.features\), 32 px x 1 channel$/);
  assert.equal(rows.get('token grid'), 'student 1x1, teacher 1x1 (equal)');

  const r = await runDistill(config);
  const s = r.summary!.student;
  assert.equal(s.params, params);
  assert.equal(s.preset, 'mobilenetv3-small');
  assert.equal(s.tokenGrid, 1);
  assert.equal(s.teacherGrid, 1);
  assert.ok(s.flops! > 0);
  assert.deepEqual(s.spec, { kind: 'mobilenetv3', preset: 'mobilenetv3-small', inputSize: 32, channels: 1, size: 'small', embedDim: 576 });
  const saved = JSON.parse(readFileSync(join(root, 'run', 'summary.json'), 'utf8'));
  assert.equal(saved.student.preset, 'mobilenetv3-small');
  // The saved student (standard tfjs layers only) loads back as a plain LayersModel.
  const model = await tf.loadLayersModel(`file://${join(root, 'run', 'student', 'model.json')}`);
  assert.deepEqual(model.outputs.map((o) => o.shape), [[null, 576], [null, 1, 576]]);
  model.dispose();
});

test('specs of the current release resolve byte for byte as before (resume fingerprints unchanged) and old summaries parse', async () => {
  const { resolveStudentSpec } = await import('../../src/students/index.js');
  const { runSummarySchema } = await import('../../src/training/run-folder.js');
  // The defaults as the release before presets wrote them into checkpoints and summary.json (hand-copied).
  assert.deepEqual(resolveStudentSpec({}, 28, 1),
    { kind: 'cnn', inputSize: 28, channels: 1, embedDim: 64, stemWidth: 32, stemStride: 2, widthMultipliers: [1, 2], blocksPerStage: [1, 1] });
  assert.deepEqual(JSON.stringify(resolveStudentSpec({ kind: 'cnn', embedDim: 128 }, 112, 3)),
    '{"kind":"cnn","inputSize":112,"channels":3,"embedDim":128,"stemWidth":32,"stemStride":4,"widthMultipliers":[1,2,4],"blocksPerStage":[1,1,1]}');
  assert.deepEqual(JSON.stringify(resolveStudentSpec({ kind: 'vit', width: 96 }, 112, 3)),
    '{"kind":"vit","inputSize":112,"channels":3,"embedDim":192,"patchSize":8,"width":96,"depth":6,"numHeads":3,"mlpRatio":4}');
  // summary.json's student of the current release: spec and params only
  const student = runSummarySchema.shape.student.parse({ spec: { kind: 'cnn' }, params: 81_000 });
  assert.deepEqual(student, { spec: { kind: 'cnn' }, params: 81_000 });
});
