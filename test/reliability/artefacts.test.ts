/**
 * Class 1 of issue 14: every artefact tintem reads back is checksummed at write and verified at load, and its
 * metadata is bounded. A finished run (random teacher, noise images) is damaged in copies, one file at a time,
 * and read back by `tintem export`, `tintem eval`, `tintem embed --model` and `tintem report`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeReport } from '../../src/report/index.js';
import { readGallery } from '../../src/export/gallery.js';
import { UserError } from '../../src/util/errors.js';
import { syntheticReportData } from '../report/fixture.js';
import { assertOneLineError, flipBit, tempDir, tintem } from './helpers.js';

const root = tempDir('artefacts');
const run = join(root, 'run');
const cache = join(root, 'cache');
const distill = tintem([
  'distill', '--teacher', 'random:1', '--data', 'noise:64', '--epochs', '1', '--batch-size', '32', '--seed', '1',
  '--student-width', '8', '--set', 'student.embedDim=8', '--run-dir', run, '--cache-dir', cache, '--no-progress',
]);

/** A copy of the finished run with `damage` applied. */
async function damaged(label: string, damage: (dir: string) => void): Promise<string> {
  const r = await distill;
  assert.equal(r.code, 0, r.stderr);
  const dir = join(root, label);
  cpSync(run, dir, { recursive: true });
  damage(dir);
  return dir;
}

const edit = (path: string, f: (text: string) => string) => writeFileSync(path, f(readFileSync(path, 'utf8')));
const evalArgs = (dir: string) => ['eval', '--run', dir, '--train', 'noise:16', '--test', 'noise:16', '--ood', 'noise:8', '--cache-dir', cache, '--out', join(dir, 'eval-out'), '--no-progress'];

test('one flipped bit in the run\'s student weights: export and eval refuse it with one line', async () => {
  const dir = await damaged('flip', (d) => writeFileSync(join(d, 'student', 'weights.bin'), flipBit(readFileSync(join(d, 'student', 'weights.bin')), 0.3)));
  const [exp, ev] = await Promise.all([tintem(['export', '--run', dir, '--out', join(dir, 'export'), '--gallery-size', '0']), tintem(evalArgs(dir))]);
  assertOneLineError(exp, join(dir, 'student', 'weights.bin'), /SHA-256 mismatch with summary\.json/, true);
  // (TensorFlow's own start-up log may mention "round-off errors"; only tintem's lines count here.)
  const errors = ev.stderr.split('\n').filter((l) => l.startsWith('tintem: '));
  assert.equal(ev.code, 2, ev.stderr);
  assert.equal(errors.length, 1, ev.stderr);
  assert.match(errors[0]!, /^tintem: error: .*student\/weights\.bin: SHA-256 mismatch with summary\.json/);
  assert.doesNotMatch(ev.stderr, /^\s+at |internal error/m);
});

test('method state, train log and config damaged, summary.json out of bounds: each refused, naming the file', async () => {
  const cases: Array<[string, (d: string) => void, string, RegExp]> = [
    ['head', (d) => writeFileSync(join(d, 'method-state', 'weights.bin'), flipBit(readFileSync(join(d, 'method-state', 'weights.bin')))), 'method-state/weights.bin', /SHA-256 mismatch/],
    ['log', (d) => edit(join(d, 'train.jsonl'), (t) => t.replace('"loss":', '"loss":1')), 'train.jsonl', /SHA-256 mismatch/],
    ['config', (d) => edit(join(d, 'config.yaml'), (t) => t.replace('seed: 1', 'seed: 2')), 'config.yaml', /SHA-256 mismatch/],
    ['steps', (d) => edit(join(d, 'summary.json'), (t) => t.replace(/"steps": \d+/, '"steps": -5')), 'summary.json', /steps: .*>=0/],
    ['dim', (d) => edit(join(d, 'summary.json'), (t) => t.replace(/"embedDim": 8,/, '"embedDim": 99999999,')), 'summary.json', /embedDim/],
  ];
  // Independent copies: run the exports side by side (the suite's time is mostly process start-up).
  await Promise.all(cases.map(async ([label, damage, file, pattern]) => {
    const dir = await damaged(label, damage);
    const r = await tintem(['export', '--run', dir, '--out', join(dir, 'export'), '--gallery-size', '0']);
    assertOneLineError(r, join(dir, file), pattern, true);
  }));
});

test('export metadata: a bounded tintem.json (inputSize 9999 refused), a sealed gallery.json', async () => {
  const dir = await damaged('export', () => {});
  const out = join(dir, 'export');
  const ok = await tintem(['export', '--run', dir, '--out', out, '--gallery', 'noise:40', '--gallery-size', '12']);
  assert.equal(ok.code, 0, ok.stderr);
  const meta = join(out, 'tintem.json');
  const original = readFileSync(meta, 'utf8');
  edit(meta, (t) => t.replace(/"inputSize": \d+/, '"inputSize": 9999'));
  const t0 = Date.now();
  const r = await tintem(['embed', '--model', out, '--data', 'noise:4', '--no-progress']);
  assertOneLineError(r, meta, /inputSize: .*1024/);
  assert.ok(Date.now() - t0 < 60_000);
  writeFileSync(meta, original);
  await readGallery(out); // intact
  edit(join(out, 'gallery.json'), (t) => t.replace('"seed":0', '"seed":1'));
  await assert.rejects(readGallery(out), (e: unknown) => e instanceof UserError && /gallery\.json: SHA-256 mismatch with tintem\.json/.test(e.message));
});

test('report-data.json carries its checksum: an edited one is refused by tintem report', async () => {
  const dir = tempDir('report');
  const paths = await writeReport(dir, syntheticReportData(2));
  const again = await tintem(['report', '--data', paths.json, '--out', join(dir, 'again')]);
  assert.equal(again.code, 0, again.stderr);
  edit(paths.json, (t) => t.replace('"title":"', '"title":"x'));
  const r = await tintem(['report', '--data', paths.json, '--out', join(dir, 'again2')]);
  assertOneLineError(r, paths.json, /SHA-256 mismatch/, true);
});
