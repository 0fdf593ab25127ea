import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/util/errors.js';
import {
  assertSameConfig, differingKeys, loadCheckpoint, saveCheckpoint, type CheckpointData,
} from '../../src/training/checkpoint.js';

function sample(step: number): CheckpointData {
  return {
    configFingerprint: 'abc', config: { train: { lr: 0.001, epochs: 3 }, teacher: 'random' },
    epoch: 1, stepInEpoch: 2, step, seed: 7, elapsedSeconds: 1.5,
    lossTail: [{ epoch: 1, step, lr: 0.001, loss: 0.75, terms: { a: 0.5, b: 0.25 } }],
    epochMeans: [{ a: 0.6, b: 0.3 }], partialEpoch: { sums: { a: 1.1 }, count: 2 },
    student: [{ shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, { shape: [1], data: Float32Array.from([-0.5]) }],
    method: [{ shape: [2], data: Float32Array.from([0.1, 0.2]) }],
    optimizer: { step, m: [Float32Array.from([0.01, 0.02])], v: [Float32Array.from([1e-4, 2e-4])], shapes: [[2]] },
  };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'tintem-ck-'));

test('checkpoint: save then load round-trips every field exactly', async () => {
  const path = join(tmp(), 'checkpoint.bin');
  await saveCheckpoint(path, sample(5));
  const back = await loadCheckpoint(path);
  assert.deepEqual(back, sample(5));
});

test('checkpoint: a truncated file gives a one-line UserError naming it', async () => {
  const path = join(tmp(), 'checkpoint.bin');
  await saveCheckpoint(path, sample(5));
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 10));
  await assert.rejects(loadCheckpoint(path), (e: unknown) =>
    e instanceof UserError && e.message.includes(path) && e.message.includes('damaged') && !e.message.includes('\n'));
});

test('checkpoint: one flipped bit in the weights is detected', async () => {
  const path = join(tmp(), 'checkpoint.bin');
  await saveCheckpoint(path, sample(5));
  const bytes = readFileSync(path);
  bytes[bytes.length - 40]! ^= 0x04; // inside the float data, before the 32-byte digest
  writeFileSync(path, bytes);
  await assert.rejects(loadCheckpoint(path), (e: unknown) => e instanceof UserError && /SHA-256 mismatch/.test(e.message));
});

test('checkpoint: a file that is not a checkpoint, or missing, is a UserError', async () => {
  const dir = tmp();
  const path = join(dir, 'checkpoint.bin');
  writeFileSync(path, 'x'.repeat(100));
  await assert.rejects(loadCheckpoint(path), (e: unknown) => e instanceof UserError && /not a tintem checkpoint/.test(e.message));
  await assert.rejects(loadCheckpoint(join(dir, 'nope.bin')), (e: unknown) => e instanceof UserError && /does not exist \(checkpoint\)/.test(e.message));
});

test('checkpoint: a write that fails half-way (disk full) leaves the previous checkpoint intact', async () => {
  const dir = tmp();
  const path = join(dir, 'checkpoint.bin');
  await saveCheckpoint(path, sample(5));
  const diskFull = async (p: string, bytes: Uint8Array) => {
    await writeFile(p, bytes.subarray(0, bytes.length >> 1));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  };
  await assert.rejects(saveCheckpoint(path, sample(9), diskFull), (e: unknown) =>
    e instanceof UserError && e.message.includes(path) && /ENOSPC/.test(e.message) && /intact/.test(e.message));
  assert.equal((await loadCheckpoint(path)).step, 5);
  assert.deepEqual(readdirSync(dir), ['checkpoint.bin']); // no partial file left behind
});

test('config mismatch names the differing keys', () => {
  assert.deepEqual(differingKeys({ a: 1, b: { c: 2, d: [1] } }, { a: 1, b: { c: 3, d: [1, 2] } }), ['b.c', 'b.d']);
  const ck = sample(1);
  assert.doesNotThrow(() => assertSameConfig(ck, 'abc', ck.config, 'run/checkpoint.bin'));
  assert.throws(() => assertSameConfig(ck, 'other', { train: { lr: 0.01, epochs: 3 }, teacher: 'random' }, 'run/checkpoint.bin'),
    (e: unknown) => e instanceof UserError && e.message.startsWith('run/checkpoint.bin: config differs') && e.message.includes('train.lr: 0.001 -> 0.01'));
});
