import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageSet } from '../../src/data/types.js';
import { evaluateRobustness, pearson, pixelEmbed, pixelReference, type Embeddings } from '../../src/robustness/index.js';
import { UserError } from '../../src/util/errors.js';

const close = (a: number | null, b: number, tol = 1e-9) => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} != ${b}`);

/**
 * Ten constant 2x2 gray images with values 0.05, 0.15, ..., 0.95; label 1 when the value exceeds 0.5.
 * Brightness at severity s adds 0.1 s (clipped), so a threshold classifier's errors can be counted by hand:
 *   teacher (value > 0.5): wrong on the s dark images k = 5-s..4 that brightening pushes over  -> err_T(s) = s/10
 *   student (value > 0.6): wrong on k = 5 when clean (err 0.1); under s >= 1 on k = 6-s..4 -> err_S(s) = (s-1)/10
 */
function toy(): ImageSet {
  const count = 10;
  const pixels = new Float32Array(count * 4);
  for (let k = 0; k < count; k++) pixels.fill(0.05 + 0.1 * k, k * 4, k * 4 + 4);
  return { name: 'toy', count, height: 2, width: 2, channels: 1, pixels, labels: Int32Array.from({ length: count }, (_, k) => (k >= 5 ? 1 : 0)) };
}

const meanEmbed = (set: ImageSet): Embeddings => {
  const data = new Float32Array(set.count);
  for (let i = 0; i < set.count; i++) data[i] = set.pixels.subarray(i * 4, i * 4 + 4).reduce((s, v) => s + v, 0) / 4;
  return { data, count: set.count, dim: 1 };
};
const threshold = (t: number) => (e: Embeddings) => Int32Array.from(e.data, (v) => (v > t ? 1 : 0));

test('toy case: accuracy, agreement, CE, mCE and relative mCE match the hand computation', async () => {
  const report = await evaluateRobustness({
    images: toy(), corruptions: ['brightness'], seed: 0,
    embedTeacher: meanEmbed,
    embedStudents: { s: meanEmbed },
    // Identity map on 1-D positive embeddings: cosine exactly 1.
    mapTeacher: { s: (t) => ({ data: Float32Array.from(t.data), count: t.count, dim: 1 }) },
    classify: { teacher: threshold(0.5), students: { s: threshold(0.6) } },
  });
  assert.equal(report.reference, 'teacher');
  close(report.clean.accuracy.teacher!, 1);
  close(report.clean.accuracy.s!, 0.9);
  for (const cell of report.cells) {
    close(cell.accuracy.teacher!, 1 - cell.severity / 10, 1e-12);
    close(cell.accuracy.s!, 1 - (cell.severity - 1) / 10, 1e-12);
    close(cell.agreement.s!, 0.9, 1e-12); // they differ only on the image whose value lands in (0.5, 0.6]
    close(cell.cosine.s!, 1, 1e-6);
  }
  // CE_S = sum (s-1)/10 / sum s/10 = 1.0 / 1.5; rCE_S = sum((s-1)/10 - 0.1) / sum(s/10 - 0) = 0.5 / 1.5.
  close(report.summary.s!.mCE, 2 / 3);
  close(report.summary.s!.relativeMCE, 1 / 3);
  close(report.summary.teacher!.mCE, 1);
  close(report.summary.s!.cleanError, 0.1);
  // Accuracy drops: teacher s/10, student (s-2)/10 -> Pearson 1, mean |gap| = 0.2.
  close(report.tracking.s!.pearson, 1);
  close(report.tracking.s!.meanAbsGap, 0.2);
  close(report.tracking.s!.perCorruption.brightness!.meanAbsGap, 0.2);
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report, 'report is plain JSON');
});

test('cosine to the mapped teacher uses the map', async () => {
  const report = await evaluateRobustness({
    images: toy(), corruptions: ['contrast'], severities: [1], seed: 0,
    embedTeacher: meanEmbed,
    embedStudents: { s: (set) => { const m = meanEmbed(set); return { data: Float32Array.from({ length: m.count * 2 }, (_, i) => m.data[i >> 1]!), count: m.count, dim: 2 }; } },
    mapTeacher: { s: (t) => ({ data: Float32Array.from({ length: t.count * 2 }, (_, i) => (i % 2 === 0 ? t.data[i >> 1]! : 0)), count: t.count, dim: 2 }) },
    classify: { teacher: threshold(0.5), students: { s: (e) => Int32Array.from({ length: e.count }, (_, i) => (e.data[2 * i]! > 0.5 ? 1 : 0)) } },
  });
  close(report.clean.cosine.s!, Math.SQRT1_2, 1e-6);
  close(report.cells[0]!.cosine.s!, Math.SQRT1_2, 1e-6);
});

test('raw-pixel reference: CE relative to a pixel classifier', async () => {
  // Reference: first pixel > 0.7. Clean it misses k = 5, 6 (err 0.2). Under brightness s it says 1 iff k + s >= 7:
  // s = 1 -> wrong on k = 5 only (0.1); s = 2 -> no errors (0). Teacher: 0.1, 0.2. CE_T = 0.3 / 0.1 = 3.
  const report = await evaluateRobustness({
    images: toy(), corruptions: ['brightness'], severities: [1, 2], seed: 0,
    embedTeacher: meanEmbed, embedStudents: {},
    classify: { teacher: threshold(0.5), students: {} },
    reference: pixelReference((e) => Int32Array.from({ length: e.count }, (_, i) => (e.data[i * e.dim]! > 0.7 ? 1 : 0))),
  });
  assert.equal(report.reference, 'pixels');
  close(report.clean.accuracy.pixels!, 0.8, 1e-12);
  close(report.summary.teacher!.mCE, 3, 1e-9);
  close(report.summary.pixels!.mCE, 1, 1e-9);
  // The reference got better under the corruption (negative degradation): relative CE is undefined.
  assert.equal(report.summary.teacher!.relativeMCE, null);
  assert.equal(pixelEmbed(toy()).dim, 4);
});

test('pearson: known values and undefined for constant series', () => {
  close(pearson([1, 2, 3], [2, 4, 6]), 1);
  close(pearson([1, 2, 3], [3, 2, 1]), -1);
  assert.equal(pearson([1, 1, 1], [1, 2, 3]), null);
});

test('bad inputs are user errors', async () => {
  const base = {
    seed: 0, embedTeacher: meanEmbed, embedStudents: { s: meanEmbed }, classify: { teacher: threshold(0.5), students: { s: threshold(0.5) } },
  };
  await assert.rejects(evaluateRobustness({ ...base, images: { ...toy(), labels: undefined } }), (e: unknown) => e instanceof UserError && /needs one label per image/.test(e.message));
  await assert.rejects(evaluateRobustness({ ...base, images: toy(), corruptions: ['frost' as never] }), /unknown corruption 'frost'/);
  await assert.rejects(evaluateRobustness({ ...base, images: toy(), classify: { teacher: threshold(0.5), students: {} } }), /no classifier for student 's'/);
});
