/**
 * The verdict answers its own question (issue 27, item 6): faithful / partly / not, closeness in both directions,
 * floors from an untrained student, small test sets flagged, no absolute path in a title. Expected words and
 * numbers are worked out by hand from the rule in FAITHFULNESS_RULE.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildVerdict, FAITHFULNESS_RULE, rateGap, shortSpec } from '../../src/experiment/report-verdict.js';
import { gapTint } from '../../src/report/html.js';
import type { Scorecard } from '../../src/evaluation/index.js';

type V = number | [number, number, number];
const metric = (v: V) => (typeof v === 'number' ? { value: v } : { value: v[0], ci: { lower: v[1], upper: v[2], level: 0.95, resamples: 100 } });
const oodOf = (sets: Record<string, V>) => Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, { scores: { knn: { auroc: metric(v) } } }]));
function model(m: { agreement?: V; cka?: V; ood: Record<string, V> }) {
  return {
    role: 'student', dim: 4, quality: { knn: { skipped: 'x' }, probe: { skipped: 'x' } },
    ...(m.agreement === undefined ? {} : { agreement: { knn: metric(m.agreement) } }),
    ...(m.cka === undefined ? {} : { similarity: { cka: metric(m.cka) } }),
    ood: oodOf(m.ood),
  };
}
function card(teacherOod: Record<string, V>, students: Record<string, Parameters<typeof model>[0]>, queries = 1000): Scorecard {
  return {
    settings: {}, sets: { train: { spec: 'x', count: 100, from: 'run' }, test: { spec: 'x', count: queries, from: 'run' }, ood: {} },
    teacher: { ...model({ ood: teacherOod }), role: 'teacher' },
    students: Object.fromEntries(Object.entries(students).map(([k, v]) => [k, model(v)])),
  } as unknown as Scorecard;
}

test('a student 19 points above its teacher on an OOD set diverges: not faithful, never "better"', () => {
  const c = card({ photos: [0.60, 0.57, 0.63] }, { s: { agreement: [0.95, 0.94, 0.96], cka: 0.99, ood: { photos: [0.79, 0.76, 0.82] } } });
  const floors = card({ photos: 0.6 }, { s: { agreement: 0.3, cka: 0.5, ood: { photos: 0.55 } } });
  const v = buildVerdict(c, undefined, {}, floors).students[0]!;
  const ood = v.figures[2]!;
  assert.ok(Math.abs(ood.gap!.value - 0.19) < 1e-12);
  assert.equal(ood.rating, 'far'); // interval 0.13..0.25 excludes 0 and |gap| >= 5 points
  assert.equal(ood.floor, 0.55);
  assert.equal(v.faithful, 'not');
  assert.match(v.sentence, /^s is not faithful to its teacher \(rule below\)\./);
  assert.match(v.sentence, /diverges from it on photos \(19\.0 points above the teacher's AUROC\)/);
  assert.match(v.sentence, /agrees with the teacher on 95\.0% of kNN predictions \(untrained: 30\.0%\), with linear CKA 0\.990 \(untrained: 0\.500\)/);
  assert.doesNotMatch(v.sentence, /better|worse/);
});

test('close in both directions and well above the floor: faithful; a CKA barely above its floor: partly', () => {
  const c = card({ noise: [0.90, 0.88, 0.92] }, {
    a: { agreement: 0.95, cka: 0.99, ood: { noise: [0.903, 0.88, 0.92] } }, // gap interval -0.04..0.04: within ±5 points
    b: { agreement: 0.95, cka: 0.99, ood: { noise: [0.897, 0.88, 0.92] } },
  });
  const floors = card({ noise: 0.9 }, { a: { agreement: 0.2, cka: 0.9, ood: { noise: 0.5 } }, b: { agreement: 0.2, cka: 0.98, ood: { noise: 0.5 } } });
  const [a, b] = buildVerdict(c, undefined, {}, floors).students;
  assert.equal(a!.faithful, 'faithful'); // CKA share (0.99-0.9)/(1-0.9) = 0.9 >= 0.8
  assert.match(a!.sentence, /^a is faithful to its teacher/);
  assert.match(a!.sentence, /close to the teacher's on noise/);
  assert.equal(b!.figures[1]!.rating, 'off'); // (0.99-0.98)/(1-0.98) = 0.5: between 0.4 and 0.8
  assert.equal(b!.faithful, 'partly');
});

test('gap ratings: size and uncertainty', () => {
  assert.equal(rateGap({ value: 0.003, lo: -0.03, hi: 0.04 }), 'close');
  assert.equal(rateGap({ value: -0.176, lo: -0.22, hi: -0.13 }), 'far');
  assert.equal(rateGap({ value: 0.10, lo: -0.15, hi: 0.35 }), 'off'); // uncertain: interval includes 0
  assert.equal(rateGap({ value: 0.03, lo: 0.01, hi: 0.06 }), 'off'); // significant but small
  assert.equal(rateGap({ value: 0.015 }), 'close');
  assert.equal(rateGap({ value: -0.06 }), 'far');
  // The tint: none when close, grows with the gap (full alpha 0.55 at 20 points), halved when the interval includes 0.
  assert.equal(gapTint({ gap: { value: 0.003, lo: -0.03, hi: 0.04 }, rating: 'close' }), '');
  assert.equal(gapTint({ gap: { value: -0.176, lo: -0.22, hi: -0.13 }, rating: 'far' }), ' style="background:rgba(201,60,60,0.48)"');
  assert.equal(gapTint({ gap: { value: 0.10, lo: -0.15, hi: 0.35 }, rating: 'off' }), ' style="background:rgba(224,160,40,0.14)"');
});

test('a 61-image test set is flagged with its noise (±13 points), and the rule is stated', () => {
  const v = buildVerdict(card({}, { s: { agreement: 0.75, cka: 0.99, ood: {} } }, 61), undefined);
  // 1.96 * sqrt(0.25 / 61) = 0.1255
  assert.equal(v.smallTestSet!.count, 61);
  assert.ok(Math.abs(v.smallTestSet!.noisePoints - 12.548) < 0.01);
  assert.match(v.students[0]!.sentence, /Only 61 test images: each figure carries about ±13 points of sampling noise; 400 or more give ±5\./);
  assert.equal(v.rule, FAITHFULNESS_RULE);
  assert.match(v.rule, /^Faithful: every figure is close to the teacher\. Not faithful: any figure is far from it\. Partly faithful: otherwise\./);
  assert.equal(buildVerdict(card({}, { s: { agreement: 0.75, ood: {} } }, 400), undefined).smallTestSet, undefined);
});

test('titles carry no absolute path', () => {
  assert.equal(shortSpec('onnx:/home/me/models/dinov2-small.onnx#preset=dinov2'), 'onnx:dinov2-small.onnx#preset=dinov2');
  assert.equal(shortSpec('tfjs:models/x/model.json'), 'tfjs:model.json');
  assert.equal(shortSpec('inception:mixed5'), 'inception:mixed5');
  assert.equal(shortSpec('random:1'), 'random:1');
});
