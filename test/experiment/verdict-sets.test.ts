import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareStudents } from '../../src/experiment/verdict.js';
import { classSplit, parseClassList } from '../../src/experiment/sets.js';
import type { Scorecard } from '../../src/evaluation/index.js';
import { UserError } from '../../src/util/errors.js';

function card(students: Record<string, { knn: [number, number, number]; cka: number }>): Scorecard {
  const mk = (knn: [number, number, number] | undefined, cka?: number) => ({
    role: knn ? 'student' : 'teacher', dim: 4,
    quality: { knn: knn ? { value: knn[0], ci: { lower: knn[1], upper: knn[2], level: 0.95, resamples: 100 } } : { value: 0.9 }, probe: { skipped: 'x' } },
    ...(cka === undefined ? {} : { similarity: { cka: { value: cka } } }),
    ood: {},
  });
  return { settings: { knnK: 20, retrievalK: 5, mutualK: 10, normalizeForCka: false }, teacher: mk(undefined), students: Object.fromEntries(Object.entries(students).map(([k, v]) => [k, mk(v.knn, v.cka)])) } as unknown as Scorecard;
}

test('compareStudents: wins need non-overlapping CIs; without CIs a 0.01 margin', () => {
  const c = card({ a: { knn: [0.9, 0.88, 0.92], cka: 0.80 }, b: { knn: [0.8, 0.78, 0.82], cka: 0.795 } });
  const cmp = Object.fromEntries(compareStudents(c, 'a', 'b').map((x) => [x.id, x.outcome]));
  assert.equal(cmp['quality.knn'], 'win');
  assert.equal(compareStudents(c, 'a', 'b')[0]!.metric, 'kNN accuracy (k=20)'); // the catalogue's label
  assert.equal(cmp['similarity.cka'], 'tie'); // 0.005 apart, no CI
  const overlap = card({ a: { knn: [0.85, 0.80, 0.90], cka: 0.5 }, b: { knn: [0.83, 0.78, 0.88], cka: 0.7 } });
  const cmp2 = Object.fromEntries(compareStudents(overlap, 'a', 'b').map((x) => [x.id, x.outcome]));
  assert.equal(cmp2['quality.knn'], 'tie');
  assert.equal(cmp2['similarity.cka'], 'loss');
});

test('parseClassList and classSplit', () => {
  assert.deepEqual(parseClassList('0-2,5'), [0, 1, 2, 5]);
  assert.throws(() => parseClassList('3-1'), UserError);
  assert.throws(() => parseClassList('a'), /--id-classes: 'a' is not a class id/);
  const set = { name: 's', count: 4, height: 1, width: 1, channels: 1 as const, pixels: Float32Array.of(0, 0.1, 0.2, 0.3), labels: Int32Array.of(0, 1, 0, 2) };
  const { inside, outside } = classSplit(set, [0]);
  assert.deepEqual(Array.from(inside.pixels), [0, Float32Array.of(0.2)[0]]);
  assert.deepEqual(Array.from(outside.labels!), [1, 2]);
  assert.throws(() => classSplit({ ...set, labels: undefined }, [0]), /has no labels/);
});
