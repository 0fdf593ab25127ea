/**
 * The one module that reads and writes ONNX: ModelProto building / serialising / parsing (./proto.ts), bounded
 * reading from disk (./read.ts), the int8 rewrite (./quantize.ts) and onnxruntime-node sessions (./runtime.ts).
 * A low floor of the pipeline, directly above util: it loads no TensorFlow.
 */
export * from './proto.js';
export { readOnnxModel, readOnnxBytes, parseOnnxBytes, MAX_ONNX_BYTES, type ReadOnnxOptions } from './read.js';
export { createSession, runFloat, loadOrt, type OrtSession, type SessionOptions } from './runtime.js';
export { quantizeInt8, foldBatchNorm, quantizableTensors, quantizeWeightPerChannel, activationParams, type QuantizeOptions, type TensorRange } from './quantize.js';
