/**
 * src/onnx against what it did not write: a model saved by the official `onnx` Python package
 * (scripts/fixtures/make_onnx_tiny.py), onnxruntime running graphs it builds, and hand-computed int8 values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSession, DataType, floatTensor, foldBatchNorm, makeModel, makeNode, makeValueInfo, modelMetadata, parseModel,
  quantizableTensors, quantizeInt8, readOnnxModel, runFloat, serializeModel, tensorDims, tensorFloats, valueInfoDims,
} from '../../src/onnx/index.js';
import { UserError } from '../../src/util/errors.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'tiny-matmul.onnx');

test('parses a model written by the onnx Python package', () => {
  const model = readOnnxModel(FIXTURE);
  const g = model.graph!;
  assert.deepEqual(g.node.map((n) => n.opType), ['MatMul', 'Add', 'Relu']);
  assert.deepEqual(valueInfoDims(g.input[0]!), ['batch', 2]);
  const w = g.initializer.find((t) => t.name === 'W')!;
  assert.deepEqual(tensorDims(w), [2, 3]);
  assert.deepEqual([...tensorFloats(w)], [1.5, -2.0, 0.25, 0.5, 3.0, -1.0]);
  assert.equal(modelMetadata(model).purpose, 'tintem parser fixture');
  assert.equal(Number(model.opsetImport[0]!.version), 17);
});

test('a graph built here runs in onnxruntime with hand-computed outputs, and metadata survives a round trip', async () => {
  const model = makeModel({
    graphName: 'affine',
    nodes: [makeNode('Mul', ['x', 'two'], ['x2']), makeNode('Add', ['x2', 'one'], ['y'])],
    initializers: [floatTensor('two', [], [2]), floatTensor('one', [], [1])],
    inputs: [makeValueInfo('x', ['batch', 3])],
    outputs: [makeValueInfo('y', ['batch', 3])],
    metadata: { hello: 'world' },
  });
  const bytes = serializeModel(model);
  assert.equal(modelMetadata(parseModel(bytes)).hello, 'world');
  const session = await createSession(bytes, 'affine');
  const out = await runFloat(session, 'x', Float32Array.from([0, 1, -2, 0.5, 3, 10]), [2, 3], ['y']);
  assert.deepEqual([...out.y!.data], [1, 3, -3, 2, 7, 21]);
  assert.deepEqual(out.y!.dims, [2, 3]);
});

test('reading is bounded: a FIFO, a folder, an oversized or garbage file is one line naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tintem-onnx-'));
  try {
    const fifo = join(dir, 'pipe.onnx');
    execFileSync('mkfifo', [fifo]);
    assert.throws(() => readOnnxModel(fifo), (e: Error) => e instanceof UserError && /not a regular file/.test(e.message) && e.message.includes('pipe.onnx'));
    mkdirSync(join(dir, 'd.onnx'));
    assert.throws(() => readOnnxModel(join(dir, 'd.onnx')), (e: Error) => e instanceof UserError && /d\.onnx/.test(e.message));
    assert.throws(() => readOnnxModel(FIXTURE, { maxBytes: 100 }), (e: Error) => e instanceof UserError && /limit/.test(e.message));
    writeFileSync(join(dir, 'bad.onnx'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    assert.throws(() => readOnnxModel(join(dir, 'bad.onnx')), (e: Error) => e instanceof UserError && /bad\.onnx: not an ONNX model/.test(e.message) && !e.message.includes('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('int8: per-channel symmetric weights, int32 bias at s_x * s_w, BatchNorm folded; onnxruntime runs it', async () => {
  // 1x1 conv, 2 -> 2 channels, then BatchNormalization; x in [0, 1]
  const model = makeModel({
    graphName: 'conv',
    nodes: [
      makeNode('Conv', ['x', 'W', 'B'], ['c'], { kernel_shape: [1, 1] }),
      makeNode('BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['y'], { epsilon: { f: 0 } }),
    ],
    initializers: [
      floatTensor('W', [2, 2, 1, 1], [2, -1.5, 0.5, 0.3]), floatTensor('B', [2], [0.1, 0]),
      floatTensor('gamma', [2], [1, 2]), floatTensor('beta', [2], [0, 0.5]), floatTensor('mean', [2], [0, 0]), floatTensor('var', [2], [1, 4]),
    ],
    inputs: [makeValueInfo('x', ['batch', 2, 1, 1])],
    outputs: [makeValueInfo('out', ['batch', 2, 1, 1])],
  });
  model.graph!.node.push(makeNode('Identity', ['y'], ['out']));
  const folded = foldBatchNorm(model);
  assert.deepEqual(folded.graph!.node.map((n) => n.opType), ['Conv', 'Identity']);
  // BN with var 4, gamma 2 scales channel 1 by 1; channel 0 by 1: weights unchanged, bias of channel 1 = 0.5
  const wf = folded.graph!.initializer.find((t) => t.name === folded.graph!.node[0]!.input[1])!;
  assert.deepEqual([...tensorFloats(wf)], [2, -1.5, 0.5, Math.fround(0.3)]);
  assert.deepEqual(quantizableTensors(folded), ['x', 'y']); // the conv's input and output (graph outputs stay float)
  const q = quantizeInt8(folded, { ranges: new Map([['x', { min: 0, max: 1 }], ['y', { min: 0, max: 2 }]]) });
  const int8 = q.graph!.initializer.find((t) => t.dataType === DataType.INT8 && tensorDims(t).length === 4)!;
  // 7-bit weights: channel 0: scale 2/63 -> [63, round(-1.5 * 63 / 2) = -47]; channel 1: scale 0.5/63 -> [63, 0.3 * 63 / 0.5 = 37.8 -> 38]
  assert.deepEqual([...new Int8Array(int8.rawData.buffer, int8.rawData.byteOffset, 4)], [63, -47, 63, 38]);
  const bias = q.graph!.initializer.find((t) => t.dataType === DataType.INT32 && tensorDims(t)[0] === 2 && t.name.includes('int32'))!;
  // bias / (s_x * s_w): s_x = 1/255; channel 0: 0.1 / (1/255 * 2/63) = 803.25 -> 803; channel 1: 0.5 / (1/255 * 0.5/63) = 16065
  assert.deepEqual([...new Int32Array(bias.rawData.slice().buffer)], [803, 16065]);
  const session = await createSession(serializeModel(q), 'int8 conv');
  const out = await runFloat(session, 'x', Float32Array.from([1, 0.5]), [1, 2, 1, 1], ['out']);
  // float: [2 - 0.75 + 0.1, 0.5 + 0.15 + 0.5] = [1.35, 1.15]
  assert.ok(Math.abs(out.out!.data[0]! - 1.35) < 0.02 && Math.abs(out.out!.data[1]! - 1.15) < 0.02, String([...out.out!.data]));
});
