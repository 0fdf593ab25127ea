/**
 * Label-free faithfulness figures against numpy / scikit-learn (test/fixtures/label-free/golden.json, from
 * scripts/fixtures/make_label_free.py).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelFreeFaithfulness, linearCka, mutualKnnOverlap, rankMe, symmetricEigenvalues } from '../../src/training/label-free.js';

const golden = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'label-free', 'golden.json'), 'utf8')) as {
  k: number; teacher: number[][]; student: number[][]; lowRank: number[][];
  cka: number; ckaSelf: number; mutualKnn: number; rankme: number; rankmeLowRank: number; rankmeTeacher: number;
};
const flat = (m: number[][]) => Float32Array.from(m.flat());
const n = golden.teacher.length, dt = golden.teacher[0]!.length, ds = golden.student[0]!.length;

test('linear CKA, mutual kNN overlap and RankMe match numpy / scikit-learn', () => {
  const t = flat(golden.teacher), s = flat(golden.student);
  assert.ok(Math.abs(linearCka(t, dt, s, ds, n) - golden.cka) < 1e-5, `${linearCka(t, dt, s, ds, n)} vs ${golden.cka}`);
  assert.ok(Math.abs(linearCka(t, dt, t, dt, n) - golden.ckaSelf) < 1e-6);
  assert.ok(Math.abs(mutualKnnOverlap(t, dt, s, ds, n, golden.k) - golden.mutualKnn) < 1e-12);
  assert.ok(Math.abs(rankMe(s, ds, n) - golden.rankme) < 1e-4, `${rankMe(s, ds, n)} vs ${golden.rankme}`);
  assert.ok(Math.abs(rankMe(flat(golden.lowRank), ds, n) - golden.rankmeLowRank) < 1e-3);
  assert.ok(Math.abs(rankMe(t, dt, n) - golden.rankmeTeacher) < 1e-4);
  const all = labelFreeFaithfulness(t, dt, s, ds, n, golden.k);
  assert.ok(Math.abs(all.mutualKnn - golden.mutualKnn) < 1e-12 && Math.abs(all.cka - golden.cka) < 1e-5);
});

test('Jacobi eigenvalues of a hand 2x2 matrix: [[2,1],[1,2]] -> 1 and 3', () => {
  const e = Array.from(symmetricEigenvalues(Float64Array.of(2, 1, 1, 2), 2)).sort();
  assert.ok(Math.abs(e[0]! - 1) < 1e-12 && Math.abs(e[1]! - 3) < 1e-12);
});
