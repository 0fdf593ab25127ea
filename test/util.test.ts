import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/util/random.js';
import { writeFileAtomicSync } from '../src/util/atomic.js';
import { hashJson } from '../src/util/hash.js';

test('Rng: same seed gives the same sequence, different seeds differ', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const sa = Array.from({ length: 5 }, () => a.next());
  const sb = Array.from({ length: 5 }, () => b.next());
  const sc = Array.from({ length: 5 }, () => c.next());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  for (const x of sa) assert.ok(x >= 0 && x < 1);
});

test('Rng.permutation is a permutation', () => {
  const p = Array.from(new Rng(1).permutation(100)).sort((x, y) => x - y);
  assert.deepEqual(p, Array.from({ length: 100 }, (_, i) => i));
});

test('writeFileAtomicSync replaces content and leaves no temp file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-atomic-'));
  const f = join(dir, 'x.json');
  writeFileAtomicSync(f, 'one');
  writeFileAtomicSync(f, 'two');
  assert.equal(readFileSync(f, 'utf8'), 'two');
  assert.deepEqual(readdirSync(dir), ['x.json']);
});

test('hashJson ignores key order but not values', () => {
  assert.equal(hashJson({ a: 1, b: [1, 2] }), hashJson({ b: [1, 2], a: 1 }));
  assert.notEqual(hashJson({ a: 1 }), hashJson({ a: 2 }));
});
