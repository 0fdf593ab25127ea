/**
 * Evaluation sets at the teacher's resolution (issue 12: the teacher never sees a student-size image upsampled):
 * photo crops are decoded a second time at the teacher's size, row for row the same crops; sources without more
 * pixels (MNIST) get no second copy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/index.js';
import { resizeImages } from '../../src/data/index.js';
import { loadEvalSets } from '../../src/experiment/sets.js';

await initBackend();

test('photos at student 32 px, teacher 64 px: teacherView has the same crops at 64 px, in the same order', async () => {
  const sets = await loadEvalSets({ train: 'photos:train', test: 'photos:test', ood: ['noise:8'], trainLimit: 12, testLimit: 6, oodLimit: 8, seed: 3, size: 32, channels: 3, teacherSize: 64 });
  const view = sets.teacherView!;
  assert.ok(view, 'a teacher view for re-decodable photos');
  for (const [name, s, t] of [['train', sets.train, view.train], ['test', sets.test, view.test]] as const) {
    assert.equal(t.count, s.count, `${name}: count`);
    assert.equal(t.height, 64);
    assert.equal(s.height, 32);
    assert.deepEqual(t.labels && Array.from(t.labels), s.labels && Array.from(s.labels), `${name}: labels row for row`);
    // Downscaled, the teacher's crop is the student's crop (not another crop): mean abs difference of a few %.
    const down = await resizeImages(t, 32, 3);
    const per = 32 * 32 * 3;
    for (let i = 0; i < s.count; i++) {
      let same = 0, other = 0;
      const j = (i + 1) % s.count;
      for (let k = 0; k < per; k++) {
        same += Math.abs(down.pixels[i * per + k]! - s.pixels[i * per + k]!);
        other += Math.abs(down.pixels[i * per + k]! - s.pixels[j * per + k]!);
      }
      assert.ok(same / per < 0.05 && same < other, `${name} row ${i}: differs from the student's crop by ${(same / per).toFixed(3)} (vs ${(other / per).toFixed(3)} from row ${j})`);
    }
  }
  // Noise has no more pixels to give: the teacher gets the student's set itself.
  assert.equal(view.ood['noise:8'], sets.ood['noise:8']);
});

test('MNIST (28 px native) gets no teacher view: the teacher resizes the student-size set itself', async () => {
  const sets = await loadEvalSets({ train: 'mnist:train', test: 'mnist:test', ood: [], trainLimit: 10, testLimit: 5, seed: 0, teacherSize: 75 });
  assert.equal(sets.teacherView, undefined);
});
