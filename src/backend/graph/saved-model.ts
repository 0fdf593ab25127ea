/**
 * Encodes a list of graph nodes as a TensorFlow SavedModel (saved_model.pb, no variables) that the tfjs-node
 * binding can load with `loadSavedModel` and run with `runSavedModel` by node name.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Msg } from './proto.js';

/** TensorFlow's DataType enum values (types.proto); the C API's TF_DataType uses the same numbers. */
export const DT = { float: 1, double: 2, int32: 3, uint8: 4, string: 7, complex64: 8, int64: 9, bool: 10, bfloat16: 14 } as const;

export interface ConstTensor {
  dtype: number;
  shape: number[];
  /** Little-endian element bytes (TensorProto.tensor_content). */
  content: Uint8Array;
}

export type AttrValue =
  | { s: string }
  | { i: number }
  | { f: number }
  | { b: boolean }
  | { type: number }
  | { shape: number[] }
  | { tensor: ConstTensor }
  | { list: { s?: string[]; i?: number[]; f?: number[]; b?: boolean[]; type?: number[] } };

export interface GraphNode {
  name: string;
  op: string;
  /** "node" or "node:k" (output k), as in NodeDef.input. */
  inputs: string[];
  attrs: Record<string, AttrValue>;
}

function shapeMsg(dims: number[]): Msg {
  const m = new Msg();
  for (const d of dims) m.msg(2, new Msg().int(1, d));
  return m;
}

function tensorMsg(t: ConstTensor): Msg {
  return new Msg().int(1, t.dtype).msg(2, shapeMsg(t.shape)).bytesField(4, t.content);
}

function attrMsg(a: AttrValue): Msg {
  const m = new Msg();
  if ('s' in a) return m.string(2, a.s);
  if ('i' in a) return m.int(3, a.i);
  if ('f' in a) return m.float(4, a.f);
  if ('b' in a) return m.bool(5, a.b);
  if ('type' in a) return m.int(6, a.type);
  if ('shape' in a) return m.msg(7, shapeMsg(a.shape));
  if ('tensor' in a) return m.msg(8, tensorMsg(a.tensor));
  const l = new Msg();
  for (const s of a.list.s ?? []) l.string(2, s);
  if (a.list.i?.length) l.packedInts(3, a.list.i);
  if (a.list.f?.length) l.packedFloats(4, a.list.f);
  if (a.list.b?.length) l.packedInts(5, a.list.b.map(Number));
  if (a.list.type?.length) l.packedInts(6, a.list.type);
  return m.msg(1, l);
}

function nodeMsg(n: GraphNode): Msg {
  const m = new Msg().string(1, n.name).string(2, n.op);
  for (const i of n.inputs) m.string(3, i);
  // Map entries in a stable order so the same trace gives the same bytes.
  for (const k of Object.keys(n.attrs).sort()) m.mapEntry(5, k, attrMsg(n.attrs[k]!));
  return m;
}

/** GraphDef producer version: TF 2.x graphs; ops keep their current semantics at any recent producer. */
const GRAPH_PRODUCER = 1286;

export function encodeSavedModel(nodes: GraphNode[], tag = 'serve'): Uint8Array {
  const graph = new Msg();
  for (const n of nodes) graph.msg(1, nodeMsg(n));
  graph.msg(4, new Msg().int(1, GRAPH_PRODUCER));
  const metaInfo = new Msg().string(4, tag);
  const metaGraph = new Msg().msg(1, metaInfo).msg(2, graph);
  return new Msg().int(1, 1).msg(2, metaGraph).finish();
}

/** Writes `<dir>/saved_model.pb` atomically (temp + rename). */
export function writeSavedModel(dir: string, nodes: GraphNode[], tag = 'serve'): void {
  mkdirSync(dir, { recursive: true });
  const target = join(dir, 'saved_model.pb');
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, encodeSavedModel(nodes, tag));
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
