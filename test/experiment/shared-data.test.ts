/**
 * Runs comparable on any data they share, and queries never in the bank (issue 27, item 2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { bankRowsInQueries, loadEvalSets, sharedRunData } from '../../src/experiment/sets.js';
import type { DistillConfig } from '../../src/config/schema.js';
import type { ImageSet } from '../../src/data/types.js';

const root = mkdtempSync(join(tmpdir(), 'tintem-shared-data-'));
const folder = join(root, 'photos');

test.before(async () => {
  // 2 classes x 6 distinct 16 px colour images (each a different flat colour plus a gradient).
  for (const [c, cls] of ['a', 'b'].entries()) {
    mkdirSync(join(folder, cls), { recursive: true });
    for (let i = 0; i < 6; i++) {
      const px = Buffer.alloc(16 * 16 * 3);
      for (let p = 0; p < 16 * 16; p++) { px[p * 3] = 20 * i + c * 120; px[p * 3 + 1] = p % 256; px[p * 3 + 2] = 200 - 30 * c; }
      await sharp(px, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(join(folder, cls, `${i}.png`));
    }
  }
});

/** Each image's pixels as a string: the test's own duplicate check, independent of the code's hash. */
const rows = (s: ImageSet): string[] => {
  const per = s.height * s.width * s.channels;
  return Array.from({ length: s.count }, (_, i) => Array.from(s.pixels.subarray(i * per, (i + 1) * per)).join(','));
};

async function captureWarnings<T>(f: () => Promise<T>): Promise<{ value: T; warnings: string[] }> {
  const warnings: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => { if (String(chunk).includes('warning')) warnings.push(String(chunk)); return true; }) as typeof process.stderr.write;
  try { return { value: await f(), warnings }; } finally { process.stderr.write = write; }
}

for (const [train, testSpec] of [[folder, folder], [folder, `folder:${folder}/`]]) {
  test(`--train ${train === folder ? 'X' : ''} --test ${testSpec === folder ? 'X' : 'folder:X/'}: queries held out of the bank, with a warning`, async () => {
    const { value: sets, warnings } = await captureWarnings(() => loadEvalSets({ train, test: testSpec, ood: [], seed: 0, size: 16, channels: 3 }));
    assert.equal(sets.train.count + sets.test.count, 12);
    assert.equal(sets.test.count, 2); // 20% of 12, rounded
    const bank = new Set(rows(sets.train));
    assert.ok(rows(sets.test).every((q) => !bank.has(q)), 'no query is in the bank');
    assert.match(warnings.join(''), /names the bank's own images .* holding out 20% of them as the queries/);
    assert.match(sets.records!.test.note!, /held-out 20%/);
  });
}

test('a test set that overlaps the bank: the shared images leave the bank, with a warning', async () => {
  const { value: sets, warnings } = await captureWarnings(() => loadEvalSets({ train: folder, test: join(folder, 'a'), ood: [], seed: 0, size: 16, channels: 3 }));
  assert.equal(sets.test.count, 6);
  assert.equal(sets.train.count, 6);
  const bank = new Set(rows(sets.train));
  assert.ok(rows(sets.test).every((q) => !bank.has(q)));
  assert.deepEqual(Array.from(sets.train.labels!), [1, 1, 1, 1, 1, 1], 'labels follow their images');
  assert.match(warnings.join(''), /6 of 12 bank images .* are also queries; left out of the bank/);
  assert.deepEqual(bankRowsInQueries(sets.train, sets.test), []);
});

const config = (train: string, opts: { limit?: number; seed?: number; size?: number } = {}) => ({
  runDir: `runs/${train}-${opts.size ?? 'x'}-${opts.limit ?? 'all'}`,
  config: { data: { train, limit: opts.limit }, seed: opts.seed ?? 0, student: { inputSize: opts.size ?? 32, channels: 3 } } as unknown as DistillConfig,
});

test('sharedRunData: students of different sizes on one folder compare (at the largest size); different images are named', () => {
  assert.deepEqual(sharedRunData([config('folder:x', { size: 32 }), config('folder:x', { size: 64, seed: 3 })]), { size: 64, channels: 3 });
  assert.throws(() => sharedRunData([config('folder:x', { limit: 100 }), config('folder:x', { limit: 200 })]),
    /were trained on different images \(data\.limit 100 vs 200\); pass --train <spec>/);
  assert.throws(() => sharedRunData([config('folder:x', { limit: 100 }), config('folder:x', { limit: 100, seed: 1 })]), /\(seed 0 vs 1\)/);
  assert.throws(() => sharedRunData([config('folder:x'), config('folder:y')]), /\(data\.train folder:x vs folder:y\)/);
});
