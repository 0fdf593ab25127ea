import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { initBackend, tf } from '../../src/backend/index.js';
import { readGallery } from '../../src/export/gallery.js';
import { loadStudent } from '../../src/export/load.js';
import { exportRun, galleryDatasetFor, scorecardSummary } from '../../src/export/export-run.js';
import { UserError } from '../../src/util/errors.js';
import { randomImages } from './fixtures.js';
import { fakeRun } from '../training/run-fixture.js';

await initBackend();

const SCORECARD = {
  sections: [
    { name: 'quality', rows: [{ metric: 'kNN accuracy', higherIsBetter: true, cells: { teacher: { value: 0.95 }, tintem: { value: 0.91 } } }] },
    { name: 'OOD: noise', rows: [{ metric: 'AUROC', higherIsBetter: true, cells: { tintem: { value: 0.88 }, proteus: { value: 0.8 } } }] },
  ],
};

async function fakeRunWith(opts: { scorecard?: boolean } = {}) {
  const run = await fakeRun();
  if (opts.scorecard) {
    mkdirSync(join(run.dir, 'eval'));
    writeFileSync(join(run.dir, 'eval', 'scorecard.json'), JSON.stringify(SCORECARD));
  }
  return run;
}

test('exportRun: identity from summary.json, eval scorecard figures, gallery from the run data', async () => {
  const { dir, model, summary } = await fakeRunWith({ scorecard: true });
  const out = join(dir, 'export');
  const { meta, gallery, gallerySpec } = await exportRun({ runDir: dir, outDir: out, gallerySize: 10, seed: 2 });
  assert.equal(meta.teacher.id, 'random:3/pool@28/unit');
  assert.equal(meta.teacher.embedDim, 32);
  assert.equal(meta.method, 'tintem');
  assert.deepEqual(meta.student, summary.student.spec);
  assert.equal(meta.runId, summary.runId);
  assert.deepEqual([meta.inputSize, meta.channels, meta.embedDim, meta.tokenGrid], [8, 1, 6, 4]);
  assert.deepEqual(meta.scorecard, { 'quality / kNN accuracy': 0.91, 'OOD: noise / AUROC': 0.88 });
  assert.deepEqual(meta.ood, { score: 'knn-distance', k: 10 });
  assert.equal(gallerySpec, 'noise:60');
  assert.equal(gallery!.count, 10);
  assert.equal(gallery!.calibration.k, 9); // default k 10, capped at the 9 other images of a leave-one-out gallery
  assert.equal((await readGallery(out)).count, 10);
  assert.ok(JSON.parse(readFileSync(join(out, 'tintem.json'), 'utf8')).files['gallery.json'], 'the gallery is sealed in tintem.json');
  // the export embeds exactly like the run's model
  const images = randomImages(4, 8, 1, 5);
  const expected = tf.tidy(() => (model.predict(tf.tensor4d(images.pixels, [4, 8, 8, 1])) as tf.Tensor[])[0]!.dataSync());
  const student = await loadStudent(out);
  assert.deepEqual(Array.from(await student.embed(images)), Array.from(expected));
  student.dispose();
  model.dispose();
});

test('exportRun: flags override, an unfinished or broken run folder is a UserError', async () => {
  const { dir, model } = await fakeRunWith();
  model.dispose();
  const { meta, gallery } = await exportRun({ runDir: dir, outDir: join(dir, 'a'), gallerySize: 0, oodThreshold: 0.3, oodK: 4 });
  assert.equal(meta.method, 'tintem');
  assert.deepEqual(meta.ood, { score: 'knn-distance', k: 4, threshold: 0.3, tpr: 0.95, source: '--ood-threshold' });
  assert.equal(gallery, undefined);
  const b = await exportRun({ runDir: dir, outDir: join(dir, 'b'), gallerySize: 0, teacherId: 'other', method: 'cosine', withTokens: true });
  assert.deepEqual([b.meta.teacher.id, b.meta.method, b.meta.outputs.length], ['other', 'cosine', 2]);
  assert.equal(b.meta.ood?.threshold, undefined);

  rmSync(join(dir, 'student', 'model.json'));
  await assert.rejects(() => exportRun({ runDir: dir, outDir: join(dir, 'x') }), (e: unknown) => e instanceof UserError && /student[/\\]model\.json: not found/.test(e.message));
  writeFileSync(join(dir, 'summary.json'), '{nope');
  await assert.rejects(() => exportRun({ runDir: dir, outDir: join(dir, 'x') }), (e: unknown) => e instanceof UserError && /summary\.json: not valid JSON/.test(e.message));
  rmSync(join(dir, 'summary.json'));
  await assert.rejects(() => exportRun({ runDir: dir, outDir: join(dir, 'x') }), (e: unknown) => e instanceof UserError && /summary\.json: not found \(the run never reached its first checkpoint\)/.test(e.message));
});

test('scorecard helpers', () => {
  assert.deepEqual(scorecardSummary({ knnAccuracy: 0.9, name: 'x', nested: { a: 1 } }, 'tintem'), { knnAccuracy: 0.9, name: 'x' });
  assert.equal(galleryDatasetFor('mnist:train'), 'mnist:test');
  assert.equal(galleryDatasetFor('fashion:train'), 'fashion:test');
  assert.equal(galleryDatasetFor('folder:/x'), 'folder:/x');
});

test('tintem export CLI writes the export and prints where to serve it', async () => {
  const { dir, model } = await fakeRunWith({ scorecard: true });
  model.dispose();
  const out = join(dir, 'cli-export');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', '--run', dir, '--out', out, '--gallery', 'noise:30', '--gallery-size', '8', '--quantize', 'int8'], { encoding: 'utf8', env: { ...process.env, TINTEM_QUIET_BACKEND: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /exported tintem student \(teacher random:3\/pool@28\/unit\)/);
  assert.match(r.stdout, /gallery: 8 images of noise:30/);
  assert.match(r.stdout, /student\.onnx [\d.]+ KB: onnxruntime-node matches TF\.js on 30 images/);
  assert.match(r.stdout, /student\.int8\.onnx [\d.]+ KB \(\d+% of fp32\); pooled cosine to fp32 min [\d.]+, mean [\d.]+; onnxruntime-node [\d.]+ ms\/image vs fp32/);
  // The calibration set's size is printed, and a small one is warned about (22 = the 30 images less the gallery).
  assert.match(r.stdout, /calibrated OOD threshold \d\.\d{4} at 95% ID TPR \(k=\d+\) on 22 held-out images/);
  assert.match(r.stderr, /warning: gallery: the OOD threshold is calibrated on only 22 held-out images of noise-uniform: .*95% ± 9 points/);
  assert.match(r.stdout, new RegExp(`tintem serve --model ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const meta = JSON.parse(readFileSync(join(out, 'tintem.json'), 'utf8'));
  assert.equal(meta.scorecard['quality / kNN accuracy'], 0.91);
  assert.deepEqual(Object.keys(meta.files).sort(), ['gallery.json', 'model.json', 'student.int8.onnx', 'student.onnx', 'weights.bin']);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', '--run', dir, '--out', join(dir, 'x'), '--format', 'tfjs', '--quantize', 'int8'], { encoding: 'utf8' });
  assert.equal(bad.status, 2); // a user error
  assert.match(bad.stderr, /--quantize int8 writes an ONNX file/);
});
