/**
 * Building, serialising and parsing ONNX ModelProto (the ONNX 1.20 schema of `onnx-buf` on @bufbuild/protobuf).
 * Loads no TensorFlow and no runtime: the TF.js student converter (src/export/onnx-convert.ts), the int8 rewrite
 * (./quantize.ts) and any teacher rewrite build graphs with these helpers. Browser-safe (no Node imports).
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType, AttributeProtoSchema, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema,
  OperatorSetIdProtoSchema, StringStringEntryProtoSchema, TensorProto_DataType, TensorProtoSchema,
  TensorShapeProto_DimensionSchema, TensorShapeProtoSchema, TypeProto_TensorSchema, TypeProtoSchema, ValueInfoProtoSchema,
  type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from 'onnx-buf';

export { TensorProto_DataType as DataType };
export type { AttributeProto, GraphProto, ModelProto, NodeProto, TensorProto, ValueInfoProto };

/** The opset tintem writes (ReduceMean / Squeeze take their axes as attributes or inputs as of this version). */
export const OPSET = 17;
/** IR version 8 is what opset 17 needs; onnxruntime 1.14+ reads it. */
export const IR_VERSION = 8n;

/** An attribute value: numbers that are integers become INT unless given as { f }, arrays INTS / FLOATS. */
export type AttrValue = number | bigint | string | number[] | { f: number } | { floats: number[] } | TensorProto;

function attribute(name: string, value: AttrValue): AttributeProto {
  const T = AttributeProto_AttributeType;
  if (typeof value === 'string') return create(AttributeProtoSchema, { name, type: T.STRING, s: new TextEncoder().encode(value) });
  if (typeof value === 'bigint') return create(AttributeProtoSchema, { name, type: T.INT, i: value });
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return create(AttributeProtoSchema, { name, type: T.FLOAT, f: value });
    return create(AttributeProtoSchema, { name, type: T.INT, i: BigInt(value) });
  }
  if (Array.isArray(value)) return create(AttributeProtoSchema, { name, type: T.INTS, ints: value.map((v) => BigInt(v)) });
  if ('f' in value) return create(AttributeProtoSchema, { name, type: T.FLOAT, f: value.f });
  if ('floats' in value) return create(AttributeProtoSchema, { name, type: T.FLOATS, floats: value.floats });
  return create(AttributeProtoSchema, { name, type: T.TENSOR, t: value });
}

/** One node; attributes whose value is undefined are left out. */
export function makeNode(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue | undefined> = {}, name = ''): NodeProto {
  const attribute_ = Object.entries(attrs).flatMap(([k, v]) => (v === undefined ? [] : [attribute(k, v)]));
  return create(NodeProtoSchema, { opType, input: inputs, output: outputs, attribute: attribute_, name });
}

/** A node's attribute by name, or undefined. */
export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((a) => a.name === name);
}

const BYTES_PER: Partial<Record<TensorProto_DataType, number>> = {
  [TensorProto_DataType.FLOAT]: 4, [TensorProto_DataType.INT64]: 8, [TensorProto_DataType.INT32]: 4,
  [TensorProto_DataType.INT8]: 1, [TensorProto_DataType.UINT8]: 1,
};

/** A tensor from typed data (stored little-endian in raw_data). */
export function makeTensor(name: string, dataType: TensorProto_DataType, dims: number[], data: Float32Array | Int32Array | Int8Array | Uint8Array | BigInt64Array | number[]): TensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`onnx tensor ${name}: ${data.length} values for dims [${dims.join(', ')}]`);
  const size = BYTES_PER[dataType];
  if (size === undefined) throw new Error(`onnx tensor ${name}: data type ${TensorProto_DataType[dataType]} is not supported here`);
  const raw = new Uint8Array(count * size);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < count; i++) {
    const v = data[i]!;
    switch (dataType) {
      case TensorProto_DataType.FLOAT: view.setFloat32(i * 4, Number(v), true); break;
      case TensorProto_DataType.INT64: view.setBigInt64(i * 8, BigInt(v), true); break;
      case TensorProto_DataType.INT32: view.setInt32(i * 4, Number(v), true); break;
      case TensorProto_DataType.INT8: view.setInt8(i, Number(v)); break;
      default: view.setUint8(i, Number(v));
    }
  }
  return create(TensorProtoSchema, { name, dataType, dims: dims.map((d) => BigInt(d)), rawData: raw });
}

export const floatTensor = (name: string, dims: number[], data: Float32Array | number[]) => makeTensor(name, TensorProto_DataType.FLOAT, dims, data);
export const int64Tensor = (name: string, dims: number[], data: number[]) => makeTensor(name, TensorProto_DataType.INT64, dims, data);

/** A tensor's dims as numbers. */
export function tensorDims(t: TensorProto): number[] {
  return t.dims.map(Number);
}

/** A float32 tensor's values (raw_data or float_data). */
export function tensorFloats(t: TensorProto): Float32Array {
  if (t.dataType !== TensorProto_DataType.FLOAT) throw new Error(`onnx tensor ${t.name}: not float32`);
  if (t.rawData.length > 0) {
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const out = new Float32Array(t.rawData.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  return Float32Array.from(t.floatData);
}

/** A float tensor value-info; a string dim is symbolic (dynamic), e.g. 'batch'. */
export function makeValueInfo(name: string, dims?: Array<number | string>, elemType = TensorProto_DataType.FLOAT): ValueInfoProto {
  const shape = dims === undefined ? undefined : create(TensorShapeProtoSchema, {
    dim: dims.map((d) => create(TensorShapeProto_DimensionSchema, { value: typeof d === 'string' ? { case: 'dimParam', value: d } : { case: 'dimValue', value: BigInt(d) } })),
  });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType, shape }) } }),
  });
}

/** The dims of a value-info (symbolic dims as strings), or undefined when it has no tensor shape. */
export function valueInfoDims(v: ValueInfoProto): Array<number | string> | undefined {
  const t = v.type?.value;
  if (t?.case !== 'tensorType' || !t.value.shape) return undefined;
  return t.value.shape.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : '?'));
}

export interface ModelParts {
  graphName: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  /** model.metadata_props (string key/value pairs). */
  metadata?: Record<string, string>;
  producerVersion?: string;
  docString?: string;
  opset?: number;
}

export function makeModel(parts: ModelParts): ModelProto {
  return create(ModelProtoSchema, {
    irVersion: IR_VERSION,
    producerName: 'tintem',
    producerVersion: parts.producerVersion ?? '',
    docString: parts.docString ?? '',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(parts.opset ?? OPSET) })],
    metadataProps: Object.entries(parts.metadata ?? {}).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value })),
    graph: create(GraphProtoSchema, { name: parts.graphName, node: parts.nodes, initializer: parts.initializers, input: parts.inputs, output: parts.outputs }),
  });
}

/** model.metadata_props as a record. */
export function modelMetadata(model: ModelProto): Record<string, string> {
  return Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
}

export function serializeModel(model: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, model);
}

/** Parses ONNX bytes; `label` names the source in the error. Throws a plain Error (callers wrap it as they need). */
export function parseModel(bytes: Uint8Array, label = 'onnx model'): ModelProto {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new Error(`${label}: not an ONNX model (${(e as Error).message.split('\n')[0]})`, { cause: e });
  }
  if (!model.graph) throw new Error(`${label}: not an ONNX model (no graph)`);
  return model;
}

/** A deep copy (messages are mutable; rewrites work on a clone). */
export function cloneModel(model: ModelProto): ModelProto {
  return fromBinary(ModelProtoSchema, toBinary(ModelProtoSchema, model));
}

/** Hands out unique value / node names inside one graph. */
export class NameScope {
  private readonly used = new Set<string>();
  constructor(taken: Iterable<string> = []) {
    for (const n of taken) this.used.add(n);
  }

  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** Every value name a graph uses (inputs, outputs, initializers, node outputs). */
export function graphNames(graph: GraphProto): string[] {
  return [
    ...graph.input.map((v) => v.name), ...graph.output.map((v) => v.name), ...graph.initializer.map((t) => t.name),
    ...graph.node.flatMap((n) => n.output), ...graph.node.map((n) => n.name).filter(Boolean),
  ];
}
