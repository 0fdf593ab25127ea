/**
 * The SavedModel writer (src/backend/graph/saved-model.ts + proto.ts) against two readers it does not share code
 * with: tfjs-node's protobuf classes (generated from TensorFlow's .proto files) decode the bytes field by field, and
 * TensorFlow itself loads the model through the binding and computes a MatMul and a Split worked out by hand.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../../src/backend/index.js';
import { DT, encodeSavedModel, writeSavedModel, type GraphNode } from '../../src/backend/graph/saved-model.js';
import { nativeBackend } from '../../src/backend/graph/native.js';

before(async () => { await initBackend('tensorflow'); });

const bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer);
const nodes: GraphNode[] = [
  { name: 'x', op: 'Placeholder', inputs: [], attrs: { dtype: { type: DT.float }, shape: { shape: [3, 2] } } },
  { name: 'w', op: 'Const', inputs: [], attrs: { dtype: { type: DT.float }, value: { tensor: { dtype: DT.float, shape: [2, 2], content: bytes(new Float32Array([1, 2, 3, 4])) } } } },
  { name: 'y', op: 'MatMul', inputs: ['x', 'w'], attrs: { T: { type: DT.float }, transpose_a: { b: false }, transpose_b: { b: false } } },
  { name: 'axis', op: 'Const', inputs: [], attrs: { dtype: { type: DT.int32 }, value: { tensor: { dtype: DT.int32, shape: [], content: bytes(new Int32Array([1])) } } } },
  { name: 'z', op: 'Split', inputs: ['axis', 'y'], attrs: { T: { type: DT.float }, num_split: { i: 2 } } },
  { name: 'p', op: 'Transpose', inputs: ['y', 'perm'], attrs: { T: { type: DT.float }, Tperm: { type: DT.int32 } } },
  { name: 'perm', op: 'Const', inputs: [], attrs: { dtype: { type: DT.int32 }, value: { tensor: { dtype: DT.int32, shape: [2], content: bytes(new Int32Array([1, 0])) } } } },
  { name: 'lists', op: 'NoOp', inputs: [], attrs: { f: { f: 0.25 }, fl: { list: { f: [0.5, -1] } }, il: { list: { i: [1, -2, 300] } }, s: { s: 'SAME' } } },
];

test('saved_model.pb decodes with TensorFlow\'s generated protobuf classes', () => {
  const require = createRequire(import.meta.url);
  const messages = require('@tensorflow/tfjs-node/dist/proto/api_pb.js');
  const model = messages.SavedModel.deserializeBinary(encodeSavedModel(nodes));
  assert.equal(model.getSavedModelSchemaVersion(), 1);
  const meta = model.getMetaGraphsList()[0];
  assert.deepEqual(meta.getMetaInfoDef().getTagsList(), ['serve']);
  const decoded = meta.getGraphDef().getNodeList();
  assert.deepEqual(decoded.map((n: { getName(): string }) => n.getName()), nodes.map((n) => n.name));
  const byName = (name: string) => decoded.find((n: { getName(): string }) => n.getName() === name);
  assert.deepEqual(byName('y').getInputList(), ['x', 'w']);
  assert.equal(byName('z').getAttrMap().get('num_split').getI(), 2);
  const w = byName('w').getAttrMap().get('value').getTensor();
  assert.equal(w.getDtype(), 1); // DT_FLOAT
  assert.deepEqual(w.getTensorShape().getDimList().map((d: { getSize(): number }) => d.getSize()), [2, 2]);
  assert.deepEqual(Array.from(new Float32Array(Uint8Array.from(w.getTensorContent_asU8()).buffer)), [1, 2, 3, 4]);
  const lists = byName('lists').getAttrMap();
  assert.equal(lists.get('f').getF(), 0.25);
  assert.deepEqual(lists.get('fl').getList().getFList(), [0.5, -1]);
  assert.deepEqual(lists.get('il').getList().getIList(), [1, -2, 300]);
  assert.equal(lists.get('s').getS_asB64(), Buffer.from('SAME').toString('base64'));
  assert.deepEqual(byName('x').getAttrMap().get('shape').getShape().getDimList().map((d: { getSize(): number }) => d.getSize()), [3, 2]);
});

test('TensorFlow loads the written SavedModel and runs it by node name', () => {
  const n = nativeBackend();
  assert.ok('backend' in n, 'reason' in n ? n.reason : '');
  const { backend } = n;
  const dir = mkdtempSync(join(tmpdir(), 'tintem-sm-test-'));
  writeSavedModel(dir, nodes.filter((x) => x.op !== 'NoOp'));
  assert.ok(readFileSync(join(dir, 'saved_model.pb')).length > 0);
  const id = backend.binding.loadSavedModel(dir, 'serve');
  const x = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
  try {
    const metas = backend.binding.runSavedModel(id, backend.getInputTensorIds([x]), 'x', 'y,z:1,p');
    const outs = metas.map((m) => backend.createOutputTensor(m));
    // x @ [[1,2],[3,4]] = [[1,2],[3,4],[4,6]]; its second column; its transpose.
    assert.deepEqual(outs.map((t) => t.arraySync()), [[[1, 2], [3, 4], [4, 6]], [[2], [4], [6]], [[1, 3, 4], [2, 4, 6]]]);
    tf.dispose(outs);
  } finally {
    backend.binding.deleteSavedModel(id);
    x.dispose();
  }
});
