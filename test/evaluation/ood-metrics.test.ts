import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc, aupr, aurocResampler, averagePrecision, fprAtTpr, rocCurve } from '../../src/evaluation/ood-metrics.js';
import { Rng } from '../../src/util/random.js';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('AUROC: perfectly separated scores give 1 (and reversed give 0)', () => {
  assert.equal(auroc([0.1, 0.2, 0.3], [0.5, 0.9]), 1);
  assert.equal(auroc([0.5, 0.9], [0.1, 0.2, 0.3]), 0);
});

test('AUROC: identical distributions give about 0.5, all-tied exactly 0.5', () => {
  const rng = new Rng(3);
  const a = Array.from({ length: 4000 }, () => rng.normal());
  const b = Array.from({ length: 4000 }, () => rng.normal());
  close(auroc(a, b), 0.5, 0.02);
  assert.equal(auroc([1, 1, 1], [1, 1]), 0.5);
});

test('AUROC: hand-worked case with ties counted half', () => {
  // OOD 0.4 beats 0.1, 0.35, ties 0.4 -> 2.5; OOD 0.9 beats all 4 -> 4; OOD 0.35 beats 0.1, ties 0.35 -> 1.5. 8/12.
  close(auroc([0.1, 0.4, 0.35, 0.8], [0.4, 0.9, 0.35]), 8 / 12);
  assert.ok(Number.isNaN(auroc([], [1])));
});

test('FPR@95TPR: hand-worked case in both conventions', () => {
  const id = Array.from({ length: 20 }, (_, i) => i + 1); // 1..20
  const ood = [5, 10, 15, 19, 19.5, 20, 21, 22, 23, 24];
  const r = fprAtTpr(id, ood);
  // ID positive: keeping 19 of 20 ID means threshold 19; OOD <= 19 are 5, 10, 15, 19 -> 4/10.
  close(r.idPositive, 0.4);
  // OOD positive: flagging ceil(9.5) = 10 of 10 OOD means threshold 5; ID >= 5 are 5..20 -> 16/20.
  close(r.oodPositive, 0.8);
  const perfect = fprAtTpr([0, 1, 2], [5, 6]);
  assert.deepEqual(perfect, { idPositive: 0, oodPositive: 0 });
});

test('average precision: hand-worked cases, including a tie', () => {
  // desc: 0.9 P (R .5, P 1), 0.8 N, 0.6 P (R 1, P 2/3) -> .5 + .5 * 2/3
  close(averagePrecision([0.9, 0.6], [0.8, 0.3]), 5 / 6);
  // one tied group of 2 P + 1 N at 0.5: R 1, P 2/3
  close(averagePrecision([0.5, 0.5], [0.5, 0.1]), 2 / 3);
});

test('AUPR-In and AUPR-Out: hand-worked asymmetric case', () => {
  const r = aupr([0.1, 0.2, 0.25], [0.3, 0.15]);
  // Out: 0.3 P (R .5, P 1); 0.15 P (R 1, P 2/4) -> .5 + .25
  close(r.out, 0.75);
  // In (scores negated): -0.1 P (1/3, 1); -0.2 P (2/3, 2/3); -0.25 P (1, 3/4) -> 1/3 + 2/9 + 1/4
  close(r.in, 29 / 36);
});

test('ROC curve runs from (0,0) to (1,1), is monotone and is thinned to maxPoints', () => {
  const rng = new Rng(5);
  const id = Array.from({ length: 1000 }, () => rng.normal());
  const ood = Array.from({ length: 800 }, () => rng.normal() + 1);
  const roc = rocCurve(id, ood, 200);
  assert.equal(roc.fpr.length, 200);
  assert.deepEqual([roc.fpr[0], roc.tpr[0]], [0, 0]);
  assert.deepEqual([roc.fpr.at(-1), roc.tpr.at(-1)], [1, 1]);
  for (let i = 1; i < roc.fpr.length; i++) assert.ok(roc.fpr[i]! >= roc.fpr[i - 1]! && roc.tpr[i]! >= roc.tpr[i - 1]!);
  const small = rocCurve([0.1, 0.4], [0.4, 0.9]);
  assert.deepEqual(small, { fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1] });
});

test('aurocResampler: identity indices reproduce auroc, multiplicities weight pairs', () => {
  const id = [0.1, 0.4, 0.35, 0.8], ood = [0.4, 0.9, 0.35];
  const stat = aurocResampler(id, ood);
  close(stat(Int32Array.from([0, 1, 2, 3, 4, 5, 6])), 8 / 12);
  // ID {0.1, 0.1, 0.8}, OOD {0.4, 0.4}: each OOD beats two 0.1s -> 4 of 6 pairs.
  close(stat(Int32Array.from([0, 0, 3, 4, 4])), 4 / 6);
  close(stat(Int32Array.from([0, 0, 3, 4, 4])), auroc([0.1, 0.1, 0.8], [0.4, 0.4]));
});
