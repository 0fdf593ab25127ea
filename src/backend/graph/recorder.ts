/**
 * Records one eager training step as a TensorFlow graph. Every eager kernel of tfjs-node goes through the
 * binding's `executeOp`, so wrapping it (and `createTensor`, `tensorDataSync`) while the step runs yields the
 * whole step - forward, tfjs's gradient kernels and the optimiser update - as nodes. The step stays functional:
 *  - the data inputs (batch, teacher features) become Placeholders `in_k`;
 *  - every tf.Variable the step reads becomes a Placeholder `var_k`, and every variable it re-assigns
 *    (parameters, AdamW moments, step counter, BatchNorm statistics) becomes an output, so the caller feeds
 *    the current values in and swaps the new ones into the variables after each run;
 *  - tensors created on the host inside the step (scalars, shapes, axes) become Const nodes;
 *  - a host read inside the step (dataSync/data/arraySync) means the step depends on data: the trace is invalid.
 * The traced step itself ran eagerly and is a real step: its results are returned as usual.
 *
 * With `bf16`, the recorded graph (not the eager step) runs the compute-bound kernels - convolutions and their
 * gradients, matmuls - in bfloat16: each such node gets Cast-to-bf16 nodes on its float inputs, T = bfloat16,
 * and a Cast back to float32 on its output, so everything between them (BatchNorm and its statistics, the loss
 * reductions, AdamW, the master weights) stays float32, as PyTorch's autocast does. Kernels recorded inside
 * `fullPrecision` (src/backend/precision.ts) keep float32. TensorFlow's oneDNN layout pass maps the bf16
 * Conv2D / MatMul nodes to its AMX / AVX512-BF16 primitives (without oneDNN they run in Eigen, emulated).
 */
import { tf } from '../index.js';
import { inFullPrecision } from '../precision.js';
import type { NativeBackend, NativeBinding, OpAttr, TensorMetadata } from './native.js';
import { DT, type AttrValue, type ConstTensor, type GraphNode } from './saved-model.js';

/** Kernels a bf16 step runs in bfloat16 (all compute-bound; TensorFlow has bf16 CPU kernels for each). */
export const BF16_OPS: ReadonlySet<string> = new Set([
  'Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter',
  'DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter',
  'MatMul', 'BatchMatMul', 'BatchMatMulV2', 'BatchMatMulV3',
]);

export interface TraceOptions {
  /** Write the BF16_OPS kernels as bfloat16 nodes between casts (the eager step itself stays float32). */
  bf16?: boolean;
}

export interface StepTrace {
  nodes: GraphNode[];
  /** Placeholder names of the data inputs, in the order the caller passes them. */
  dataInputs: string[];
  /** Variables the step reads, with their placeholder names (fed with the variables' values each run). */
  stateInputs: Array<{ variable: tf.Variable; name: string }>;
  /** Variables the step re-assigns, with the graph endpoint of their new value. */
  stateOutputs: Array<{ variable: tf.Variable; endpoint: string }>;
  /** Endpoints of the step's returned tensors. */
  resultEndpoints: string[];
  /** Number of recorded kernels. */
  kernels: number;
  /** Kernels written as bfloat16 nodes (0 unless traced with `bf16`). */
  bf16Kernels: number;
}

export type TraceOutcome<R> = { trace: StepTrace; results: R } | { reason: string; results: R };

function bytesOf(buffer: ArrayBufferView): Uint8Array {
  return new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
}

function attrValue(a: OpAttr, b: NativeBinding): AttrValue {
  const v = a.value;
  const list = Array.isArray(v);
  switch (a.type) {
    case b.TF_ATTR_STRING: return list ? { list: { s: v as string[] } } : { s: String(v) };
    case b.TF_ATTR_INT: return list ? { list: { i: v as number[] } } : { i: v as number };
    case b.TF_ATTR_FLOAT: return list ? { list: { f: v as number[] } } : { f: v as number };
    case b.TF_ATTR_BOOL: return list ? { list: { b: v as boolean[] } } : { b: v as boolean };
    case b.TF_ATTR_TYPE: return list ? { list: { type: v as number[] } } : { type: v as number };
    case b.TF_ATTR_SHAPE: return { shape: v as number[] };
    default: throw new TraceError(`attribute '${a.name}' has a type (${a.type}) the graph writer does not handle`);
  }
}

class TraceError extends Error {}

/**
 * Type attributes that some tfjs-node kernels leave to eager TensorFlow's inference from the inputs (they pass
 * no attrs at all); a GraphDef needs them spelled out. op -> [attr, index of the input whose dtype it is].
 */
const INFERRED_TYPE_ATTRS: Record<string, Array<[string, number]>> = {
  ExpandDims: [['T', 0], ['Tdim', 1]],
};

/**
 * Runs `step` eagerly while recording it. `data` are the step's per-call inputs (already created); `step`
 * returns the tensors the caller wants back each run (kept by the caller).
 */
export function traceStep<R extends tf.Tensor[]>(backend: NativeBackend, data: tf.Tensor[], step: () => R, opts: TraceOptions = {}): TraceOutcome<R> {
  const binding = backend.binding;
  const original = { executeOp: binding.executeOp, createTensor: binding.createTensor, tensorDataSync: binding.tensorDataSync };
  const nodes: GraphNode[] = [];
  const endpoint = new Map<number, string>();
  const dtypeOf = new Map<number, number>();
  let failure: string | undefined;
  let lastOp = '(none)';
  let kernels = 0;
  let bf16Kernels = 0;

  const idOf = (t: tf.Tensor) => backend.getInputTensorIds([t])[0]!;
  // Every live variable, by the binding id of its current value.
  const variables = Object.values(tf.engine().state.registeredVariables) as tf.Variable[];
  const variableById = new Map<number, tf.Variable>();
  const idBefore = new Map<tf.Variable, number>();
  for (const v of variables) {
    const id = idOf(v);
    variableById.set(id, v);
    idBefore.set(v, id);
  }
  const placeholder = (name: string, t: { dtype: number; shape: number[] }) => {
    nodes.push({ name, op: 'Placeholder', inputs: [], attrs: { dtype: { type: t.dtype }, shape: { shape: t.shape } } });
  };
  const dataInputs = data.map((t, k) => {
    const id = idOf(t);
    const info = backend.tensorMap.get(t.dataId)!;
    const name = `in_${k}`;
    placeholder(name, { dtype: info.dtype, shape: t.shape.slice() });
    endpoint.set(id, name);
    dtypeOf.set(id, info.dtype);
    return name;
  });
  const stateInputs: StepTrace['stateInputs'] = [];

  const addConst = (id: number, dtype: number, shape: number[], content: Uint8Array) => {
    if (dtype === binding.TF_STRING || dtype === binding.TF_RESOURCE) throw new TraceError('a string/resource tensor entered the step');
    const name = `c_${id}`;
    const tensor: ConstTensor = { dtype, shape, content };
    nodes.push({ name, op: 'Const', inputs: [], attrs: { dtype: { type: dtype }, value: { tensor } } });
    endpoint.set(id, name);
    dtypeOf.set(id, dtype);
    return name;
  };
  const resolve = (id: number): string => {
    const known = endpoint.get(id);
    if (known) return known;
    const v = variableById.get(id);
    if (v) {
      const info = backend.tensorMap.get(v.dataId)!;
      const name = `var_${stateInputs.length}`;
      placeholder(name, { dtype: info.dtype, shape: v.shape.slice() });
      stateInputs.push({ variable: v, name });
      endpoint.set(id, name);
      return name;
    }
    // A tensor made before the step that is neither a variable nor a data input: a constant of the step
    // (a fixed projection, a cached mask). Reading it here is the recorder's own read, not the step's.
    const t = seen.get(id);
    if (!t) throw new TraceError(`an input of a kernel after ${lastOp} did not come through the backend, so its shape is unknown`);
    return addConst(id, t.dtype, t.shape, bytesOf(original.tensorDataSync.call(binding, id)));
  };

  // Shapes and dtypes of every tensor handed to a kernel, for constants captured from before the step.
  const seen = new Map<number, { dtype: number; shape: number[] }>();
  const getInputTensorIds = backend.getInputTensorIds;
  const ownGetter = Object.prototype.hasOwnProperty.call(backend, 'getInputTensorIds');
  backend.getInputTensorIds = function (tensors: tf.Tensor[]): number[] {
    const ids = getInputTensorIds.call(backend, tensors);
    tensors.forEach((t, k) => {
      const info = backend.tensorMap.get(t.dataId);
      if (info) seen.set(ids[k]!, { dtype: info.dtype, shape: t.shape.slice() });
    });
    return ids;
  };
  // The binding's own functions are read-only: the backend gets a stand-in that wraps them for the trace.
  const traced = Object.create(binding) as NativeBinding;
  const wrap = <K extends keyof NativeBinding>(k: K, f: NativeBinding[K]) => Object.defineProperty(traced, k, { value: f });
  wrap('executeOp', function (name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): TensorMetadata[] {
    let inputs: string[] = [];
    if (!failure) {
      try {
        inputs = inputIds.map(resolve);
      } catch (e) {
        failure = (e as Error).message;
      }
    }
    const out = original.executeOp.call(binding, name, attrs, inputIds, numOutputs);
    kernels += 1;
    lastOp = name;
    if (!failure) {
      try {
        const node = `n${nodes.length}`;
        const nodeAttrs: Record<string, AttrValue> = {};
        for (const a of attrs) nodeAttrs[a.name] = attrValue(a, binding);
        for (const [attr, k] of INFERRED_TYPE_ATTRS[name] ?? []) {
          const dtype = dtypeOf.get(inputIds[k]!) ?? seen.get(inputIds[k]!)?.dtype;
          if (nodeAttrs[attr] === undefined && dtype !== undefined) nodeAttrs[attr] = { type: dtype };
        }
        const lowered = opts.bf16 && BF16_OPS.has(name) && !inFullPrecision() && (nodeAttrs.T as { type?: number } | undefined)?.type === DT.float
          && out.length === 1 && out[0]!.dtype === DT.float;
        if (lowered) {
          // Float inputs through a Cast to bf16 (shape operands such as Conv2DBackpropInput's input_sizes stay).
          const cast = (from: number, to: number) => ({ SrcT: { type: from }, DstT: { type: to }, Truncate: { b: false } });
          inputs = inputs.map((inp, k) => {
            const dtype = dtypeOf.get(inputIds[k]!) ?? seen.get(inputIds[k]!)?.dtype;
            if (dtype !== DT.float) return inp;
            const c = `${node}_bf16_${k}`;
            nodes.push({ name: c, op: 'Cast', inputs: [inp], attrs: cast(DT.float, DT.bfloat16) });
            return c;
          });
          nodeAttrs.T = { type: DT.bfloat16 };
          nodes.push({ name: node, op: name, inputs, attrs: nodeAttrs });
          nodes.push({ name: `${node}_f32`, op: 'Cast', inputs: [node], attrs: cast(DT.bfloat16, DT.float) });
          endpoint.set(out[0]!.id, `${node}_f32:0`);
          dtypeOf.set(out[0]!.id, out[0]!.dtype);
          bf16Kernels += 1;
        } else {
          nodes.push({ name: node, op: name, inputs, attrs: nodeAttrs });
          out.forEach((m, j) => { endpoint.set(m.id, `${node}:${j}`); dtypeOf.set(m.id, m.dtype); });
        }
      } catch (e) {
        failure = (e as Error).message;
      }
    }
    return out;
  });
  wrap('createTensor', function (shape: number[], dtype: number, buffer: ArrayBufferView): number {
    const id = original.createTensor.call(binding, shape, dtype, buffer);
    if (!failure) {
      try { addConst(id, dtype, shape.slice(), bytesOf(buffer)); } catch (e) { failure = (e as Error).message; }
    }
    return id;
  });
  wrap('tensorDataSync', function (id: number) {
    failure ??= `the step reads a tensor on the host (after ${lastOp}), so it depends on data and cannot be one graph`;
    return original.tensorDataSync.call(binding, id);
  });

  let results: R;
  backend.binding = traced;
  try {
    results = step();
  } finally {
    backend.binding = binding;
    if (ownGetter) backend.getInputTensorIds = getInputTensorIds;
    else delete (backend as Partial<NativeBackend>).getInputTensorIds;
  }
  if (failure) return { reason: failure, results };

  const created = (Object.values(tf.engine().state.registeredVariables) as tf.Variable[]).filter((v) => !idBefore.has(v));
  if (created.length) return { reason: `the step creates variables (${created[0]!.name}), so a recording of it would not own them`, results };
  const stateOutputs: StepTrace['stateOutputs'] = [];
  for (const v of variables) {
    if (v.isDisposed) continue;
    const info = backend.tensorMap.get(v.dataId);
    if (!info) continue;
    // Values still on the host: assigned from a host-made tensor inside the step (all were made native before it).
    if (info.values != null) return { reason: `variable '${v.name}' is set from host values inside the step`, results };
    if (info.id === idBefore.get(v)) continue; // unchanged
    const ep = endpoint.get(info.id);
    if (!ep) return { reason: `variable '${v.name}' was set to a tensor made outside the step`, results };
    stateOutputs.push({ variable: v, endpoint: ep });
  }
  const resultEndpoints: string[] = [];
  for (const r of results) {
    const ep = endpoint.get(idOf(r));
    if (!ep) return { reason: 'a result of the step was not computed inside it', results };
    resultEndpoints.push(ep);
  }
  return { trace: { nodes, dataInputs, stateInputs, stateOutputs, resultEndpoints, kernels, bf16Kernels }, results };
}
