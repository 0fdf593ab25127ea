/**
 * The slice of tfjs-node's backend and native binding that the graph path uses. These are not public typed
 * API, so they are described here and checked at run time: a tfjs-node without them makes graph training
 * unavailable (with that reason) instead of failing mid-run.
 */
import { tf } from '../index.js';

export interface TensorMetadata { id: number; shape: number[]; dtype: number }
export interface OpAttr { name: string; type: number; value: boolean | number | string | number[] | boolean[] | object }

export interface NativeBinding {
  createTensor(shape: number[], dtype: number, buffer: ArrayBufferView): number;
  deleteTensor(id: number): void;
  tensorDataSync(id: number): Float32Array | Int32Array | Uint8Array;
  executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): TensorMetadata[];
  loadSavedModel(dir: string, tags: string): number;
  deleteSavedModel(id: number): void;
  runSavedModel(id: number, inputIds: number[], inputNames: string, outputNames: string): TensorMetadata[];
  TF_ATTR_STRING: number; TF_ATTR_INT: number; TF_ATTR_FLOAT: number; TF_ATTR_BOOL: number; TF_ATTR_TYPE: number; TF_ATTR_SHAPE: number;
  TF_STRING: number; TF_RESOURCE: number;
}

export interface NativeBackend {
  binding: NativeBinding;
  tensorMap: { get(dataId: object): { id: number; values: unknown; shape: number[]; dtype: number } | undefined };
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(meta: TensorMetadata): tf.Tensor;
}

/** The native backend when it is the active one and exposes what the graph path needs; else why not. */
export function nativeBackend(): { backend: NativeBackend } | { reason: string } {
  if (tf.getBackend() !== 'tensorflow') return { reason: `the active backend is '${tf.getBackend()}', graph training needs the native TensorFlow backend` };
  const b = tf.backend() as unknown as Partial<NativeBackend>;
  const binding = b.binding as Partial<NativeBinding> | undefined;
  const needed = ['executeOp', 'createTensor', 'tensorDataSync', 'loadSavedModel', 'runSavedModel', 'deleteSavedModel'] as const;
  const missing = needed.filter((k) => typeof binding?.[k] !== 'function');
  if (!binding || missing.length) return { reason: `this tfjs-node binding lacks ${missing.join(', ') || 'a binding'}` };
  if (typeof b.getInputTensorIds !== 'function' || typeof b.createOutputTensor !== 'function' || !b.tensorMap) {
    return { reason: 'this tfjs-node backend lacks getInputTensorIds/createOutputTensor' };
  }
  return { backend: b as NativeBackend };
}
