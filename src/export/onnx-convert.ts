/**
 * TF.js LayersModel -> ONNX (opset 17), written by tintem itself. The functional graph is walked from the model's
 * outputs back to its input, node by node (a layer applied twice, such as the ViT's shared projection, is
 * converted per application), and each layer class maps to a few ONNX ops with TF.js's own semantics.
 *
 * Layout: the ONNX input is NHWC like the TF.js model. 4-D values move to NCHW once, at the first layer that
 * wants it (Conv, pooling), and stay there through BatchNorm, activations, Add and Concatenate, so a CNN has one
 * Transpose at the input; a value goes back to NHWC only where a layer needs TF.js's layout (Reshape, Dense).
 * An unsupported layer class is a one-line UserError naming it.
 */
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import {
  DataType, floatTensor, int64Tensor, makeModel, makeNode, makeValueInfo, NameScope,
  type AttrValue, type ModelProto, type NodeProto, type TensorProto,
} from '../onnx/index.js';

export const ONNX_INPUT = 'image';
export const ONNX_POOLED = 'pooled';
export const ONNX_TOKENS = 'tokens';

type Shape = Array<number | null>;
type Layout = 'tf' | 'nchw';
interface Val { name: string; layout: Layout; shape: Shape }

interface SymTensor { id: number; shape: Shape; sourceLayer: tf.layers.Layer; nodeIndex: number; tensorIndex: number }
interface LayerNode { inputTensors: SymTensor[]; outputTensors: SymTensor[] }

/** Layer classes the converter maps (docs and the error message list them). */
export const SUPPORTED_LAYERS = [
  'InputLayer', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'Dense', 'Activation', 'ReLU', 'LeakyReLU',
  'Add', 'Multiply', 'Subtract', 'Maximum', 'Minimum', 'Average', 'Concatenate', 'GlobalAveragePooling2D',
  'GlobalMaxPooling2D', 'MaxPooling2D', 'AveragePooling2D', 'ZeroPadding2D', 'Reshape', 'Flatten', 'Rescaling',
  'LayerNormalization', 'Dropout', 'SpatialDropout2D', 'Permute', 'Softmax', 'Dot', 'TintemLayerNorm', 'TintemClassTokenPosition',
  'TintemMultiHeadSelfAttention', 'TintemTokenSlice',
] as const;

export interface ConvertOptions {
  /** Outputs to keep, in order (default: all of the model's outputs, named pooled and tokens). */
  outputs?: number;
  /** model.metadata_props. */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** TF axis of a rank-4 NHWC value -> its axis in NCHW. */
const NCHW_AXIS = [0, 2, 3, 1];

function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  throw new UserError(`onnx export: ${what} ${JSON.stringify(v)} is not a number or a pair`);
}

/** ONNX pads [top, left, bottom, right] for TF's 'same' / 'valid' on a known input size. */
function tfPads(padding: string, size: [number, number], kernel: [number, number], strides: [number, number], dilation: [number, number], layer: string): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') throw new UserError(`onnx export: layer ${layer}: padding '${padding}' is not supported (same, valid)`);
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < 2; i++) {
    const out = Math.ceil(size[i]! / strides[i]!);
    const total = Math.max((out - 1) * strides[i]! + (kernel[i]! - 1) * dilation[i]! + 1 - size[i]!, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

class Converter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly names = new NameScope([ONNX_INPUT, ONNX_POOLED, ONNX_TOKENS]);
  private readonly memo = new Map<number, Val>();
  private readonly transposed = new Map<string, Val>();
  private readonly scalars = new Map<string, string>();
  private layerName = '';

  constructor(private readonly inputTensor: SymTensor) {}

  // ---- helpers --------------------------------------------------------------------------------------------------
  private node(op: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, base = op): string {
    const out = this.names.fresh(`${this.layerName}/${base}`);
    this.nodes.push(makeNode(op, inputs, [out], attrs, this.names.fresh(`${this.layerName}/${op}_node`)));
    return out;
  }

  private init(base: string, dims: number[], data: Float32Array | number[]): string {
    const name = this.names.fresh(`${this.layerName}/${base}`);
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  private ints(base: string, values: number[], scalar = false): string {
    const name = this.names.fresh(`${this.layerName}/${base}`);
    this.initializers.push(int64Tensor(name, scalar ? [] : [values.length], values));
    return name;
  }

  private scalar(value: number): string {
    const key = String(value);
    let name = this.scalars.get(key);
    if (!name) {
      name = this.names.fresh(`const_${key}`);
      this.initializers.push(floatTensor(name, [], [value]));
      this.scalars.set(key, name);
    }
    return name;
  }

  private toTf(v: Val): Val {
    if (v.layout === 'tf') return v;
    const key = `tf:${v.name}`;
    let out = this.transposed.get(key);
    if (!out) {
      out = { name: this.node('Transpose', [v.name], { perm: NCHW_TO_NHWC }, 'to_nhwc'), layout: 'tf', shape: v.shape };
      this.transposed.set(key, out);
    }
    return out;
  }

  private toNchw(v: Val): Val {
    if (v.layout === 'nchw') return v;
    if (v.shape.length !== 4) throw new UserError(`onnx export: layer ${this.layerName} needs a 4-D image map, got shape ${JSON.stringify(v.shape)}`);
    const key = `nchw:${v.name}`;
    let out = this.transposed.get(key);
    if (!out) {
      out = { name: this.node('Transpose', [v.name], { perm: NHWC_TO_NCHW }, 'to_nchw'), layout: 'nchw', shape: v.shape };
      this.transposed.set(key, out);
    }
    return out;
  }

  private weights(layer: tf.layers.Layer): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const w of layer.weights) {
      const full = (w as unknown as { originalName?: string }).originalName ?? w.name;
      const key = full.startsWith(`${layer.name}/`) ? full.slice(layer.name.length + 1) : full.split('/').pop()!;
      out.set(key.replace(/_\d+$/, ''), { shape: w.shape as number[], data: w.read().dataSync() as Float32Array });
    }
    return out;
  }

  private need(ws: Map<string, { shape: number[]; data: Float32Array }>, key: string): { shape: number[]; data: Float32Array } {
    const w = ws.get(key);
    if (!w) throw new UserError(`onnx export: layer ${this.layerName} has no weight '${key}' (has: ${[...ws.keys()].join(', ')})`);
    return w;
  }

  /** A TF.js activation by its config name. */
  private activation(v: Val, act: unknown): Val {
    const name = typeof act === 'string' ? act : 'linear';
    const x = v.name;
    const keep = (out: string): Val => ({ name: out, layout: v.layout, shape: v.shape });
    switch (name) {
      case 'linear': return v;
      case 'relu': return keep(this.node('Relu', [x]));
      case 'relu6': return keep(this.node('Clip', [x, this.scalar(0), this.scalar(6)], {}, 'Relu6'));
      case 'sigmoid': return keep(this.node('Sigmoid', [x]));
      case 'tanh': return keep(this.node('Tanh', [x]));
      case 'softplus': return keep(this.node('Softplus', [x]));
      case 'hardSigmoid': return keep(this.node('HardSigmoid', [x], { alpha: { f: 0.2 }, beta: { f: 0.5 } }));
      case 'elu': return keep(this.node('Elu', [x], { alpha: { f: 1 } }));
      case 'selu': return keep(this.node('Selu', [x]));
      case 'swish': return keep(this.node('Mul', [x, this.node('Sigmoid', [x])], {}, 'swish'));
      case 'gelu': {
        // 0.5 x (1 + erf(x / sqrt 2)), as tfjs-layers' Gelu
        const erf = this.node('Erf', [this.node('Div', [x, this.scalar(Math.SQRT2)])]);
        return keep(this.node('Mul', [this.node('Mul', [x, this.node('Add', [erf, this.scalar(1)])]), this.scalar(0.5)], {}, 'gelu'));
      }
      case 'gelu_new': {
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as tfjs-layers' GeluNew
        const cube = this.node('Mul', [this.node('Mul', [x, x]), x]);
        const inner = this.node('Mul', [this.node('Add', [x, this.node('Mul', [cube, this.scalar(0.044715)])]), this.scalar(Math.sqrt(2 / Math.PI))]);
        const t = this.node('Add', [this.node('Tanh', [inner]), this.scalar(1)]);
        return keep(this.node('Mul', [this.node('Mul', [x, t]), this.scalar(0.5)], {}, 'gelu_tanh'));
      }
      case 'softmax': {
        const tfv = this.toTf(v);
        return { name: this.node('Softmax', [tfv.name], { axis: -1 }), layout: 'tf', shape: v.shape };
      }
      default: throw new UserError(`onnx export: layer ${this.layerName}: activation '${name}' is not supported (linear, relu, relu6, sigmoid, tanh, softplus, hardSigmoid, elu, selu, swish, gelu, gelu_new, softmax)`);
    }
  }

  // ---- graph walk -----------------------------------------------------------------------------------------------
  value(t: SymTensor): Val {
    const done = this.memo.get(t.id);
    if (done) return done;
    if (t === this.inputTensor || t.sourceLayer.getClassName() === 'InputLayer') {
      if (t.id !== this.inputTensor.id) throw new UserError('onnx export: the model has more than one input');
      const v: Val = { name: ONNX_INPUT, layout: 'tf', shape: t.shape };
      this.memo.set(t.id, v);
      return v;
    }
    const node = (t.sourceLayer as unknown as { inboundNodes: LayerNode[] }).inboundNodes[t.nodeIndex]!;
    const inputs = node.inputTensors.map((i) => this.value(i));
    this.layerName = t.sourceLayer.name;
    const outs = this.convertLayer(t.sourceLayer, inputs, node.outputTensors.map((o) => o.shape));
    node.outputTensors.forEach((o, i) => this.memo.set(o.id, outs[i]!));
    return this.memo.get(t.id)!;
  }

  private convertLayer(layer: tf.layers.Layer, inputs: Val[], outShapes: Shape[]): Val[] {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    const x = inputs[0]!;
    const outShape = outShapes[0]!;
    const one = (name: string, layout: Layout): Val[] => [{ name, layout, shape: outShape }];
    if (typeof cfg.dataFormat === 'string' && cfg.dataFormat !== 'channelsLast') {
      throw new UserError(`onnx export: layer ${layer.name} (${cls}): dataFormat '${cfg.dataFormat}' is not supported (channelsLast)`);
    }
    switch (cls) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const ws = this.weights(layer);
        const depthwise = cls === 'DepthwiseConv2D';
        const kernel = this.need(ws, depthwise ? 'depthwise_kernel' : 'kernel');
        const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
        const strides = pair(cfg.strides ?? 1, 'strides');
        const dilation = pair(cfg.dilationRate ?? 1, 'dilationRate');
        const pads = tfPads(String(cfg.padding ?? 'valid'), [x.shape[1]!, x.shape[2]!], [kh, kw], strides, dilation, layer.name);
        // [kh, kw, in, out] -> [out, in, kh, kw]; depthwise [kh, kw, C, m] -> [C*m, 1, kh, kw] (out channel c*m + j)
        const outCh = depthwise ? cin * cout : cout;
        const inCh = depthwise ? 1 : cin;
        const w = new Float32Array(outCh * inCh * kh * kw);
        for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) {
          const src = kernel.data[((i * kw + j) * cin + c) * cout + o]!;
          const [oc, ic] = depthwise ? [c * cout + o, 0] : [o, c];
          w[((oc * inCh + ic) * kh + i) * kw + j] = src;
        }
        const convInputs = [this.toNchw(x).name, this.init('W', [outCh, inCh, kh, kw], w)];
        const bias = ws.get('bias');
        if (bias) convInputs.push(this.init('B', [outCh], bias.data));
        const y = this.node('Conv', convInputs, {
          kernel_shape: [kh, kw], strides: [...strides], dilations: [...dilation], pads, group: depthwise ? cin : 1,
        });
        return [this.activation({ name: y, layout: 'nchw', shape: outShape }, cfg.activation)];
      }
      case 'BatchNormalization': {
        const axis = Number(cfg.axis ?? -1);
        if (axis !== -1 && axis !== x.shape.length - 1) throw new UserError(`onnx export: layer ${layer.name}: BatchNormalization over axis ${axis} is not supported (the last axis)`);
        const ws = this.weights(layer);
        const mean = this.need(ws, 'moving_mean').data;
        const variance = this.need(ws, 'moving_variance').data;
        const c = mean.length;
        const gamma = ws.get('gamma')?.data ?? new Float32Array(c).fill(1);
        const beta = ws.get('beta')?.data ?? new Float32Array(c);
        const eps = Number(cfg.epsilon ?? 1e-3);
        if (x.layout === 'nchw' || x.shape.length === 4) {
          const y = this.node('BatchNormalization', [this.toNchw(x).name, this.init('scale', [c], gamma), this.init('B', [c], beta), this.init('mean', [c], mean), this.init('var', [c], variance)], { epsilon: { f: eps } });
          return one(y, 'nchw');
        }
        const scale = new Float32Array(c);
        const shift = new Float32Array(c);
        for (let i = 0; i < c; i++) {
          scale[i] = gamma[i]! / Math.sqrt(variance[i]! + eps);
          shift[i] = beta[i]! - mean[i]! * scale[i]!;
        }
        return one(this.node('Add', [this.node('Mul', [x.name, this.init('scale', [c], scale)]), this.init('shift', [c], shift)], {}, 'batchnorm'), 'tf');
      }
      case 'Dense': {
        const ws = this.weights(layer);
        const kernel = this.need(ws, 'kernel');
        const xt = this.toTf(x);
        let y = this.node('MatMul', [xt.name, this.init('W', kernel.shape, kernel.data)]);
        const bias = ws.get('bias');
        if (bias) y = this.node('Add', [y, this.init('B', bias.shape, bias.data)], {}, 'bias');
        return [this.activation({ name: y, layout: 'tf', shape: outShape }, cfg.activation)];
      }
      case 'Activation': return [this.activation(x, cfg.activation)];
      case 'ReLU': {
        const max = cfg.maxValue;
        if (max === null || max === undefined) return one(this.node('Relu', [x.name]), x.layout);
        return one(this.node('Clip', [x.name, this.scalar(0), this.scalar(Number(max))], {}, 'relu_max'), x.layout);
      }
      case 'LeakyReLU': return one(this.node('LeakyRelu', [x.name], { alpha: { f: Number(cfg.alpha ?? 0.3) } }), x.layout);
      case 'Rescaling': {
        let y = this.node('Mul', [x.name, this.scalar(Number(cfg.scale ?? 1))], {}, 'scale');
        if (Number(cfg.offset ?? 0) !== 0) y = this.node('Add', [y, this.scalar(Number(cfg.offset))], {}, 'offset');
        return one(y, x.layout);
      }
      case 'Add': case 'Multiply': case 'Subtract': case 'Maximum': case 'Minimum': case 'Average': {
        // 4-D maps meet in NCHW when any of them is there (a squeeze-excite [B,1,1,C] gate moves cheaply).
        const nchw = inputs.some((i) => i.layout === 'nchw') && inputs.every((i) => i.shape.length === 4);
        const same = nchw ? inputs.map((i) => this.toNchw(i)) : inputs.map((i) => this.toTf(i));
        const op = { Add: 'Add', Multiply: 'Mul', Subtract: 'Sub', Maximum: 'Max', Minimum: 'Min', Average: 'Sum' }[cls];
        let y: string;
        if (op === 'Sub' || op === 'Max' || op === 'Min' || op === 'Sum') y = this.node(op, same.map((i) => i.name));
        else {
          y = same[0]!.name;
          for (const other of same.slice(1)) y = this.node(op, [y, other.name]);
        }
        if (cls === 'Average') y = this.node('Mul', [y, this.scalar(1 / inputs.length)], {}, 'average');
        return one(y, same[0]!.layout);
      }
      case 'Concatenate': {
        const rank = x.shape.length;
        let axis = Number(cfg.axis ?? -1);
        if (axis < 0) axis += rank;
        const same = rank === 4 && inputs.every((i) => i.layout === 'nchw') ? inputs : inputs.map((i) => this.toTf(i));
        const onnxAxis = same[0]!.layout === 'nchw' ? NCHW_AXIS[axis]! : axis;
        return one(this.node('Concat', same.map((i) => i.name), { axis: onnxAxis }), same[0]!.layout);
      }
      case 'GlobalAveragePooling2D': case 'GlobalMaxPooling2D': {
        const keep = cfg.keepDims === true;
        const op = cls === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool';
        const pooled = this.node(op, [this.toNchw(x).name]); // B x C x 1 x 1
        if (keep) return one(pooled, 'nchw');
        return one(this.node('Flatten', [pooled], { axis: 1 }), 'tf');
      }
      case 'MaxPooling2D': case 'AveragePooling2D': {
        const kernel = pair(cfg.poolSize ?? 2, 'poolSize');
        const strides = pair(cfg.strides ?? kernel, 'strides');
        const pads = tfPads(String(cfg.padding ?? 'valid'), [x.shape[1]!, x.shape[2]!], kernel, strides, [1, 1], layer.name);
        const max = cls === 'MaxPooling2D';
        return one(this.node(max ? 'MaxPool' : 'AveragePool', [this.toNchw(x).name], {
          kernel_shape: kernel, strides, pads, ...(max ? {} : { count_include_pad: 0 }),
        }), 'nchw');
      }
      case 'ZeroPadding2D': {
        const p = cfg.padding;
        const [[top, bottom], [left, right]] = Array.isArray(p) && Array.isArray(p[0])
          ? (p as [[number, number], [number, number]])
          : [pair(Array.isArray(p) ? p[0] : p, 'padding'), pair(Array.isArray(p) ? p[1] : p, 'padding')].map((v) => v) as [[number, number], [number, number]];
        const v = this.toNchw(x);
        return one(this.node('Pad', [v.name, this.ints('pads', [0, 0, top, left, 0, 0, bottom, right])]), 'nchw');
      }
      case 'Reshape': {
        const target = cfg.targetShape as number[];
        return one(this.node('Reshape', [this.toTf(x).name, this.ints('shape', [0, ...target])]), 'tf');
      }
      case 'Flatten': return one(this.node('Flatten', [this.toTf(x).name], { axis: 1 }), 'tf');
      case 'Permute': {
        const dims = cfg.dims as number[];
        return one(this.node('Transpose', [this.toTf(x).name], { perm: [0, ...dims] }), 'tf');
      }
      case 'Softmax': {
        const axis = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
        if (axis.length !== 1) throw new UserError(`onnx export: layer ${layer.name}: Softmax over several axes is not supported`);
        return one(this.node('Softmax', [this.toTf(x).name], { axis: Number(axis[0]) }), 'tf');
      }
      case 'Dot': {
        // tfjs batchDot of two rank-3 values over the given axes (normalize: l2 along them first)
        if (inputs.length !== 2 || inputs.some((i) => i.shape.length !== 3)) throw new UserError(`onnx export: layer ${layer.name}: Dot is supported on two rank-3 inputs`);
        const raw = Array.isArray(cfg.axes) ? (cfg.axes as number[]) : [Number(cfg.axes), Number(cfg.axes)];
        const axes = raw.map((a) => (a < 0 ? a + 3 : a));
        if (axes.some((a) => a !== 1 && a !== 2)) throw new UserError(`onnx export: layer ${layer.name}: Dot over axes ${JSON.stringify(cfg.axes)} is not supported (1 or 2)`);
        let [a, b] = inputs.map((i) => this.toTf(i).name) as [string, string];
        if (cfg.normalize) {
          a = this.node('LpNormalization', [a], { axis: axes[0]!, p: 2 }, 'l2_a');
          b = this.node('LpNormalization', [b], { axis: axes[1]!, p: 2 }, 'l2_b');
        }
        // contract a's axis a0 with b's axis a1: a [B, M, K] . b [B, K, N]
        const left = axes[0] === 2 ? a : this.node('Transpose', [a], { perm: [0, 2, 1] }, 'dot_a_t');
        const right = axes[1] === 1 ? b : this.node('Transpose', [b], { perm: [0, 2, 1] }, 'dot_b_t');
        return one(this.node('MatMul', [left, right], {}, 'dot'), 'tf');
      }
      case 'Dropout': case 'SpatialDropout2D': case 'SpatialDropout1D': case 'GaussianNoise': case 'GaussianDropout':
        return [x];
      case 'LayerNormalization': case 'TintemLayerNorm': {
        const axis = cfg.axis ?? -1;
        const axes = Array.isArray(axis) ? axis : [axis];
        if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== x.shape.length - 1)) throw new UserError(`onnx export: layer ${layer.name}: LayerNormalization over axis ${JSON.stringify(axis)} is not supported (the last axis)`);
        const ws = this.weights(layer);
        const width = x.shape[x.shape.length - 1]!;
        const gamma = ws.get('gamma')?.data ?? new Float32Array(width).fill(1);
        const beta = ws.get('beta')?.data ?? new Float32Array(width);
        const eps = Number(cfg.epsilon ?? (cls === 'TintemLayerNorm' ? 1e-6 : 1e-3));
        const xt = this.toTf(x);
        return one(this.node('LayerNormalization', [xt.name, this.init('gamma', [width], gamma), this.init('beta', [width], beta)], { axis: -1, epsilon: { f: eps } }), 'tf');
      }
      case 'TintemClassTokenPosition': {
        const ws = this.weights(layer);
        const cls_ = this.need(ws, 'cls_token');
        const pos = this.need(ws, 'pos_embedding');
        const xt = this.toTf(x);
        const width = cls_.shape[2]!;
        // [B, 1, W]: the class token broadcast over the batch
        const batch = this.node('Slice', [this.node('Shape', [xt.name]), this.ints('start', [0]), this.ints('end', [1])], {}, 'batch');
        const shape = this.node('Concat', [batch, this.ints('one_width', [1, width])], { axis: 0 }, 'cls_shape');
        const tokens = this.node('Expand', [this.init('cls_token', cls_.shape, cls_.data), shape], {}, 'cls');
        const seq = this.node('Concat', [tokens, xt.name], { axis: 1 });
        return one(this.node('Add', [seq, this.init('pos_embedding', pos.shape, pos.data)], {}, 'with_pos'), 'tf');
      }
      case 'TintemMultiHeadSelfAttention': {
        const ws = this.weights(layer);
        const heads = Number(cfg.numHeads);
        const width = x.shape[2]!;
        const hd = width / heads;
        const xt = this.toTf(x).name;
        const qkvK = this.need(ws, 'qkv/kernel');
        const qkvB = this.need(ws, 'qkv/bias');
        const projK = this.need(ws, 'proj/kernel');
        const projB = this.need(ws, 'proj/bias');
        const qkv = this.node('Add', [this.node('MatMul', [xt, this.init('qkv_W', qkvK.shape, qkvK.data)], {}, 'qkv_mm'), this.init('qkv_B', qkvB.shape, qkvB.data)], {}, 'qkv');
        const split = this.node('Transpose', [this.node('Reshape', [qkv, this.ints('qkv_shape', [0, 0, 3, heads, hd])])], { perm: [2, 0, 3, 1, 4] }, 'qkv_heads');
        const pick = (i: number, n: string) => this.node('Gather', [split, this.ints(`${n}_index`, [i], true)], { axis: 0 }, n);
        const [q, k, v] = [pick(0, 'q'), pick(1, 'k'), pick(2, 'v')];
        const scores = this.node('Mul', [this.node('MatMul', [q, this.node('Transpose', [k], { perm: [0, 1, 3, 2] }, 'k_t')], {}, 'qk'), this.scalar(1 / Math.sqrt(hd))], {}, 'scores');
        const attended = this.node('MatMul', [this.node('Softmax', [scores], { axis: -1 }), v], {}, 'attended');
        const merged = this.node('Reshape', [this.node('Transpose', [attended], { perm: [0, 2, 1, 3] }), this.ints('merge_shape', [0, 0, width])], {}, 'merged');
        const out = this.node('Add', [this.node('MatMul', [merged, this.init('proj_W', projK.shape, projK.data)], {}, 'proj_mm'), this.init('proj_B', projB.shape, projB.data)], {}, 'proj');
        return one(out, 'tf');
      }
      case 'TintemTokenSlice': {
        const start = Number(cfg.start);
        const size = cfg.size === null || cfg.size === undefined ? null : Number(cfg.size);
        const end = size === null ? Number.MAX_SAFE_INTEGER : start + size;
        const sliced = this.node('Slice', [this.toTf(x).name, this.ints('starts', [start]), this.ints('ends', [end]), this.ints('axes', [1])]);
        return one(cfg.squeeze ? this.node('Squeeze', [sliced, this.ints('squeeze_axes', [1])]) : sliced, 'tf');
      }
      default:
        throw new UserError(`onnx export: layer ${layer.name}: layer class '${cls}' is not supported by the ONNX converter (supported: ${SUPPORTED_LAYERS.join(', ')}); export with --format tfjs for the TF.js model alone`);
    }
  }

  /** Renames a final value to a graph output name (through Identity, in TF.js's layout). */
  output(v: Val, name: string): void {
    const t = this.toTf(v);
    this.nodes.push(makeNode('Identity', [t.name], [name], {}, this.names.fresh(`${name}_identity`)));
  }
}

/**
 * Converts a TF.js LayersModel with one NHWC image input and outputs [pooled, tokens?] into an ONNX model:
 * input `image` [batch, S, S, C] float32, outputs `pooled` [batch, d] and, when kept, `tokens` [batch, T, d].
 */
export function convertToOnnx(model: tf.LayersModel, opts: ConvertOptions = {}): ModelProto {
  if (model.inputs.length !== 1) throw new UserError(`onnx export: expected one image input, the model has ${model.inputs.length}`);
  const input = model.inputs[0] as unknown as SymTensor;
  const shape = input.shape;
  if (shape.length !== 4 || shape.slice(1).some((d) => d === null)) throw new UserError(`onnx export: expected an input N x H x W x C, got ${JSON.stringify(shape)}`);
  const keep = Math.min(opts.outputs ?? model.outputs.length, model.outputs.length, 2);
  const converter = new Converter(input);
  const outNames = [ONNX_POOLED, ONNX_TOKENS].slice(0, keep);
  const outputs = model.outputs.slice(0, keep).map((o) => o as unknown as SymTensor);
  const values = outputs.map((o) => converter.value(o));
  values.forEach((v, i) => converter.output(v, outNames[i]!));
  return makeModel({
    graphName: model.name,
    nodes: converter.nodes,
    initializers: converter.initializers,
    inputs: [makeValueInfo(ONNX_INPUT, ['batch', shape[1]!, shape[2]!, shape[3]!], DataType.FLOAT)],
    outputs: outputs.map((o, i) => makeValueInfo(outNames[i]!, ['batch', ...o.shape.slice(1).map((d) => d ?? '?')])),
    metadata: opts.metadata,
    producerVersion: opts.producerVersion,
    docString: 'tintem student, converted from its TF.js LayersModel',
  });
}
