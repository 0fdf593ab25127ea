/**
 * Round 3, class 3: every file of a run that tintem reads back is sealed, so an edit is refused, never used.
 * teacher-norm.json carries its own SHA-256 (and summary.json seals it too): a resume with edited statistics is
 * refused; a garbage line in the middle of train.jsonl is refused on resume (before, it was dropped and the cut log
 * sealed into the summary); summary.json's teacher id and method are checked against method-state/variables.json,
 * which summary.json seals, so an edited teacher id is refused by export.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertOneLineError, tempDir, tintem } from './helpers.js';

const root = tempDir('sealed');
const run = join(root, 'run');
const args = ['distill', '--teacher', 'random:1', '--data', 'noise:32', '--epochs', '2', '--batch-size', '16', '--student-width', '8',
  '--set', 'student.embedDim=8', '--set', 'teacherNorm=center', '--run-dir', run, '--cache-dir', join(root, 'cache'), '--no-progress'];
const withDir = (dir: string) => args.map((a) => (a === run ? dir : a));
const edit = (path: string, f: (text: string) => string) => writeFileSync(path, f(readFileSync(path, 'utf8')));

test('resume refuses an edited teacher-norm.json and a garbage line in train.jsonl; export refuses an edited teacher id', async () => {
  const killed = await tintem(args, { fault: 'kill-after-rename:checkpoint.bin:1' });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  const copy = (name: string, damage: (dir: string) => void) => { const dir = join(root, name); cpSync(run, dir, { recursive: true }); damage(dir); return dir; };
  const norm = copy('norm', (d) => edit(join(d, 'teacher-norm.json'), (t) => t.replace(/"mean":\[(-?[\d.e-]+)/, (_, v: string) => `"mean":[${Number(v) + 0.5}`)));
  const log = copy('log', (d) => edit(join(d, 'train.jsonl'), (t) => t.replace('\n', '\n{"garbage":true}\n')));
  const [n, l, ok] = await Promise.all([norm, log, run].map((dir) => tintem([...withDir(dir), '--resume'])));
  assertOneLineError(n!, join(norm, 'teacher-norm.json'), /SHA-256 mismatch with its seal: the statistics were edited/);
  assertOneLineError(l!, join(log, 'train.jsonl'), /line 2 is not a training record; the log was edited or damaged/);
  assert.equal(ok!.code, 0, ok!.stderr);
  const summary = JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as { files: Record<string, unknown> };
  assert.ok(summary.files['teacher-norm.json'], 'summary.json seals teacher-norm.json');

  const teacher = copy('teacher', (d) => edit(join(d, 'summary.json'), (t) => t.replace(/"id": "random:seed1/, '"id": "random:seed2')));
  const r = await tintem(['export', '--run', teacher, '--out', join(teacher, 'export'), '--gallery-size', '0']);
  assertOneLineError(r, join(teacher, 'summary.json'), /teacher\.id differs from method-state\/variables\.json \(sealed, written by the run\)/, true);
});
