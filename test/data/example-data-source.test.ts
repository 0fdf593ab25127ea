/**
 * Adding a data source is one file (an entry), one registration line and one test: this test registers an example
 * source (a checkerboard), loads it through loadDataset, sees it in the help, the docs table inputs and the
 * experiment's defaults, and unregisters it, touching no other source file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dataSourceEntries, dataSpecHelp, defaultOodFor, isRedecodable, isSeeded, loadDataset, registerDataSource, sameImages, testSplitOf,
  unregisterDataSource, type DataSourceEntry,
} from '../../src/data/index.js';
import { galleryDatasetFor } from '../../src/export/export-run.js';
import { UserError } from '../../src/util/errors.js';

/** A checkerboard of `arg` images (cells of 1 px, phase alternating by image), 4 px grey by default. */
const checker: DataSourceEntry = {
  name: 'checker',
  usage: 'checker:train|test',
  summary: 'checkerboards (an example source)',
  check: (arg) => (arg === 'train' || arg === 'test' ? undefined : "checker needs a split: 'checker:train' or 'checker:test'"),
  defaultShape: () => ({ size: 4, channels: 1 }),
  redecodable: true,
  seeded: () => false,
  testSplit: (arg) => (arg === 'train' ? 'checker:test' : undefined),
  defaultOod: () => ['noise:3'],
  async load(arg, opts) {
    const size = opts.size ?? 4, count = Math.min(opts.limit ?? 3, 3), phase = arg === 'test' ? 1 : 0;
    const pixels = new Float32Array(count * size * size);
    for (let n = 0; n < count; n++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) pixels[(n * size + y) * size + x] = (x + y + n + phase) % 2;
    return { name: `checker:${arg!}`, count, height: size, width: size, channels: 1, pixels, labels: Int32Array.from({ length: count }, (_, i) => i % 2) };
  },
};

test('a data source registered from a test loads by its spec and is seen by help, eval defaults and export', async (t) => {
  registerDataSource(checker);
  t.after(() => unregisterDataSource('checker'));
  const set = await loadDataset('checker:test', { limit: 2, size: 2 });
  // Hand-computed: image 0 of the test split starts at phase 1, image 1 at phase 0.
  assert.deepEqual([...set.pixels], [1, 0, 0, 1, 0, 1, 1, 0]);
  assert.ok(dataSpecHelp().endsWith(', checker:train|test'));
  assert.equal(dataSourceEntries().at(-1), checker);
  assert.equal(testSplitOf('checker:train'), 'checker:test');
  assert.equal(galleryDatasetFor('checker:train'), 'checker:test');
  assert.deepEqual(defaultOodFor('checker:train'), ['noise:3']);
  assert.equal(isRedecodable('checker:train'), true);
  assert.equal(isSeeded('checker:train'), false);
  assert.equal(sameImages('checker:train', 'checker:train'), true);
  await assert.rejects(loadDataset('checker:valid'), (e: Error) => e instanceof UserError && e.message === "dataset 'checker:valid': checker needs a split: 'checker:train' or 'checker:test'");
});

test('the built-in sources answer the questions the CLI, experiment and export ask', () => {
  assert.equal(testSplitOf('mnist:train'), 'mnist:test');
  assert.equal(testSplitOf('fashion:train'), 'fashion:test');
  assert.equal(testSplitOf('mnist:test'), undefined);
  assert.equal(testSplitOf('photos:train'), undefined);
  assert.equal(galleryDatasetFor('folder:/x'), 'folder:/x');
  assert.deepEqual(defaultOodFor('noise:50'), ['blobs:300', 'noise:300']);
  assert.deepEqual(['mnist:train', 'noise:5', 'blobs', 'photos', 'photos:train', 'folder:/x'].map(isRedecodable), [false, false, false, true, true, true]);
  assert.deepEqual(['mnist:train', 'noise:5', 'photos', 'folder:/x'].map(isSeeded), [false, true, true, false]);
  assert.equal(sameImages('folder:/data/x/', '/data/x'), false, '/data/x is no directory here, so it is no folder spec');
  assert.equal(sameImages('folder:/tmp/', '/tmp'), true);
  assert.throws(() => registerDataSource({ ...checker, name: 'mnist' }), /already registered/);
});
