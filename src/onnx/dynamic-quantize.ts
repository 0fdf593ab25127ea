/**
 * Dynamic int8 quantisation of a float32 ONNX graph's MatMul / Gemm weights, for teachers (no calibration):
 * each MatMul whose right operand is a 2-D float initializer [K, N] (and each Gemm with alpha = beta = 1,
 * transA = 0 and an initializer weight) becomes one com.microsoft `DynamicQuantizeMatMul`: the activation is
 * quantised to uint8 per call at run time (its own min/max), the weight is stored as int8, symmetric (zero point
 * 0), per output column by default (scale max|w| / 127, or / 63 with `weightBits: 7` for CPUs without VNNI: see
 * ./int8-store.ts defaultWeightBits); a following Add of a 1-D bias initializer (and a Gemm's
 * C) folds in as the node's bias. Activation x activation MatMuls (attention) stay float.
 *
 * This is the form onnxruntime fuses `onnxruntime.quantization.quantize_dynamic`'s output into
 * (DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul => DynamicQuantizeMatMul / MatMulIntegerToFloat), so it
 * runs the same integer kernels; quantize_dynamic's default is per-tensor weights (per_channel=False), tintem's
 * per-column (closer to fp32 at the same speed). External-data tensors are read into the graph
 * ({@link inlineExternalData}), so the rewritten model is one self-contained file. General over ONNX graphs.
 */
import { create } from '@bufbuild/protobuf';
import { OperatorSetIdProtoSchema, TensorProto_DataLocation } from 'onnx-buf';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';
import { readFileChecked, GiB } from '../util/safe-read.js';
import {
  cloneModel, DataType, floatTensor, getAttribute, graphNames, makeNode, makeTensor, NameScope, tensorDims, tensorFloats,
  type ModelProto, type NodeProto, type TensorProto,
} from './proto.js';

/** Bumped when the rewrite's output changes for the same input (it is part of a quantised teacher's identity). */
export const DYNAMIC_QUANT_VERSION = 1;

export interface DynamicQuantizeOptions {
  /** Per output column (default) or one scale per weight tensor (quantize_dynamic's default). */
  perChannel?: boolean;
  /** 8 (default: weights in [-127, 127]) or 7 (in [-63, 63], onnxruntime's reduce_range for CPUs without VNNI). */
  weightBits?: 7 | 8;
  /** Weights with fewer elements stay float (default 0: all). */
  minElements?: number;
}

export interface DynamicQuantizeResult {
  model: ModelProto;
  /** MatMul / Gemm nodes rewritten. */
  quantized: number;
  /** Float weight bytes replaced by int8. */
  weightBytes: number;
}

/** Reads every external-data tensor of `model` (file `path`) into raw_data; files must lie in the model's folder. */
export function inlineExternalData(model: ModelProto, path: string): ModelProto {
  const dir = dirname(resolve(path));
  const files = new Map<string, Buffer>();
  let total = 0;
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== TensorProto_DataLocation.EXTERNAL) continue;
    const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
    const location = kv.location ?? '';
    const file = resolve(dir, location);
    const rel = relative(dir, file);
    if (!location || isAbsolute(location) || rel.startsWith('..') || isAbsolute(rel)) {
      throw new UserError(`${quoteName(path)}: tensor ${t.name} points to external data '${location}' outside the model's folder`);
    }
    let buf = files.get(file);
    if (!buf) {
      buf = readFileChecked(file, { what: `external data of ${path}`, maxBytes: 2 * GiB, within: dir });
      files.set(file, buf);
    }
    const offset = Number(kv.offset ?? 0);
    const length = kv.length !== undefined ? Number(kv.length) : buf.length - offset;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > buf.length) {
      throw new UserError(`${quoteName(path)}: tensor ${t.name} reads bytes ${offset}..${offset + length} of '${location}', which has ${buf.length}`);
    }
    total += length;
    if (total > 2 * GiB) throw new UserError(`${quoteName(path)}: over 2 GiB of weights; an int8 rewrite of a model this size is not supported`);
    t.rawData = Uint8Array.from(buf.subarray(offset, offset + length));
    t.externalData = [];
    t.dataLocation = TensorProto_DataLocation.DEFAULT;
  }
  return model;
}

/** Symmetric int8 weights of a [K, N] matrix: per column (N scales) or per tensor (1 scale). */
function quantizeMatrix(w: Float32Array, k: number, n: number, perChannel: boolean, qmax: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(perChannel ? n : 1);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) {
      const a = Math.abs(w[r * n + c]!);
      const s = perChannel ? c : 0;
      if (a > scales[s]!) scales[s] = a;
    }
  }
  for (let i = 0; i < scales.length; i++) scales[i] = scales[i]! > 0 ? scales[i]! / qmax : 1;
  const q = new Int8Array(k * n);
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < n; c++) {
      const v = Math.round(w[r * n + c]! / scales[perChannel ? c : 0]!);
      q[r * n + c] = Math.max(-qmax, Math.min(qmax, v));
    }
  }
  return { q, scales };
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c]!;
  return out;
}

/** Rewrites MatMul / Gemm weights to dynamic int8 (see the module comment). The source model is not changed. */
export function quantizeDynamicInt8(source: ModelProto, opts: DynamicQuantizeOptions = {}): DynamicQuantizeResult {
  const model = cloneModel(source);
  const g = model.graph!;
  const perChannel = opts.perChannel ?? true;
  const qmax = (opts.weightBits ?? 8) === 8 ? 127 : 63;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  // Exporters often pass initializers through Identity nodes (shared or tied weights): see through them.
  for (let changed = true; changed;) {
    changed = false;
    for (const n of g.node) {
      const src = n.opType === 'Identity' && !n.domain ? inits.get(n.input[0] ?? '') : undefined;
      if (src && !inits.has(n.output[0]!)) { inits.set(n.output[0]!, src); changed = true; }
    }
  }
  const consumers = new Map<string, NodeProto[]>();
  for (const n of g.node) for (const i of n.input) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const graphOutputs = new Set(g.output.map((o) => o.name));
  const names = new NameScope(graphNames(g));
  const drop = new Set<NodeProto>();
  const added: TensorProto[] = [];
  let quantized = 0;
  let weightBytes = 0;
  const attrI = (n: NodeProto, name: string, d: number) => { const a = getAttribute(n, name); return a ? Number(a.i) : d; };
  const attrF = (n: NodeProto, name: string, d: number) => getAttribute(n, name)?.f ?? d;

  const replaced = new Map<NodeProto, NodeProto>();
  for (const n of g.node) {
    if (n.opType !== 'MatMul' && n.opType !== 'Gemm') continue;
    if (n.domain && n.domain !== 'ai.onnx') continue;
    const w = inits.get(n.input[1] ?? '');
    if (!w || w.dataType !== DataType.FLOAT || w.dims.length !== 2) continue;
    let [k, cols] = tensorDims(w) as [number, number];
    if (k * cols < (opts.minElements ?? 0)) continue;
    let data = tensorFloats(w);
    let bias: Float32Array | undefined;
    let output = n.output[0]!;
    if (n.opType === 'Gemm') {
      if (attrI(n, 'transA', 0) !== 0 || attrF(n, 'alpha', 1) !== 1 || attrF(n, 'beta', 1) !== 1) continue;
      if (attrI(n, 'transB', 0) === 1) { data = transpose(data, k, cols); [k, cols] = [cols, k]; }
      if (n.input[2]) {
        const c = inits.get(n.input[2]);
        if (!c || c.dataType !== DataType.FLOAT || c.dims.length !== 1 || Number(c.dims[0]) !== cols) continue;
        bias = tensorFloats(c);
      }
    } else {
      // MatMul -> Add(bias): fold a 1-D bias initializer of width N (either operand order).
      const users = consumers.get(output) ?? [];
      const add = users.length === 1 && users[0]!.opType === 'Add' && !graphOutputs.has(output) ? users[0]! : undefined;
      const other = add ? add.input.find((i) => i !== output) : undefined;
      const b = other ? inits.get(other) : undefined;
      if (add && b && b.dataType === DataType.FLOAT && b.dims.length === 1 && Number(b.dims[0]) === cols && add.input.length === 2) {
        bias = tensorFloats(b);
        output = add.output[0]!;
        drop.add(add);
      }
    }
    const { q, scales } = quantizeMatrix(data, k, cols, perChannel, qmax);
    const qName = names.fresh(`${w.name}_int8`);
    const sName = names.fresh(`${w.name}_scale`);
    const zName = names.fresh(`${w.name}_zero_point`);
    added.push(makeTensor(qName, DataType.INT8, [k, cols], q), floatTensor(sName, [scales.length], scales), makeTensor(zName, DataType.INT8, [scales.length], new Int8Array(scales.length)));
    const inputs = [n.input[0]!, qName, sName, zName];
    if (bias) {
      const bName = names.fresh(`${w.name}_bias`);
      added.push(floatTensor(bName, [cols], bias));
      inputs.push(bName);
    }
    const node = makeNode('DynamicQuantizeMatMul', inputs, [output], {}, names.fresh(`${n.name || w.name}_dq_int8`));
    node.domain = 'com.microsoft';
    replaced.set(n, node);
    quantized++;
    weightBytes += k * cols * 4;
  }
  g.node = g.node.filter((n) => !drop.has(n)).map((n) => replaced.get(n) ?? n);
  g.initializer.push(...added);
  // Drop initializers no node reads any more (the float weights, folded biases).
  const used = new Set([...g.node.flatMap((n) => n.input), ...g.output.map((o) => o.name)]);
  const dropped = new Set(g.initializer.filter((t) => !used.has(t.name)).map((t) => t.name));
  g.initializer = g.initializer.filter((t) => !dropped.has(t.name));
  g.input = g.input.filter((v) => !dropped.has(v.name)); // old-IR models list initializers among the inputs
  if (quantized > 0 && !model.opsetImport.some((o) => o.domain === 'com.microsoft')) {
    model.opsetImport.push(create(OperatorSetIdProtoSchema, { domain: 'com.microsoft', version: 1n }));
  }
  return { model, quantized, weightBytes };
}
