/**
 * The demo/eval glue end to end on tiny sizes: distil with tintem and proteus from a random teacher, load the
 * runs back, evaluate, and build report data that passes the report schema.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../../src/backend/index.js';
import { parseDistillConfig } from '../../src/training/config.js';
import { loadDataset, makeNoiseImages } from '../../src/data/index.js';
import { evaluateRuns, TEACHER_ID } from '../../src/experiment/evaluate.js';
import { buildReportData } from '../../src/experiment/report-data.js';
import { loadRun } from '../../src/experiment/load-run.js';
import { isValue } from '../../src/evaluation/index.js';
import { normalizeReportData } from '../../src/report/normalize.js';
import { createTeacher } from '../../src/teachers/index.js';
import { runDistill, teacherGridFor } from '../../src/experiment/distill.js';

before(async () => { await initBackend(); });

test('distil -> load run -> evaluate -> report data, for tintem and proteus', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-pipeline-'));
  const cacheDir = join(dir, 'cache');
  const configs = (['tintem', 'proteus'] as const).map((name) => parseDistillConfig({
    teacher: 'random:3', data: { train: 'mnist:train', limit: 192 }, method: { name }, epochs: 2, batchSize: 64,
    seed: 1, runDir: join(dir, name), cacheDir, progress: false,
  }));
  for (const c of configs) {
    const r = await runDistill(c);
    assert.equal(r.interrupted, false);
    // Every loss term went down from the first epoch to the last.
    for (const [term, first] of Object.entries(r.summary!.firstEpochTerms)) {
      assert.ok(r.summary!.finalTerms[term]! < first, `${c.method.name} ${term}: ${first} -> ${r.summary!.finalTerms[term]}`);
    }
  }
  const before = tf.memory().numTensors;
  const runs = [await loadRun(configs[0]!.runDir), await loadRun(configs[1]!.runDir)];
  assert.deepEqual(runs.map((r) => r.name), ['tintem', 'proteus']);
  const grid = Math.round(Math.sqrt(runs[0]!.model.outputs[1]!.shape[1]!));
  const teacher = await createTeacher('random:3', { grid: teacherGridFor(configs[0]!, grid) });
  const train = await loadDataset('mnist:train', { limit: 192 });
  const test = await loadDataset('mnist:test', { limit: 96 });
  const ood = { noise: makeNoiseImages({ count: 48, size: 28, channels: 1, seed: 2 }) };
  const evaluation = await evaluateRuns({
    teacher, runs, sets: { train, test, ood }, cacheDir, seed: 0, progress: false,
    robustness: { count: 24, corruptions: ['gaussian_noise', 'contrast'], severities: [1, 5] },
  });
  const card = evaluation.scorecard;
  assert.deepEqual(Object.keys(card.students), ['tintem', 'proteus']);
  assert.equal(card.counts.train, 192);
  assert.equal(card.counts.test, 96);
  for (const model of [card.teacher, card.students.tintem!]) {
    assert.ok(isValue(model.quality.knn), 'kNN accuracy computed');
    // Random teacher features on MNIST are far above the 10% chance level.
    if (isValue(model.quality.knn)) assert.ok(model.quality.knn.value > 0.2, `knn ${model.quality.knn.value}`);
  }
  const rob = evaluation.robustness!;
  assert.equal(rob.cells.length, 4);
  assert.deepEqual(Object.keys(rob.clean.accuracy).sort(), ['proteus', 'teacher', 'tintem']);
  // Only TinTeM has a head that maps teacher embeddings into the student's space.
  assert.ok(Number.isFinite(rob.clean.cosine.tintem!));
  assert.equal(rob.clean.cosine.proteus, undefined);

  const data = buildReportData({ title: 't', config: {}, runs, teacherLabel: 'teacher (random)', evaluation, train, test });
  const json = await normalizeReportData(data, 'pipeline report');
  assert.equal(json.models[0]!.id, TEACHER_ID);
  assert.equal(json.curves!.tintem!.length, 6); // 2 epochs x 3 steps of 64
  assert.ok(json.scorecard!.sections.some((s) => s.name.startsWith('OOD detection: noise')));
  assert.deepEqual(json.robustness!.severities, [0, 1, 5]);
  assert.equal(json.neighbours!.queries.length, 5);
  // The verdict: one entry per student; each OOD gap is the student's kNN AUROC minus the teacher's from the scorecard.
  assert.deepEqual(json.verdict!.students.map((s) => s.model), ['tintem', 'proteus']);
  const gap = json.verdict!.students[0]!.figures.find((f) => f.label.startsWith('OOD AUROC, noise'))!;
  const auroc = (c: typeof card.teacher) => { const r = c.ood.noise!; return 'scores' in r && 'auroc' in r.scores.knn! && isValue(r.scores.knn.auroc) ? r.scores.knn.auroc.value : NaN; };
  assert.ok(Math.abs(gap.gap!.value - (auroc(card.students.tintem!) - auroc(card.teacher))) < 1e-9);
  assert.match(json.verdict!.students[0]!.sentence, /^tintem is (faithful|partly faithful|not faithful) to its teacher \(rule below\)\. It agrees with the teacher on \d+\.\d% of kNN predictions \(untrained: \d+\.\d%\)/);
  assert.ok(json.verdict!.students.every((s) => s.figures[0]!.floor !== undefined && s.faithful !== undefined), 'floors from an untrained student');
  teacher.dispose();
  for (const r of runs) r.dispose();
  assert.equal(tf.memory().numTensors, before, 'loading and evaluating runs leaks no tensors');
});
