import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/backend/index.js';
import { entryKeys, shardName } from '../../src/cache/key.js';
import { createTeacher } from '../../src/teachers/index.js';
import { createRandomTeacher } from '../../src/teachers/random.js';
import type { ViewSpec } from '../../src/data/index.js';
import { seededImages } from '../teachers/helpers.js';

await initBackend();

test('cache key changes when any component changes: image bytes, preprocessing/teacher, cut, view id, view seed', async () => {
  const set = seededImages(2, 8, 1, 1);
  const teacher = createRandomTeacher({ seed: 1, inputSize: 16 });
  const view: ViewSpec = { id: 1, seed: 7, crop: { scale: [0.5, 1], ratio: [0.75, 1.33] } };
  // null = no view (an explicit undefined would pick the default).
  const key = (s = set, t = teacher, v: ViewSpec | null = view) => entryKeys(s, 0, 1, t, v ?? undefined)[0]!;
  const base = key();
  assert.equal(base, key(), 'deterministic');
  assert.equal(entryKeys(set, 0, 2, teacher, view)[0], base, 'independent of the chunk it is in');

  const changed = { ...set, pixels: Float32Array.from(set.pixels) };
  changed.pixels[10]! += 1 / 255;
  const keys: Record<string, string> = {
    'image bytes': key(changed),
    'teacher weights (seed)': key(set, createRandomTeacher({ seed: 2, inputSize: 16 })),
    'preprocessing (input size)': key(set, createRandomTeacher({ seed: 1, inputSize: 24 })),
    'token grid': key(set, createRandomTeacher({ seed: 1, inputSize: 16, grid: 3 })),
    'view id': key(set, teacher, { ...view, id: 2 }),
    'view seed': key(set, teacher, { ...view, seed: 8 }),
    'view ops': key(set, teacher, { ...view, flip: true }),
    'no view': key(set, teacher, null),
  };
  // Cut: same built-in model, two cut layers (lazy: only the topology is read).
  const cutA = await createTeacher('mobilenet', { lazy: true });
  const cutB = await createTeacher('mobilenet:block_10_project_BN', { lazy: true });
  keys['cut layer'] = key(set, cutA);
  keys['cut layer 2'] = key(set, cutB);
  const all = [base, ...Object.values(keys)];
  assert.equal(new Set(all).size, all.length, `some component did not change the key: ${JSON.stringify(keys)}`);
  // The identity view is the identity whatever its id/seed: same as no view.
  assert.equal(key(set, teacher, { id: 0, seed: 99 }), keys['no view']);
});

test('shard name depends on entry keys and storage layout', () => {
  const a = shardName(['k1', 'k2'], { dtype: 'float32', tokens: true });
  assert.equal(a, shardName(['k1', 'k2'], { dtype: 'float32', tokens: true }));
  assert.notEqual(a, shardName(['k1', 'k3'], { dtype: 'float32', tokens: true }));
  assert.notEqual(a, shardName(['k1', 'k2'], { dtype: 'float16', tokens: true }));
  assert.notEqual(a, shardName(['k1', 'k2'], { dtype: 'float32', tokens: false }));
});
