/**
 * Class 8 of issue 14: bad numbers do not pass as results. An ONNX teacher whose output is NaN (a broken export,
 * made by fixtures/make-nan-onnx.py) is refused at cache fill naming the images, before anything is cached; a
 * report-data.json with an accuracy of -500 % is refused even when its checksum is right.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeReportData, stringifyReportData } from '../../src/report/normalize.js';
import { sealJsonText } from '../../src/report/seal.js';
import { syntheticReportData } from '../report/fixture.js';
import { assertOneLineError, REPO, tempDir, tintem } from './helpers.js';

const NAN_TEACHER = join(REPO, 'test', 'reliability', 'fixtures', 'nan-teacher.onnx');

test('an ONNX teacher that outputs NaN: embed and distill stop at cache fill naming the images; nothing is cached', async () => {
  const root = tempDir('nan');
  const cache = join(root, 'cache');
  const e = await tintem(['embed', '--teacher', `onnx:${NAN_TEACHER}`, '--data', 'noise:6', '--cache-dir', cache, '--no-progress']);
  assertOneLineError(e, 'noise', /returned non-finite embeddings \(NaN or Infinity\) for 6 image\(s\): .*#0, .*#1.* and 1 more/);
  const shards = existsSync(cache) ? readdirSync(cache, { recursive: true }).filter((f) => String(f).endsWith('.ttc')) : [];
  assert.deepEqual(shards, [], 'no shard holds the NaNs');
  const d = await tintem(['distill', '--teacher', `onnx:${NAN_TEACHER}`, '--data', 'noise:6', '--epochs', '1', '--run-dir', join(root, 'run'), '--cache-dir', cache, '--no-progress']);
  assertOneLineError(d, 'noise', /non-finite embeddings/);
  assert.doesNotMatch(d.stderr, /learning rate/);
});

test('report-data.json: an accuracy of -500 % (with a valid checksum) is refused naming the row', async () => {
  const dir = tempDir('range');
  const json = await normalizeReportData(syntheticReportData(3));
  const row = json.scorecard!.sections.flatMap((s) => s.rows).find((r) => r.format === 'percent')!;
  const cell = Object.values(row.cells).find((c) => 'value' in c) as { value: number | null };
  cell.value = -5;
  const path = join(dir, 'report-data.json');
  writeFileSync(path, sealJsonText(stringifyReportData(json)));
  const r = await tintem(['report', '--data', path, '--out', join(dir, 'out')]);
  assertOneLineError(r, path, new RegExp(`${row.metric.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a fraction in 0\\.\\.1, got -5`), true);
  assert.ok(!existsSync(join(dir, 'out', 'report.html')));
});
