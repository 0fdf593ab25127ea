/**
 * Default OOD sets of a colour run (issue 27, item 5): synthetic (so they cannot overlap the user's images and
 * cost no decoding), in colour at the run's size, and labelled as defaults rather than "[from the run]".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { bankRowsInQueries, COLOUR_DEFAULT_OOD, describeEvalSets, evalSpecsForRun, loadEvalSets } from '../../src/experiment/sets.js';
import type { DistillConfig } from '../../src/config/schema.js';

const folder = join(mkdtempSync(join(tmpdir(), 'tintem-default-ood-')), 'photos');

test('a folder run gets blobs:300 and noise:300, in colour, disjoint from its images, marked [default OOD set]', async () => {
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < 10; i++) {
    await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 25 * i, g: 100, b: 255 - 20 * i } } }).png().toFile(join(folder, `${i}.png`));
  }
  const config = { data: { train: `folder:${folder}` }, seed: 0, student: { inputSize: 16, channels: 3 } } as unknown as DistillConfig;
  const specs = evalSpecsForRun(config, {});
  assert.deepEqual(specs.ood, ['blobs:300', 'noise:300']);
  assert.deepEqual(COLOUR_DEFAULT_OOD, specs.ood);
  assert.equal(specs.oodDefault, true);
  const sets = await loadEvalSets({ ...specs, seed: 0, size: 16, channels: 3 });
  for (const name of specs.ood) {
    const set = sets.ood[name]!;
    assert.equal(set.count, 300);
    assert.equal(set.channels, 3);
    assert.equal(set.height, 16);
    assert.equal(sets.records!.ood[name]!.from, 'default');
    assert.deepEqual(bankRowsInQueries(set, sets.train), []);
    assert.deepEqual(bankRowsInQueries(set, sets.test), []);
  }
  const text = describeEvalSets(sets.records!);
  assert.match(text, /OOD +blobs:300: 300 images \[default OOD set\]/);
  assert.match(text, /OOD +noise:300: 300 images \[default OOD set\]/);
  assert.doesNotMatch(text.split('\n').filter((l) => l.includes('OOD')).join('\n'), /from the run/);
});

test('MNIST-family runs keep their near-OOD sets; named sets are not defaults', () => {
  const mnist = { data: { train: 'mnist:train' }, seed: 0, student: {} } as unknown as DistillConfig;
  assert.ok(evalSpecsForRun(mnist, {}).ood.includes('noise:500'));
  assert.equal(evalSpecsForRun(mnist, { ood: ['noise:10'] }).oodDefault, false);
  assert.deepEqual(evalSpecsForRun({ ...mnist, data: { train: 'photos:train' } } as unknown as DistillConfig, {}).ood, COLOUR_DEFAULT_OOD);
});
