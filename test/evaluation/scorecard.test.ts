import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend, tf } from '../../src/backend/index.js';
import { evaluateFaithfulness, formatScorecard, type FaithfulnessInput } from '../../src/evaluation/scorecard.js';
import { ScorecardSchema, isValue } from '../../src/evaluation/schema.js';
import type { Embeddings } from '../../src/evaluation/types.js';
import { UserError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/random.js';
import { blobs, gaussian, transform } from './fixtures.js';

before(async () => { await initBackend(); });

const fast = { bootstrapResamples: 200, probe: { minSteps: 60, epochs: 5 } };

/** Every number in the card is finite, and there is no null (JSON's rendering of NaN). */
function assertAllFinite(value: unknown, path = 'card'): void {
  assert.notEqual(value, null, `${path} is null`);
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${path} = ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => assertAllFinite(v, `${path}[${i}]`));
  else if (typeof value === 'object') for (const [k, v] of Object.entries(value as object)) assertAllFinite(v, `${path}.${k}`);
}

function toyInput(seed: number): FaithfulnessInput {
  const rng = new Rng(seed);
  const train = blobs(rng, 240, 12, 3, 0.8, 1);
  const test = blobs(new Rng(seed), 90, 12, 3, 0.8, 1); // same centres
  const ood = gaussian(rng, 60, 12, 2);
  const proj = Float64Array.from({ length: 12 * 6 }, () => rng.normal());
  const student = (e: Embeddings) => transform(e, proj, 6);
  return {
    teacher: { train: train.x, test: test.x },
    students: { good: { train: student(train.x), test: student(test.x) }, noise: { train: gaussian(rng, 240, 6), test: gaussian(rng, 90, 6) } },
    idLabels: { train: train.y, test: test.y },
    oodSets: { far: { teacher: ood, students: { good: student(ood), noise: gaussian(rng, 60, 6) } } },
    seed: 3,
    options: fast,
  };
}

test('scorecard on a toy case: schema-valid, finite, sensible ordering, deterministic, no tensor leak', () => {
  const input = toyInput(1);
  const before = tf.memory().numTensors;
  const card = evaluateFaithfulness(input);
  assert.equal(tf.memory().numTensors, before);
  assert.ok(ScorecardSchema.safeParse(card).success, JSON.stringify(ScorecardSchema.safeParse(card).error?.issues.slice(0, 3)));
  assertAllFinite(card);
  const t = card.teacher, good = card.students.good!, noise = card.students.noise!;
  assert.ok(isValue(t.quality.knn) && t.quality.knn.value > 0.9);
  assert.ok(isValue(t.quality.knn) && t.quality.knn.ci!.lower <= t.quality.knn.value && t.quality.knn.value <= t.quality.knn.ci!.upper);
  // A linear projection of the teacher is far more faithful than unrelated noise.
  const v = (m: unknown) => (isValue(m as never) ? (m as { value: number }).value : NaN);
  assert.ok(v(good.similarity!.cka) > v(noise.similarity!.cka) + 0.3);
  assert.ok(v(good.agreement!.knn) > v(noise.agreement!.knn));
  assert.ok(v(good.similarity!.mutualKnn) > v(noise.similarity!.mutualKnn));
  assert.ok(Math.abs(v(noise.similarity!.mutualKnn) - v(noise.similarity!.mutualKnnChance)) < 0.1);
  const far = t.ood.far!;
  assert.ok(!('skipped' in far));
  assert.deepEqual(Object.keys(far.scores), ['knn', 'mahalanobis', 'energy', 'msp']);
  const knn = far.scores.knn!;
  assert.ok(!('skipped' in knn) && v(knn.auroc) > 0.9 && knn.roc.fpr.length <= 200);
  const goodFar = good.ood.far!;
  assert.ok(!('skipped' in goodFar) && !('skipped' in goodFar.scores.knn!) && isValue(goodFar.scores.knn!.teacherSpearman));
  assert.deepEqual(evaluateFaithfulness(toyInput(1)), card);
  const text = formatScorecard(card);
  assert.match(text, /teacher \(d=12\)\s+good \(d=6\)\s+noise \(d=6\)/);
  assert.match(text, /kNN accuracy \(k=20\)/);
  assert.match(text, /OOD 'far' \(60 images; higher score = more OOD/);
});

test('degenerate input (constant features, one class) never yields NaN: skipped markers with reasons', () => {
  const constant = (n: number, d: number): Embeddings => ({ data: new Float32Array(n * d).fill(0.5), count: n, dim: d });
  const card = evaluateFaithfulness({
    teacher: { train: constant(40, 5), test: constant(20, 5) },
    students: { flat: { train: constant(40, 3), test: constant(20, 3) } },
    idLabels: { train: new Int32Array(40), test: new Int32Array(20) },
    oodSets: { same: { teacher: constant(10, 5), students: { flat: constant(10, 3) } } },
    seed: 0,
    options: fast,
  });
  assertAllFinite(card);
  assert.ok(ScorecardSchema.safeParse(card).success);
  const sim = card.students.flat!.similarity!;
  assert.match((sim.cka as { skipped: string }).skipped, /zero variance/);
  assert.ok('skipped' in sim.cosinePearson && 'skipped' in sim.cosineSpearman);
  assert.ok(isValue(card.teacher.quality.knn) && card.teacher.quality.knn.value === 1);
  const scores = (card.teacher.ood.same as { scores: Record<string, { auroc: unknown }> }).scores;
  for (const s of Object.values(scores)) assert.deepEqual((s.auroc as { value: number }).value, 0.5); // all tied
  assert.match(formatScorecard(card), /\[1\] undefined: an embedding set has zero variance/);
});

test('without labels: label metrics are skipped with a reason; label-free metrics still run', () => {
  const input = toyInput(2);
  delete input.idLabels;
  const card = evaluateFaithfulness(input);
  assertAllFinite(card);
  assert.deepEqual(card.teacher.quality.knn, { skipped: 'no ID labels given' });
  assert.ok('skipped' in card.students.good!.agreement!.probe);
  assert.ok(isValue(card.students.good!.agreement!.retrievalTop1));
  const far = card.teacher.ood.far as { scores: Record<string, { variant?: string; skipped?: string }> };
  assert.equal(far.scores.mahalanobis!.variant, 'single-gaussian');
  assert.match(far.scores.energy!.skipped!, /no ID labels/);
  assert.equal(card.counts.classes, 0);
});

test('bad input: one-line UserErrors for count and label mismatches; empty or missing OOD sets are skipped', () => {
  const input = toyInput(3);
  const bad = (mutate: (i: FaithfulnessInput) => void, pattern: RegExp) => {
    const i = toyInput(3);
    mutate(i);
    assert.throws(() => evaluateFaithfulness(i), (e: Error) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'));
  };
  bad((i) => { i.students.good!.test = gaussian(new Rng(0), 89, 6); }, /student 'good' test embeddings: 89 rows but the teacher has 90/);
  bad((i) => { i.idLabels!.test = new Int32Array(5); }, /ID test labels: expected 90 labels/);
  bad((i) => { i.teacher.train.data[7] = NaN; }, /teacher train embeddings: embedding 0 has a non-finite value/);
  bad((i) => { i.oodSets!.far!.students.good = gaussian(new Rng(0), 59, 6); }, /OOD set 'far' student 'good' embeddings: 59 rows/);
  bad((i) => { i.options = { knnK: 0 }; }, /eval option knnK/);
  input.oodSets = {
    empty: { teacher: { data: new Float32Array(0), count: 0, dim: 12 }, students: {} },
    partial: { teacher: gaussian(new Rng(1), 30, 12), students: { good: gaussian(new Rng(2), 30, 6) } },
  };
  const card = evaluateFaithfulness(input);
  assertAllFinite(card);
  assert.deepEqual(card.teacher.ood.empty, { skipped: "OOD set 'empty' is empty" });
  assert.deepEqual(card.students.noise!.ood.partial, { skipped: "no noise embeddings given for OOD set 'partial'" });
  assert.ok(!('skipped' in card.students.good!.ood.partial!));
});

test('tiny sets: k larger than the bank is clamped, not an error', () => {
  const rng = new Rng(8);
  const card = evaluateFaithfulness({
    teacher: { train: gaussian(rng, 4, 3), test: gaussian(rng, 3, 3) },
    students: { s: { train: gaussian(rng, 4, 2), test: gaussian(rng, 3, 2) } },
    idLabels: { train: Int32Array.from([0, 1, 0, 1]), test: Int32Array.from([0, 1, 1]) },
    oodSets: { o: { teacher: gaussian(rng, 2, 3), students: { s: gaussian(rng, 2, 2) } } },
    seed: 1,
    options: fast,
  });
  assertAllFinite(card);
  assert.ok(ScorecardSchema.safeParse(card).success);
  assert.ok(isValue(card.students.s!.agreement!.retrievalTopKOverlap));
});
