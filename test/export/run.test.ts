import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { initBackend, tf } from '../../src/backend/index.js';
import { readGallery } from '../../src/export/gallery.js';
import { loadStudent } from '../../src/export/load.js';
import { exportRun, findOodThreshold, galleryDatasetFor, scorecardSummary } from '../../src/export/run.js';
import { UserError } from '../../src/util/errors.js';
import { randomImages, tinyStudentModel } from './fixtures.js';

await initBackend();

const SCORECARD = {
  sections: [
    { name: 'quality', rows: [{ metric: 'kNN accuracy', higherIsBetter: true, cells: { teacher: { value: 0.95 }, tintem: { value: 0.91 } } }] },
    { name: 'OOD: noise', rows: [{ metric: 'AUROC', higherIsBetter: true, cells: { tintem: { value: 0.88 }, proteus: { value: 0.8 } } }] },
  ],
  ood: { score: 'knn-distance', k: 7, threshold: 0.42, tpr: 0.95 },
};

/** A run folder as `tintem distill` leaves it: student/ (model.json + weights.bin), summary.json, config.yaml. */
async function fakeRun(opts: { summary?: boolean; scorecard?: boolean } = {}): Promise<{ dir: string; model: tf.LayersModel }> {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-run-'));
  const model = tinyStudentModel({ size: 8, channels: 1, dim: 6, seed: 8 });
  mkdirSync(join(dir, 'student'));
  await model.save(tf.io.withSaveHandler(async (a) => {
    writeFileSync(join(dir, 'student', 'weights.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!)));
    writeFileSync(join(dir, 'student', 'model.json'), JSON.stringify({ modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
  }));
  writeFileSync(join(dir, 'config.yaml'), 'teacher: random:3\ndata:\n  train: noise:60\nmethod:\n  name: proteus\nstudent:\n  kind: cnn\n');
  if (opts.summary !== false) {
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ teacher: { id: 'random:3/pool@28/unit', embedDim: 32 }, method: 'tintem', student: { spec: { kind: 'cnn', embedDim: 6 } } }));
  }
  if (opts.scorecard) writeFileSync(join(dir, 'scorecard.json'), JSON.stringify(SCORECARD));
  return { dir, model };
}

test('exportRun: identity from summary.json, scorecard figures and OOD threshold, gallery from the run data', async () => {
  const { dir, model } = await fakeRun({ scorecard: true });
  const out = join(dir, 'export');
  const { meta, gallery, gallerySpec } = await exportRun({ runDir: dir, outDir: out, gallerySize: 10, seed: 2 });
  assert.equal(meta.teacher.id, 'random:3/pool@28/unit');
  assert.equal(meta.teacher.embedDim, 32);
  assert.equal(meta.method, 'tintem');
  assert.deepEqual(meta.student, { kind: 'cnn', embedDim: 6 });
  assert.deepEqual([meta.inputSize, meta.channels, meta.embedDim, meta.tokenGrid], [8, 1, 6, 4]);
  assert.deepEqual(meta.scorecard, { 'quality / kNN accuracy': 0.91, 'OOD: noise / AUROC': 0.88 });
  assert.deepEqual(meta.ood, { score: 'knn-cosine-distance', k: 7, threshold: 0.42, tpr: 0.95, source: 'scorecard.json' });
  assert.equal(gallerySpec, 'noise:60');
  assert.equal(gallery!.count, 10);
  assert.equal(gallery!.calibration.k, 7);
  assert.equal((await readGallery(out)).count, 10);
  // the export embeds exactly like the run's model
  const images = randomImages(4, 8, 1, 5);
  const expected = tf.tidy(() => (model.predict(tf.tensor4d(images.pixels, [4, 8, 8, 1])) as tf.Tensor[])[0]!.dataSync());
  const student = await loadStudent(out);
  assert.deepEqual(Array.from(await student.embed(images)), Array.from(expected));
  student.dispose();
  model.dispose();
});

test('exportRun: falls back to config.yaml, flags override, missing pieces are UserErrors', async () => {
  const { dir, model } = await fakeRun({ summary: false });
  model.dispose();
  const { meta, gallery } = await exportRun({ runDir: dir, outDir: join(dir, 'a'), gallerySize: 0, oodThreshold: 0.3, oodK: 4 });
  assert.equal(meta.teacher.id, 'random:3');
  assert.equal(meta.method, 'proteus');
  assert.deepEqual(meta.student, { kind: 'cnn' });
  assert.deepEqual(meta.ood, { score: 'knn-cosine-distance', k: 4, threshold: 0.3, tpr: 0.95, source: '--ood-threshold' });
  assert.equal(gallery, undefined);
  const b = await exportRun({ runDir: dir, outDir: join(dir, 'b'), gallerySize: 0, teacherId: 'other', method: 'cosine', withTokens: true });
  assert.deepEqual([b.meta.teacher.id, b.meta.method, b.meta.outputs.length], ['other', 'cosine', 2]);
  assert.equal(b.meta.ood?.threshold, undefined);

  const empty = mkdtempSync(join(tmpdir(), 'tintem-run-'));
  await assert.rejects(() => exportRun({ runDir: empty, outDir: join(empty, 'x') }), (e: unknown) => e instanceof UserError && /no teacher id in summary\.json or config\.yaml; pass --teacher/.test(e.message));
  await assert.rejects(() => exportRun({ runDir: empty, outDir: join(empty, 'x'), teacherId: 't', method: 'm' }), (e: unknown) => e instanceof UserError && /student[/\\]model\.json: file not found/.test(e.message));
  writeFileSync(join(empty, 'summary.json'), '{nope');
  await assert.rejects(() => exportRun({ runDir: empty, outDir: join(empty, 'x') }), (e: unknown) => e instanceof UserError && /summary\.json: not valid JSON/.test(e.message));
});

test('scorecard helpers', () => {
  assert.deepEqual(scorecardSummary({ knnAccuracy: 0.9, name: 'x', nested: { a: 1 } }, 'tintem'), { knnAccuracy: 0.9, name: 'x' });
  assert.deepEqual(findOodThreshold({ a: [{ b: 1 }, { ood: { threshold: 0.2, k: 3 } }] }), { threshold: 0.2, k: 3, tpr: undefined });
  assert.equal(findOodThreshold({ threshold: 'high' }), undefined);
  assert.equal(galleryDatasetFor('mnist:train'), 'mnist:test');
  assert.equal(galleryDatasetFor('fashion:train'), 'fashion:test');
  assert.equal(galleryDatasetFor('folder:/x'), 'folder:/x');
});

test('tintem export CLI writes the export and prints where to serve it', async () => {
  const { dir, model } = await fakeRun({ scorecard: true });
  model.dispose();
  const out = join(dir, 'cli-export');
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'export', '--run', dir, '--out', out, '--gallery', 'noise:30', '--gallery-size', '8'], { encoding: 'utf8', env: { ...process.env, TINTEM_QUIET_BACKEND: '1' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /exported tintem student \(teacher random:3\/pool@28\/unit\)/);
  assert.match(r.stdout, /gallery: 8 images of noise:30/);
  assert.match(r.stdout, new RegExp(`tintem serve --model ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const meta = JSON.parse(readFileSync(join(out, 'tintem.json'), 'utf8'));
  assert.equal(meta.ood.threshold, 0.42);
});
