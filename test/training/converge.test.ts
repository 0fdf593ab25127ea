/**
 * distill --converge and --monitor (issue 27, item 9): the comparison rule on hand-built embeddings (the kernel-form
 * CKA inside it checked against numpy's value from test/fixtures/label-free/golden.json), and a small --converge
 * run end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compareRuns, longerBudget, pairedGain } from '../../src/training/converge.js';

const repo = resolve(import.meta.dirname, '..', '..');
const golden = JSON.parse(readFileSync(join(repo, 'test', 'fixtures', 'label-free', 'golden.json'), 'utf8')) as {
  k: number; teacher: number[][]; student: number[][]; cka: number; mutualKnn: number;
};
const flat = (m: number[][]) => Float32Array.from(m.flat());
const held = (student: number[][]) => ({ teacher: flat(golden.teacher), teacherDim: 6, student: flat(student), studentDim: student[0]!.length, count: 40 });

test('compareRuns: the same student twice converges with a zero noise floor; a longer run that matches the teacher does not', () => {
  const same = compareRuns(held(golden.student), held(golden.student), 0, golden.k, 100);
  assert.equal(same.converged, true);
  assert.ok(Math.abs(same.figures[0]!.shorter - golden.cka) < 1e-5, 'kernel-form CKA = numpy feature-form CKA');
  assert.ok(Math.abs(same.figures[1]!.shorter - golden.mutualKnn) < 1e-12);
  for (const f of same.figures) assert.deepEqual([f.gain, f.lo, f.hi, f.noiseFloor], [0, 0, 0, 0]);
  const better = compareRuns(held(golden.student), held(golden.teacher), 0, golden.k, 100);
  assert.equal(better.converged, false);
  assert.ok(better.figures[0]!.longer > 0.999 && better.figures[0]!.lo > 0, 'CKA gain beyond its interval');
  assert.ok(better.figures.every((f) => f.noiseFloor > 0 && f.noiseFloor === (f.hi - f.lo) / 2));
  assert.deepEqual([1, 2, 3, 4, 10].map(longerBudget), [2, 3, 5, 6, 15]);
});

test('pairedGain (the kNN-probe form bench/paper-claim.ts uses): hand cases', () => {
  const zeros = new Array(50).fill(0), ones = new Array(50).fill(1);
  assert.deepEqual(pairedGain(zeros, ones, 0), { gain: 1, lo: 1, hi: 1, noiseFloor: 0, converged: false }); // every probe image gained
  assert.deepEqual(pairedGain(ones, ones, 0), { gain: 0, lo: 0, hi: 0, noiseFloor: 0, converged: true });
  // One image of 40 flips to correct: a 2.5-point gain that the paired bootstrap cannot tell from 0 (noise).
  const a = new Array(40).fill(0), b = [1, ...new Array(39).fill(0)];
  const g = pairedGain(a, b, 0);
  assert.equal(g.gain, 0.025);
  assert.equal(g.lo, 0);
  assert.equal(g.converged, true);
});

test('distill --converge: budgets in <run-dir>/e<E>, held-out label-free figures every epoch, converge.json with the noise floors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-converge-'));
  const runDir = join(dir, 'run');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), 'distill', '--teacher', 'random:1', '--data', 'noise:96',
    '--epochs', '1', '--batch-size', '16', '--set', 'student.inputSize=16', '--set', 'student.embedDim=8', '--set', 'views=0', '--run-dir', runDir,
    '--cache-dir', join(dir, 'cache'), '--converge'], { encoding: 'utf8', env: { ...process.env, TINTEM_QUIET_BACKEND: '1' }, timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /--converge: A run of E epochs has converged when a run 1\.5x as long from the same seed/);
  assert.match(r.stderr, /label-free faithfulness every epoch on 32 held-out training images/);
  assert.match(r.stderr, /^epoch 1\/1 .*cka \d\.\d+ mutualKnn \d\.?\d* rankMe \d/m);
  assert.match(r.stderr, /--converge: 1 vs 2 epochs: cka .* noise floor ±\d\.\d{3}\).*: (converged at 1 epochs|not converged)/);
  assert.match(r.stdout, /^(converged at \d+ epochs|not converged after 4 runs \(up to 5 epochs\)): use .*\/e\d+ /m);
  const record = JSON.parse(readFileSync(join(runDir, 'converge.json'), 'utf8')) as { runs: Array<{ epochs: number }>; checks: Array<{ check: { figures: Array<{ noiseFloor: number }> } }> };
  assert.deepEqual(record.runs.map((x) => x.epochs), [1, 2, 3, 5].slice(0, record.runs.length));
  assert.equal(record.checks.length, record.runs.length - 1);
  // 96 images, 32 held out: 64 trained at batch 16 = 4 steps an epoch; the epoch's last step carries the figures.
  const log = readFileSync(join(runDir, 'e1', 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; labelFree?: Record<string, number> });
  assert.equal(log.length, 4);
  assert.deepEqual(Object.keys(log[3]!.labelFree!).sort(), ['cka', 'mutualKnn', 'rankMe']);
  assert.ok(log.slice(0, 3).every((x) => x.labelFree === undefined));
  assert.ok(existsSync(join(runDir, 'e2', 'summary.json')));
});
