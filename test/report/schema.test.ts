import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/util/errors.js';
import { normalizeReportData, parseReportData, readReportData, toJsonValue, type ReportData } from '../../src/report/index.js';
import { syntheticReportData } from './fixture.js';

const base = (): Record<string, unknown> => ({
  version: 1, title: 't', createdAt: '2025-01-01T00:00:00Z', tintemVersion: '0.1.0', backend: 'cpu', config: {},
  models: [{ id: 'teacher', role: 'teacher' }, { id: 'tintem', role: 'student', method: 'tintem' }],
});

function errorOf(value: unknown): string {
  try {
    parseReportData(value, 'data.json');
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    return e.message;
  }
  assert.fail('expected parseReportData to throw');
}

test('a minimal ReportData (header only) validates', () => {
  const d = parseReportData(base());
  assert.equal(d.models.length, 2);
});

test('the synthetic ReportData normalises: typed arrays to arrays, NaN to null, pixel images to PNG data URIs', async () => {
  const d = await normalizeReportData(syntheticReportData());
  assert.ok(Array.isArray(d.similarity![0]!.studentCos));
  assert.equal(d.curves!.tintem![5]!.terms.student_tokens, null);
  assert.equal(d.robustness!.corruptions[0]!.models.proteus!.agreement![5], null);
  assert.match(d.neighbours!.queries[0]!.image, /^data:image\/png;base64,/);
  // Normalised data is a fixed point.
  assert.deepEqual(await normalizeReportData(d as ReportData), d);
});

test('toJsonValue converts typed arrays and non-finite numbers and drops undefined keys', () => {
  assert.deepEqual(toJsonValue({ a: Float32Array.from([1, NaN]), b: Infinity, c: undefined, d: [{ e: -Infinity }] }), { a: [1, null], b: null, d: [{ e: null }] });
});

test('bad keys give one-line errors naming the key path', () => {
  assert.match(errorOf({ ...base(), titel: 'x' }), /^data\.json: titel: unknown key \(expected one of: version, title, /);
  assert.equal(errorOf({ ...base(), version: 2 }), 'data.json: version: expected version 1');
  assert.equal(errorOf({ ...base(), title: 3 }), 'data.json: title: expected string, got number');
  const { backend: _dropped, ...noBackend } = base();
  assert.equal(errorOf(noBackend), 'data.json: backend: missing (expected string)');
  const cells = (c: unknown) => ({ ...base(), scorecard: { sections: [{ name: 'q', rows: [{ metric: 'm', higherIsBetter: true, cells: { tintem: c } }] }] } });
  assert.equal(errorOf(cells({ valeu: 0.5 })), 'data.json: scorecard.sections[0].rows[0].cells.tintem.valeu: unknown key');
  assert.equal(errorOf(cells({ value: 'high' })), 'data.json: scorecard.sections[0].rows[0].cells.tintem.value: expected number, got string');
  assert.deepEqual(parseReportData(cells({ skipped: 'n/a' })).scorecard!.sections[0]!.rows[0]!.cells.tintem, { skipped: 'n/a' });
  assert.match(errorOf({ ...base(), models: [{ id: 'teacher', role: 'techer' }] }), /^data\.json: models\[0\]\.role: .*"teacher"\|"student"/);
  assert.equal(errorOf({ ...base(), models: [] }), 'data.json: models: too small: expected array to have >=1 items');
});

test('references to unknown models and mismatched lengths are caught', () => {
  assert.equal(
    errorOf({ ...base(), roc: [{ set: 'noise', score: 'knn', models: { proteus: { fpr: [0, 1], tpr: [0, 1], auroc: 0.5 } } }] }),
    "data.json: roc[0].models.proteus: unknown model id 'proteus' (models: teacher, tintem)",
  );
  assert.equal(
    errorOf({ ...base(), similarity: [{ model: 'tintem', teacherCos: [0.1, 0.2], studentCos: [0.1] }] }),
    'data.json: similarity[0]: expected teacherCos and studentCos of the same length',
  );
  assert.equal(
    errorOf({ ...base(), maps: { labels: [0, 1, 2], models: [{ model: 'teacher', embeddings: [[1, 2], [3, 4]] }] } }),
    'data.json: maps.models[0].embeddings: expected 3 rows (one per label), got 2',
  );
  const many = errorOf({ ...base(), titel: 1, backend: 2 });
  assert.match(many, /\(and 1 more problem\)$/);
});

test('readReportData names the file for missing files and bad JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-report-read-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"version": 1,');
  await assert.rejects(readReportData(join(dir, 'none.json'), '--data none.json'), { name: 'UserError', message: '--data none.json: file not found' });
  await assert.rejects(readReportData(bad, '--data bad.json'), (e: Error) => e instanceof UserError && e.message.startsWith('--data bad.json: not valid JSON ('));
  const wrong = join(dir, 'wrong.json');
  writeFileSync(wrong, JSON.stringify({ ...base(), omitted: { charts: 'x' } }));
  await assert.rejects(readReportData(wrong, '--data wrong.json'), { message: '--data wrong.json: omitted.charts: unknown key' });
});
