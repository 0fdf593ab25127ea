/**
 * Adding an export format is one file (an entry), one registration line and one test: this test registers an
 * example format, exports a run with it (its `write` sees the export folder and the check images; the TF.js files
 * stay only with a format that keeps them), reads its help and quantise choices, and unregisters it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { initBackend } from '../../src/backend/index.js';
import {
  exportFormatEntries, exportFormatHelp, quantizeChoices, registerExportFormat, resolveExportFormats, unregisterExportFormat, type ExportFormatContext,
} from '../../src/export/formats.js';
import { exportRun } from '../../src/export/export-run.js';
import { UserError } from '../../src/util/errors.js';
import { fakeRun } from '../training/run-fixture.js';

await initBackend();

test('an export format registered from a test is written by exportRun and shown in the help', async (t) => {
  const seen: ExportFormatContext[] = [];
  registerExportFormat({
    name: 'example',
    summary: 'an example format',
    quantize: ['int4'],
    async write(ctx) {
      seen.push(ctx);
      return { images: ctx.checkImages.count };
    },
    describe: (report) => [`example: ${(report as { images: number }).images} images`],
  });
  t.after(() => unregisterExportFormat('example'));
  assert.equal(exportFormatHelp(), 'tfjs (TF.js LayersModel, model.json + weights) | onnx (student.onnx, checked against TF.js with onnxruntime-node) | example (an example format) | all: which model files to write');
  assert.deepEqual(quantizeChoices(), ['int8', 'int4']);
  assert.deepEqual(exportFormatEntries().map((e) => e.name), ['tfjs', 'onnx', 'example']);

  const { dir, model } = await fakeRun();
  model.dispose();
  const { meta, reports } = await exportRun({ runDir: dir, outDir: join(dir, 'example-export'), format: 'example', quantize: 'int4', gallerySize: 0, seed: 1 });
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.quantize, 'int4');
  assert.equal(seen[0]!.checkImages.count, 16, 'no gallery: 16 seeded noise images check the file');
  assert.deepEqual(reports, { example: { images: 16 } });
  assert.equal(meta.files['model.json'], undefined, 'the example format keeps no TF.js files');
  assert.deepEqual(Object.keys(meta.files), []);
});

test('--format and --quantize are checked against the registered formats, in one line', () => {
  assert.deepEqual(resolveExportFormats('all', 'int8').map((e) => e.name), ['tfjs', 'onnx']);
  assert.deepEqual(resolveExportFormats('tfjs', undefined).map((e) => e.name), ['tfjs']);
  const fails = (format: string, quantize: string | undefined, message: string) =>
    assert.throws(() => resolveExportFormats(format, quantize), (e: Error) => e instanceof UserError && e.message === message);
  fails('tflite', undefined, "--format: expected one of tfjs, onnx, all, got 'tflite'");
  fails('onnx', 'int4', "--quantize: expected int8, got 'int4'");
  fails('tfjs', 'int8', '--quantize int8 writes an ONNX file: use it with --format onnx or all');
  assert.throws(() => registerExportFormat({ name: 'all', summary: '' }), /reserved/);
});
