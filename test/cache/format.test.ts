import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFloat16, encodeFloat16, float16BitsToFloat32, float32ToFloat16Bits } from '../../src/cache/fp16.js';
import { CorruptShardError, decodeShard, encodeShard, type ShardData } from '../../src/cache/shard.js';
import { CACHE_FORMAT_VERSION } from '../../src/cache/key.js';

test('float16: known bit patterns, round to nearest even, saturation and subnormals', () => {
  const cases: [number, number][] = [
    [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [0.1, 0x2e66], [1e6, 0x7c00], [0, 0],
    [2 ** -24, 0x0001], [2 ** -14, 0x0400], [1e-9, 0], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
  ];
  for (const [value, bits] of cases) assert.equal(float32ToFloat16Bits(value), bits, `encode ${value}`);
  assert.equal(float16BitsToFloat32(0x3555), 0.333251953125);
  assert.equal(float16BitsToFloat32(0x7bff), 65504);
  assert.ok(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(NaN))));
  const values = Float32Array.from([0.1234, -3.5, 100.25, 1e-3]);
  const back = decodeFloat16(encodeFloat16(values));
  values.forEach((v, i) => assert.ok(Math.abs(back[i]! - v) <= Math.abs(v) * 2 ** -11, `${v} -> ${back[i]}`));
});

function sampleShard(dtype: 'float32' | 'float16'): ShardData {
  const count = 3, dim = 4, tokenCount = 2;
  return {
    header: { version: CACHE_FORMAT_VERSION, teacherId: 't', dim, tokenCount, dtype, count, keys: ['a', 'b', 'c'] },
    pooled: Float32Array.from({ length: count * dim }, (_, i) => i / 8),
    tokens: Float32Array.from({ length: count * tokenCount * dim }, (_, i) => -i / 4),
  };
}

test('shards round-trip in float32 and float16 (exact for these values), float16 is about half the size', () => {
  for (const dtype of ['float32', 'float16'] as const) {
    const shard = sampleShard(dtype);
    const back = decodeShard(encodeShard(shard));
    assert.deepEqual(back.header, shard.header);
    assert.deepEqual(Array.from(back.pooled), Array.from(shard.pooled));
    assert.deepEqual(Array.from(back.tokens!), Array.from(shard.tokens!));
  }
  // Same header length ('float16' and 'float32' are both 7 chars); values take 2 instead of 4 bytes each.
  const values = 3 * 4 + 3 * 2 * 4;
  assert.equal(encodeShard(sampleShard('float32')).length - encodeShard(sampleShard('float16')).length, values * 2);
});

test('a flipped bit anywhere, a truncated file, or a different version is rejected', () => {
  const bytes = encodeShard(sampleShard('float32'));
  for (const at of [0, 20, bytes.length - 40, bytes.length - 1]) {
    const flipped = Uint8Array.from(bytes);
    flipped[at]! ^= 0x10;
    assert.throws(() => decodeShard(flipped), CorruptShardError, `bit flip at ${at}`);
  }
  assert.throws(() => decodeShard(bytes.subarray(0, bytes.length - 7)), CorruptShardError);
  assert.throws(() => decodeShard(bytes.subarray(0, 10)), /truncated/);
  const old = sampleShard('float32');
  old.header.version = CACHE_FORMAT_VERSION + 1;
  assert.throws(() => decodeShard(encodeShard(old)), /format version/);
});
