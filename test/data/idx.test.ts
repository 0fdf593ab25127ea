import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx, readIdx } from '../../src/data/idx.js';
import { mnistDataDir } from '../../src/data/mnist.js';
import { UserError } from '../../src/util/errors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-idx-'));

test('readIdx parses the raw MNIST header and known values', async () => {
  const path = join(mnistDataDir(), 'train-images-idx3-ubyte');
  const header = readFileSync(path).subarray(0, 16);
  // 0x0803: ubyte, 3 dims; then 60000, 28, 28 big-endian.
  assert.deepEqual([...header], [0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 0, 0, 28, 0, 0, 0, 28]);
  const images = await readIdx(path);
  assert.equal(images.dtype, 'uint8');
  assert.deepEqual(images.dims, [60000, 28, 28]);
  const first = images.data.subarray(0, 784);
  assert.equal(first[5 * 28 + 12], 3);
  assert.equal(first[5 * 28 + 16], 126);
  assert.equal(first[5 * 28 + 21], 255);
  assert.equal(Array.from(first).reduce((a, b) => a + b, 0), 27525);
  const labels = await readIdx(join(mnistDataDir(), 'train-labels-idx1-ubyte'));
  assert.deepEqual(labels.dims, [60000]);
  assert.deepEqual([...labels.data.subarray(0, 6)], [5, 0, 4, 1, 9, 2]);
});

test('encodeIdx/readIdx round trip through gzip for every dtype, big-endian on disk', async () => {
  const dir = tmp();
  const cases = [
    { dtype: 'uint8', values: [0, 1, 127, 255, 3, 9] },
    { dtype: 'int8', values: [-128, -1, 0, 1, 127, 5] },
    { dtype: 'int16', values: [-32768, -2, 0, 2, 300, 32767] },
    { dtype: 'int32', values: [-2147483648, -1, 0, 1, 65536, 2147483647] },
    { dtype: 'float32', values: [-1.5, 0, 0.25, 1e-3, 3.5, 1024] },
    { dtype: 'float64', values: [-1.5, 0, 0.1, 1e-300, Math.PI, 1e300] },
  ] as const;
  for (const c of cases) {
    const bytes = encodeIdx(c.dtype, [2, 3], c.values);
    const file = join(dir, `${c.dtype}.idx.gz`);
    writeFileSync(file, gzipSync(bytes));
    const back = await readIdx(file);
    assert.equal(back.dtype, c.dtype);
    assert.deepEqual(back.dims, [2, 3]);
    const expected = c.dtype === 'float32' ? [...Float32Array.from(c.values)] : [...c.values];
    assert.deepEqual([...back.data], expected, c.dtype);
  }
  // A hand-made int16 file: value 0x0102 stored big-endian must read as 258.
  const hand = Uint8Array.from([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
  assert.deepEqual([...parseIdx(hand, 'hand').data], [258, -2]);
});

test('truncated, corrupt and non-IDX files give a UserError naming the file', async () => {
  const dir = tmp();
  const full = encodeIdx('uint8', [4, 2, 2], Array.from({ length: 16 }, (_, i) => i));
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['short-data.idx', full.subarray(0, full.length - 3), /short-data\.idx: not a valid IDX file \(truncated: 29 bytes, header \[4, 2, 2\] uint8 needs 32\)/],
    ['short-header.idx', full.subarray(0, 9), /short-header\.idx: .*truncated header/],
    ['text.idx', new TextEncoder().encode('hello world'), /text\.idx: .*two zero bytes/],
    ['dtype.idx', Uint8Array.from([0, 0, 0x42, 1, 0, 0, 0, 0]), /dtype\.idx: .*unknown dtype code 0x42/],
    ['cut.idx.gz', gzipSync(full).subarray(0, 12), /cut\.idx\.gz: corrupt or truncated gzip/],
    ['gz-short.idx.gz', gzipSync(full.subarray(0, 20)), /gz-short\.idx\.gz: not a valid IDX file \(truncated/],
  ];
  for (const [name, bytes, pattern] of cases) {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    await assert.rejects(readIdx(file), (e: Error) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'), name);
  }
  await assert.rejects(readIdx(join(dir, 'missing.idx')), /missing\.idx: does not exist \(IDX file\)/);
});
