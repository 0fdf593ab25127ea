/**
 * int8 rewrite of a float32 ONNX graph in QDQ form (QuantizeLinear / DequantizeLinear pairs around float ops,
 * which onnxruntime fuses into integer kernels: QLinearConv, QLinearAdd, MatMulIntegerToFloat):
 *
 * - weights of Conv, MatMul and Gemm (initializers): per-output-channel symmetric int8, zero point 0, scale
 *   max|w| / 63 per channel (7 bits, onnxruntime's `reduce_range`: on x86 CPUs without VNNI its u8 x s8 kernels sum
 *   pairs of products in int16, which saturates with full-range weights and gives wrong results; `weightBits: 8`
 *   uses max|w| / 127 where the hardware allows); a Conv's bias becomes int32 at scale s_x * s_w (as onnxruntime's QDQ Conv needs);
 * - activations (static): uint8 with a zero point, per tensor, from min/max ranges the caller measured on
 *   calibration images (see {@link quantizableTensors}; 0 is always inside the range so zero padding is exact);
 *   quantized are the inputs of those ops, the outputs of Conv and of Add between two activations (after a
 *   following Relu where there is one, so the Relu folds away), and MaxPool outputs share their input's scale.
 *
 * Graph outputs stay float. {@link foldBatchNorm} first folds inference BatchNormalization into the Conv before
 * it, so each conv is one quantized op. General over ONNX graphs (no TensorFlow, no runtime).
 */
import {
  cloneModel, DataType, floatTensor, graphNames, makeNode, makeTensor, NameScope, tensorDims, tensorFloats,
  type ModelProto, type NodeProto, type TensorProto,
} from './proto.js';

export interface TensorRange { min: number; max: number }

export interface QuantizeOptions {
  /** Activation ranges by tensor name (from a calibration pass); tensors without one stay float. */
  ranges: ReadonlyMap<string, TensorRange>;
  /** Op types whose weights are quantized (default Conv, MatMul, Gemm). */
  ops?: ReadonlyArray<'Conv' | 'MatMul' | 'Gemm'>;
  /** 7 (default: weights in [-63, 63], safe on every x86 CPU) or 8 (weights in [-127, 127]). */
  weightBits?: 7 | 8;
}

interface GraphIndex {
  inits: Map<string, TensorProto>;
  consumers: Map<string, NodeProto[]>;
  producer: Map<string, NodeProto>;
  outputs: Set<string>;
}

function indexGraph(model: ModelProto): GraphIndex {
  const g = model.graph!;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const consumers = new Map<string, NodeProto[]>();
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) {
    for (const i of n.input) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
    for (const o of n.output) producer.set(o, n);
  }
  return { inits, consumers, producer, outputs: new Set(g.output.map((o) => o.name)) };
}

const attrInt = (n: NodeProto, name: string, dflt: number) => {
  const a = n.attribute.find((x) => x.name === name);
  return a ? Number(a.i) : dflt;
};
const attrFloat = (n: NodeProto, name: string, dflt: number) => n.attribute.find((x) => x.name === name)?.f ?? dflt;

/** Folds each inference BatchNormalization that directly follows a Conv (its only consumer) into that Conv. */
export function foldBatchNorm(source: ModelProto): ModelProto {
  const model = cloneModel(source);
  const g = model.graph!;
  const idx = indexGraph(model);
  const names = new NameScope(graphNames(g));
  const drop = new Set<NodeProto>();
  for (const bn of g.node) {
    if (bn.opType !== 'BatchNormalization' || bn.output.length !== 1) continue;
    const conv = idx.producer.get(bn.input[0]!);
    if (!conv || conv.opType !== 'Conv' || idx.consumers.get(conv.output[0]!)?.length !== 1 || idx.outputs.has(conv.output[0]!)) continue;
    const params = bn.input.slice(1).map((n) => idx.inits.get(n));
    const w = idx.inits.get(conv.input[1]!);
    if (!w || params.some((p) => !p)) continue;
    const [gamma, beta, mean, variance] = params.map((p) => tensorFloats(p!)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const dims = tensorDims(w);
    const out = dims[0]!;
    const per = dims.slice(1).reduce((a, b) => a * b, 1);
    const wData = tensorFloats(w);
    const bias = conv.input[2] ? tensorFloats(idx.inits.get(conv.input[2])!) : new Float32Array(out);
    const newW = new Float32Array(wData.length);
    const newB = new Float32Array(out);
    for (let o = 0; o < out; o++) {
      const s = gamma[o]! / Math.sqrt(variance[o]! + eps);
      for (let i = 0; i < per; i++) newW[o * per + i] = wData[o * per + i]! * s;
      newB[o] = (bias[o]! - mean[o]!) * s + beta[o]!;
    }
    const wName = names.fresh(`${conv.input[1]}_bn`);
    const bName = names.fresh(`${conv.input[1]}_bn_bias`);
    g.initializer.push(floatTensor(wName, dims, newW), floatTensor(bName, [out], newB));
    conv.input.splice(1, 2, wName, bName);
    conv.output[0] = bn.output[0]!;
    drop.add(bn);
  }
  g.node = g.node.filter((n) => !drop.has(n));
  pruneInitializers(model);
  return model;
}

/** Removes initializers no node uses. */
function pruneInitializers(model: ModelProto): void {
  const g = model.graph!;
  const used = new Set(g.node.flatMap((n) => n.input));
  for (const o of g.output) used.add(o.name);
  g.initializer = g.initializer.filter((t) => used.has(t.name));
}

const WEIGHT_OPS = ['Conv', 'MatMul', 'Gemm'] as const;

/** A tensor fed only to a Relu is quantized after the Relu (onnxruntime then folds the Relu into the Q). */
function afterRelu(name: string, idx: GraphIndex): string {
  const users = idx.consumers.get(name) ?? [];
  if (users.length === 1 && users[0]!.opType === 'Relu' && !idx.outputs.has(name)) return users[0]!.output[0]!;
  return name;
}

/**
 * The activation tensors {@link quantizeInt8} quantizes, in graph order: measure their min/max on calibration
 * images (e.g. by adding them as graph outputs of the float model) and pass the ranges in.
 */
export function quantizableTensors(model: ModelProto, ops: ReadonlyArray<string> = WEIGHT_OPS): string[] {
  const idx = indexGraph(model);
  const out = new Set<string>();
  const isActivation = (n: string | undefined): n is string => !!n && !idx.inits.has(n);
  for (const n of model.graph!.node) {
    const weighted = ops.includes(n.opType) && idx.inits.has(n.input[1] ?? '');
    if (weighted && isActivation(n.input[0])) {
      out.add(n.input[0]);
      if (n.opType === 'Conv') out.add(afterRelu(n.output[0]!, idx));
    }
    if (n.opType === 'Add' && n.input.length === 2 && n.input.every(isActivation) && n.input.every((i) => out.has(i))) {
      out.add(afterRelu(n.output[0]!, idx));
    }
    if (n.opType === 'MaxPool' && out.has(n.input[0]!)) out.add(n.output[0]!);
  }
  for (const o of idx.outputs) out.delete(o);
  return [...out];
}

/** uint8 asymmetric parameters for a range (0 kept inside it). */
export function activationParams(r: TensorRange): { scale: number; zeroPoint: number } {
  const min = Math.min(0, r.min);
  const max = Math.max(0, r.max);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-min / scale))) };
}

/**
 * Symmetric per-channel int8 along `axis` of a float weight tensor: scale max|w| / qmax per channel (qmax 63 for
 * 7-bit, 127 for 8-bit), values round(w / scale) clamped to [-qmax, qmax]. Exported for other rewrites (a dynamic
 * MatMul/Gemm quantisation of teachers uses the same weights).
 */
export function quantizeWeightPerChannel(w: TensorProto, axis: number, qmax: number): { q: Int8Array; scales: Float32Array } {
  const dims = tensorDims(w);
  const data = tensorFloats(w);
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float32Array(channels);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  for (let i = 0; i < data.length; i++) maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)]!, Math.abs(data[i]!));
  const scales = maxAbs.map((m) => (m > 0 ? m / qmax : 1));
  const q = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) q[i] = Math.max(-qmax, Math.min(qmax, Math.round(data[i]! / scales[channelOf(i)]!)));
  return { q, scales };
}

/** The int8 QDQ copy of a float model (see the module comment); `source` is not changed. */
export function quantizeInt8(source: ModelProto, opts: QuantizeOptions): ModelProto {
  const model = cloneModel(source);
  const g = model.graph!;
  const idx = indexGraph(model);
  const names = new NameScope(graphNames(g));
  const ops: ReadonlyArray<string> = opts.ops ?? WEIGHT_OPS;
  const front: NodeProto[] = [];
  const after = new Map<string, NodeProto[]>(); // tensor -> Q/DQ nodes to place after its producer
  const actScale = new Map<string, { scale: number; zeroPoint: number; dq: string }>();

  // Activations: one Q/DQ pair per tensor; MaxPool outputs reuse their input's parameters.
  const ranges = new Map(opts.ranges);
  for (const n of g.node) if (n.opType === 'MaxPool' && ranges.has(n.input[0]!) && ranges.has(n.output[0]!)) ranges.set(n.output[0]!, ranges.get(n.input[0]!)!);
  for (const name of quantizableTensors(model, ops)) {
    const range = ranges.get(name);
    if (!range || !Number.isFinite(range.min) || !Number.isFinite(range.max)) continue;
    const p = activationParams(range);
    const s = names.fresh(`${name}_scale`);
    const z = names.fresh(`${name}_zero_point`);
    g.initializer.push(floatTensor(s, [], [p.scale]), makeTensor(z, DataType.UINT8, [], [p.zeroPoint]));
    const q = names.fresh(`${name}_quantized`);
    const dq = names.fresh(`${name}_dequantized`);
    const pair = [makeNode('QuantizeLinear', [name, s, z], [q], {}, names.fresh(`${name}_Q`)), makeNode('DequantizeLinear', [q, s, z], [dq], {}, names.fresh(`${name}_DQ`))];
    if (idx.producer.has(name)) after.set(name, pair); else front.push(...pair);
    for (const user of idx.consumers.get(name) ?? []) user.input.forEach((inp, i) => { if (inp === name) user.input[i] = dq; });
    actScale.set(name, { ...p, dq });
  }

  // Weights (and Conv biases) of Conv / MatMul / Gemm.
  const inputScaleOf = (dqName: string) => [...actScale.values()].find((a) => a.dq === dqName)?.scale;
  for (const n of g.node) {
    if (!ops.includes(n.opType)) continue;
    const w = idx.inits.get(n.input[1] ?? '');
    if (!w || w.dataType !== DataType.FLOAT) continue;
    const dims = tensorDims(w);
    if (n.opType !== 'Conv' && dims.length !== 2) continue;
    const axis = n.opType === 'Conv' ? 0 : n.opType === 'Gemm' && attrInt(n, 'transB', 0) === 1 ? 0 : 1;
    const { q, scales } = quantizeWeightPerChannel(w, axis, (opts.weightBits ?? 7) === 8 ? 127 : 63);
    const qName = names.fresh(`${w.name}_int8`);
    const sName = names.fresh(`${w.name}_scale`);
    const zName = names.fresh(`${w.name}_zero_point`);
    const dq = names.fresh(`${w.name}_dequantized`);
    g.initializer.push(makeTensor(qName, DataType.INT8, dims, q), floatTensor(sName, [scales.length], scales), makeTensor(zName, DataType.INT8, [scales.length], new Int8Array(scales.length)));
    front.push(makeNode('DequantizeLinear', [qName, sName, zName], [dq], { axis }, names.fresh(`${w.name}_DQ`)));
    n.input[1] = dq;
    const bias = n.opType === 'Conv' ? idx.inits.get(n.input[2] ?? '') : undefined;
    const sx = inputScaleOf(n.input[0]!);
    if (bias && sx !== undefined) {
      const b = tensorFloats(bias);
      const bScale = scales.map((s) => s * sx);
      const bq = new Int32Array(b.length);
      for (let i = 0; i < b.length; i++) bq[i] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(b[i]! / bScale[i]!)));
      const bq_ = names.fresh(`${bias.name}_int32`);
      const bs = names.fresh(`${bias.name}_scale`);
      const bz = names.fresh(`${bias.name}_zero_point`);
      const bdq = names.fresh(`${bias.name}_dequantized`);
      g.initializer.push(makeTensor(bq_, DataType.INT32, [b.length], bq), floatTensor(bs, [b.length], bScale), makeTensor(bz, DataType.INT32, [b.length], new Int32Array(b.length)));
      front.push(makeNode('DequantizeLinear', [bq_, bs, bz], [bdq], { axis: 0 }, names.fresh(`${bias.name}_DQ`)));
      n.input[2] = bdq;
    }
  }

  const nodes: NodeProto[] = [...front];
  for (const n of g.node) {
    nodes.push(n);
    for (const o of n.output) nodes.push(...(after.get(o) ?? []));
  }
  g.node = nodes;
  pruneInitializers(model);
  return model;
}
