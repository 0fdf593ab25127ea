/**
 * Student training kernels that TensorFlow has fused and tfjs composes from elementwise ops. On the native
 * backend, BatchNormalization in training runs TensorFlow's FusedBatchNormV3 and its gradient
 * FusedBatchNormGradV3 (tfjs: moments + batchNorm forward, ~15 elementwise kernels backward on full-size
 * maps), and ReLU's gradient is ReluGrad (tfjs: step() + cast + mul). Measured on the default CNN student,
 * these elementwise kernels were about a third of a graph-compiled training step. Same formulas, so the
 * results agree with tfjs's to float32 rounding; other backends (wasm, cpu) keep tfjs's own kernels.
 * The ViT's LayerNorm in training runs the same fused kernels (see fusedLayerNormTraining): TensorFlow has no
 * LayerNorm op of its own, but a row's normalisation is batch normalisation of that row as one NCHW channel.
 */
import { tf } from '../backend/index.js';
import { LayerNorm, type LayerNormArgs } from './layers.js';

interface NativeKernelBackend {
  binding: { TF_ATTR_FLOAT: number; TF_ATTR_BOOL: number; TF_ATTR_STRING: number; TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeMultipleOutputs(name: string, attrs: object[], inputs: tf.TensorInfo[], numOutputs: number): tf.Tensor[];
  executeSingleOutput(name: string, attrs: object[], inputs: tf.TensorInfo[]): tf.Tensor;
}

const BN_TRAIN = 'TintemFusedBatchNormTraining';
const BN_GRAD = 'TintemFusedBatchNormTrainingGrad';
const RELU_GRAD = 'TintemReluGrad';
const LN_TRAIN = 'TintemFusedRowNorm';
const LN_GRAD = 'TintemFusedRowNormGrad';

function asNative(backend: unknown): NativeKernelBackend {
  return backend as NativeKernelBackend;
}

/** Whether the fused kernels are in use: the active backend is tfjs-node's and offers raw op execution. */
export function nativeKernelsActive(): boolean {
  if (tf.getBackend() !== 'tensorflow') return false;
  const b = tf.backend() as unknown as Partial<NativeKernelBackend>;
  return typeof b.executeMultipleOutputs === 'function' && typeof b.executeSingleOutput === 'function' && b.binding != null;
}

function bnAttrs(b: NativeKernelBackend, epsilon: number, forward: boolean, format: 'NHWC' | 'NCHW' = 'NHWC'): object[] {
  const x = b.binding;
  return [
    { name: 'T', type: x.TF_ATTR_TYPE, value: x.TF_FLOAT },
    { name: 'U', type: x.TF_ATTR_TYPE, value: x.TF_FLOAT },
    { name: 'epsilon', type: x.TF_ATTR_FLOAT, value: epsilon },
    ...(forward ? [{ name: 'exponential_avg_factor', type: x.TF_ATTR_FLOAT, value: 1 }] : []),
    { name: 'data_format', type: x.TF_ATTR_STRING, value: format },
    { name: 'is_training', type: x.TF_ATTR_BOOL, value: true },
  ];
}

let registered = false;

/** Registers the kernels and gradients once (kernel names are global to tfjs). */
function register(): void {
  if (registered) return;
  registered = true;
  // Outputs: y, batch mean, batch variance (Bessel-corrected, as TensorFlow reports it), 3 reserve spaces.
  tf.registerKernel({
    kernelName: BN_TRAIN, backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = asNative(backend);
      const empty = tf.tensor1d([], 'float32');
      try {
        return b.executeMultipleOutputs('FusedBatchNormV3', bnAttrs(b, attrs!.epsilon as number, true), [inputs.x!, inputs.scale!, inputs.offset!, empty, empty], 6);
      } finally {
        empty.dispose();
      }
    },
  });
  tf.registerGradient({
    kernelName: BN_TRAIN, inputsToSave: ['x', 'scale'], outputsToSave: [false, false, false, true, true, true],
    gradFunc: (dy, saved, attrs) => {
      const [x, scale, r1, r2, r3] = saved as tf.Tensor[];
      const dys = dy as tf.Tensor[];
      const [dx, dScale, dOffset] = tf.engine().runKernel(BN_GRAD, { dy: dys[0]!, x: x!, scale: scale!, r1: r1!, r2: r2!, r3: r3! }, attrs as never) as tf.Tensor[];
      return { x: () => dx!, scale: () => dScale!, offset: () => dOffset! };
    },
  });
  tf.registerKernel({
    kernelName: BN_GRAD, backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = asNative(backend);
      const outs = b.executeMultipleOutputs('FusedBatchNormGradV3', bnAttrs(b, attrs!.epsilon as number, false),
        [inputs.dy!, inputs.x!, inputs.scale!, inputs.r1!, inputs.r2!, inputs.r3!], 5);
      tf.dispose(outs.slice(3)); // reserve spaces 4 and 5: unused
      return outs.slice(0, 3);
    },
  });

  // Row normalisation of an R x W matrix: FusedBatchNormV3 of the 1 x R x W x 1 NCHW map (each row a channel)
  // with scale 1 and offset 0. Outputs: y, then the three reserve spaces its gradient needs.
  const rowNormInputs = (x: tf.TensorInfo) => {
    const rows = x.shape[0]!;
    return { x4: tf.reshape(x as tf.Tensor, [1, rows, x.shape[1]!, 1]), ones: tf.ones([rows]) };
  };
  tf.registerKernel({
    kernelName: LN_TRAIN, backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = asNative(backend);
      const { x4, ones } = rowNormInputs(inputs.x!);
      const zeros = tf.zerosLike(ones), empty = tf.tensor1d([], 'float32');
      try {
        const outs = b.executeMultipleOutputs('FusedBatchNormV3', bnAttrs(b, attrs!.epsilon as number, true, 'NCHW'), [x4, ones, zeros, empty, empty], 6);
        const y = tf.reshape(outs[0]!, inputs.x!.shape);
        tf.dispose(outs.slice(0, 3));
        return [y, ...outs.slice(3)];
      } finally {
        tf.dispose([x4, ones, zeros, empty]);
      }
    },
  });
  tf.registerGradient({
    kernelName: LN_TRAIN, inputsToSave: ['x'], outputsToSave: [false, true, true, true],
    gradFunc: (dy, saved, attrs) => {
      const [x, r1, r2, r3] = saved as tf.Tensor[];
      const dx = tf.engine().runKernel(LN_GRAD, { dy: (dy as tf.Tensor[])[0]!, x: x!, r1: r1!, r2: r2!, r3: r3! }, attrs as never) as tf.Tensor;
      return { x: () => dx };
    },
  });
  tf.registerKernel({
    kernelName: LN_GRAD, backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = asNative(backend);
      const { x4, ones } = rowNormInputs(inputs.x!);
      const dy4 = tf.reshape(inputs.dy as tf.Tensor, x4.shape);
      try {
        const outs = b.executeMultipleOutputs('FusedBatchNormGradV3', bnAttrs(b, attrs!.epsilon as number, false, 'NCHW'),
          [dy4, x4, ones, inputs.r1!, inputs.r2!, inputs.r3!], 5);
        const dx = tf.reshape(outs[0]!, inputs.x!.shape);
        tf.dispose(outs);
        return dx;
      } finally {
        tf.dispose([x4, ones, dy4]);
      }
    },
  });

  tf.registerKernel({
    kernelName: RELU_GRAD, backendName: 'tensorflow',
    kernelFunc: ({ inputs, backend }) => {
      const b = asNative(backend);
      return b.executeSingleOutput('ReluGrad', [{ name: 'T', type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }], [inputs.dy!, inputs.x!]);
    },
  });
  // ReLU's gradient on the native backend; elsewhere tfjs's own (kept and called as it was).
  const tfjsRelu = tf.getGradient('Relu');
  if (tfjsRelu) {
    // Saves the input and the output: ReluGrad takes the output (as TensorFlow's own gradient does; the same
    // sign as the input), which lets TensorFlow fuse it with the batch-norm gradient before it.
    tf.registerGradient({
      kernelName: 'Relu', inputsToSave: ['x'], outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const [x, y] = saved as tf.Tensor[];
        if (tf.getBackend() !== 'tensorflow' || x!.dtype !== 'float32') return tfjsRelu.gradFunc(dy, [x!], attrs);
        return { x: () => tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, x: y! }) as tf.Tensor };
      },
    });
  }
}

/**
 * Batch normalisation of an NHWC float32 map in training mode with TensorFlow's fused kernel: the normalised
 * map and the batch's mean and (biased, as tf.moments gives it) variance per channel. Native backend only
 * (see nativeKernelsActive).
 */
export function fusedBatchNormTraining(x: tf.Tensor4D, scale: tf.Tensor1D, offset: tf.Tensor1D, epsilon: number): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  register();
  const [y, mean, corrected] = tf.engine().runKernel(BN_TRAIN, { x, scale, offset }, { epsilon } as never) as tf.Tensor[];
  const n = x.shape[0] * x.shape[1] * x.shape[2];
  const variance = n > 1 ? tf.mul(corrected!, (n - 1) / n) : corrected!;
  return { y: y as tf.Tensor4D, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}

interface BatchNormInternals {
  axis: number; epsilon: number; momentum: number; center: boolean; scale: boolean;
  gamma: tf.LayerVariable; beta: tf.LayerVariable; movingMean: tf.LayerVariable; movingVariance: tf.LayerVariable;
}
type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

// tfjs-layers exports a factory, not the class; the class is the factory's product's constructor.
const TfjsBatchNormalization = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as new (args: object) => tf.layers.Layer;

/**
 * tf.layers.batchNormalization whose training-mode call runs the fused kernels on the native backend. It is the
 * same class to serialisation ('BatchNormalization', same weights and config): a saved student loads anywhere
 * as a plain tfjs BatchNormalization. Inference, other backends and other layouts run tfjs's own code.
 */
class FusedTrainingBatchNormalization extends TfjsBatchNormalization {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormInternals;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const lastAxis = self.axis === -1 || self.axis === x.rank - 1;
    if (!kwargs?.training || x.rank !== 4 || x.dtype !== 'float32' || !lastAxis || !self.center || !self.scale || !nativeKernelsActive()) {
      return (TfjsBatchNormalization.prototype as unknown as { call: LayerCall }).call.call(this, inputs, kwargs);
    }
    return tf.tidy(() => {
      const { y, mean, variance } = fusedBatchNormTraining(x as tf.Tensor4D, self.gamma.read() as tf.Tensor1D, self.beta.read() as tf.Tensor1D, self.epsilon);
      // The moving averages exactly as tfjs-layers updates them: v <- v - (v - batch) * (1 - momentum).
      for (const [variable, value] of [[self.movingMean, mean], [self.movingVariance, variance]] as const) {
        tf.tidy(() => {
          const old = variable.read();
          variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - self.momentum)));
        });
      }
      return y;
    });
  }
}

/** A BatchNormalization layer for students (see FusedTrainingBatchNormalization). */
export function batchNormalization(args: { name: string; momentum: number; epsilon: number }): tf.layers.Layer {
  register();
  return new FusedTrainingBatchNormalization(args);
}

/**
 * (x - mean) / sqrt(var + epsilon) over the last axis of a float32 tensor, with TensorFlow's fused batch-norm
 * kernels (forward and gradient) on the native backend: LayerNorm without its scale and shift.
 */
export function fusedLayerNormTraining(x: tf.Tensor, epsilon: number): tf.Tensor {
  register();
  return tf.tidy(() => {
    const width = x.shape[x.rank - 1]!;
    const rows = tf.reshape(x, [-1, width]);
    const [y] = tf.engine().runKernel(LN_TRAIN, { x: rows }, { epsilon } as never) as tf.Tensor[];
    return tf.reshape(y!, x.shape);
  });
}

/**
 * The ViT's LayerNorm whose training-mode call normalises with the fused kernels on the native backend (then
 * scale and shift as before). The same class to serialisation ('TintemLayerNorm', same weights and config).
 */
class FusedTrainingLayerNorm extends LayerNorm {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (!kwargs?.training || x.dtype !== 'float32' || !nativeKernelsActive()) return super.call(inputs);
    const [gamma, beta] = this.weights;
    return tf.tidy(() => tf.add(tf.mul(fusedLayerNormTraining(x, this.epsilon), gamma!.read()), beta!.read()));
  }
}

/** A LayerNorm layer for students (see FusedTrainingLayerNorm). */
export function layerNormalization(args: LayerNormArgs): tf.layers.Layer {
  register();
  return new FusedTrainingLayerNorm(args);
}
