/**
 * The ONNX forms of an export: student.onnx (converted from the TF.js student by ./onnx-convert.ts, then run by
 * onnxruntime-node on check images and refused unless it matches TF.js) and, with `--quantize int8`,
 * student.int8.onnx (src/onnx/quantize.ts, activation ranges calibrated on the same images). Both are sealed
 * into tintem.json.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { tf } from '../backend/index.js';
import type { ImageSet } from '../data/types.js';
import {
  createSession, foldBatchNorm, makeValueInfo, OPSET, quantizableTensors, quantizeInt8, runFloat, serializeModel,
  type ModelProto, type OrtSession, type TensorRange,
} from '../onnx/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { readExportMetadata, tintemVersion, updateExportMetadata } from './exporter.js';
import { loadStudent } from './load.js';
import { ONNX_FILE, ONNX_INT8_FILE, WEIGHTS_FILE, type OnnxInfo, type TintemJson } from './meta.js';
import { convertToOnnx, ONNX_INPUT, ONNX_POOLED, ONNX_TOKENS } from './onnx-convert.js';

/** Max |ONNX - TF.js| allowed, relative to the largest |TF.js output|. */
export const ONNX_MATCH_TOLERANCE = 1e-4;
/** Images per onnxruntime call at export. */
const BATCH = 8;
/** At most this many images check the file and calibrate int8. */
export const MAX_CHECK_IMAGES = 64;

export interface OnnxExportOptions {
  quantize?: 'int8';
  /** 7 (default, safe on every x86 CPU) or 8 bits per int8 weight. */
  weightBits?: 7 | 8;
  /** Time fp32 vs int8 with onnxruntime-node (a few alternated rounds). */
  timing?: boolean;
  /** One line per stage (the CLI logs them), with the seconds the previous stage took. */
  onStage?: (message: string) => void;
}

export interface OnnxExportReport {
  onnxBytes: number;
  maxAbsDiff: number;
  scale: number;
  images: number;
  int8?: { bytes: number; minCosine: number; meanCosine: number; fp32MsPerImage?: number; int8MsPerImage?: number };
}

/** Key/value pairs written into the ONNX file's metadata_props (and cross-checked against tintem.json on load). */
export function onnxMetadata(meta: Pick<TintemJson, 'inputSize' | 'channels' | 'embedDim' | 'tokenGrid' | 'teacher' | 'method' | 'outputs' | 'preprocessing'>): Record<string, string> {
  return {
    'tintem.inputSize': String(meta.inputSize),
    'tintem.channels': String(meta.channels),
    'tintem.embedDim': String(meta.embedDim),
    'tintem.tokenGrid': String(meta.tokenGrid),
    'tintem.teacher': meta.teacher.id,
    'tintem.method': meta.method,
    'tintem.outputs': meta.outputs.join(','),
    'tintem.preprocessing': JSON.stringify({ input: `${ONNX_INPUT}: float32 NHWC [batch, ${meta.inputSize}, ${meta.inputSize}, ${meta.channels}] in [0, 1]`, ...meta.preprocessing }),
    'tintem.version': tintemVersion(),
  };
}

function takeImages(set: ImageSet, max: number): ImageSet {
  const n = Math.min(set.count, max);
  const per = set.height * set.width * set.channels;
  return { ...set, count: n, pixels: set.pixels.subarray(0, n * per), labels: undefined, sources: set.sources?.slice(0, n) };
}

/** Runs `session` over the images in batches; returns each requested output concatenated over the batch. */
export async function runBatches(session: OrtSession, images: ImageSet, outputs: string[]): Promise<Record<string, Float32Array>> {
  const per = images.height * images.width * images.channels;
  const parts: Record<string, Float32Array[]> = Object.fromEntries(outputs.map((o) => [o, []]));
  for (let start = 0; start < images.count; start += BATCH) {
    const n = Math.min(BATCH, images.count - start);
    const r = await runFloat(session, ONNX_INPUT, images.pixels.slice(start * per, (start + n) * per), [n, images.height, images.width, images.channels], outputs);
    for (const o of outputs) parts[o]!.push(Float32Array.from(r[o]!.data));
  }
  const out: Record<string, Float32Array> = {};
  for (const o of outputs) {
    const all = new Float32Array(parts[o]!.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts[o]!) { all.set(p, at); at += p.length; }
    out[o] = all;
  }
  return out;
}

/** TF.js outputs of `model` on the images (same batches), flattened per output. */
function tfjsOutputs(model: tf.LayersModel, images: ImageSet, count: number): Float32Array[] {
  const per = images.height * images.width * images.channels;
  const parts: Float32Array[][] = Array.from({ length: count }, () => []);
  for (let start = 0; start < images.count; start += BATCH) {
    const n = Math.min(BATCH, images.count - start);
    tf.tidy(() => {
      const x = tf.tensor4d(images.pixels.subarray(start * per, (start + n) * per), [n, images.height, images.width, images.channels]);
      const out = model.predict(x);
      const list = Array.isArray(out) ? out : [out];
      for (let i = 0; i < count; i++) parts[i]!.push(list[i]!.dataSync() as Float32Array);
    });
  }
  return parts.map((p) => {
    const all = new Float32Array(p.reduce((s, q) => s + q.length, 0));
    let at = 0;
    for (const q of p) { all.set(q, at); at += q.length; }
    return all;
  });
}

/** Row-wise cosine of two N x d arrays: min and mean. */
export function rowCosines(a: Float32Array, b: Float32Array, d: number): { min: number; mean: number } {
  let min = Infinity;
  let sum = 0;
  const n = a.length / d;
  for (let i = 0; i < n; i++) {
    let ab = 0, aa = 0, bb = 0;
    for (let j = 0; j < d; j++) {
      const x = a[i * d + j]!, y = b[i * d + j]!;
      ab += x * y; aa += x * x; bb += y * y;
    }
    const c = aa === 0 && bb === 0 ? 1 : ab / Math.sqrt(aa * bb || 1);
    min = Math.min(min, c);
    sum += c;
  }
  return { min: n ? min : 1, mean: n ? sum / n : 1 };
}

/** min/max of each tensor over the images: the float model with those tensors added as outputs, unoptimised. */
async function calibrate(model: ModelProto, names: string[], images: ImageSet): Promise<Map<string, TensorRange>> {
  const probe = foldBatchNorm(model); // a fresh copy
  probe.graph!.output.push(...names.map((n) => makeValueInfo(n)));
  const session = await createSession(serializeModel(probe), 'int8 calibration model', { optimization: 'disabled' });
  try {
    const ranges = new Map<string, TensorRange>(names.map((n) => [n, { min: Infinity, max: -Infinity }]));
    const out = await runBatches(session, images, names);
    for (const n of names) {
      const r = ranges.get(n)!;
      for (const v of out[n]!) { if (v < r.min) r.min = v; if (v > r.max) r.max = v; }
    }
    return ranges;
  } finally {
    await session.release();
  }
}

/** Median ms per image of fp32 and int8 sessions, alternated, on one batch. */
async function timeSessions(fp32: OrtSession, int8: OrtSession, images: ImageSet, rounds = 5): Promise<{ fp32: number; int8: number }> {
  const batch = takeImages(images, BATCH);
  const times: { fp32: number[]; int8: number[] } = { fp32: [], int8: [] };
  await runBatches(fp32, batch, [ONNX_POOLED]);
  await runBatches(int8, batch, [ONNX_POOLED]);
  for (let r = 0; r < rounds; r++) {
    for (const [key, s] of [['fp32', fp32], ['int8', int8]] as const) {
      const t0 = performance.now();
      await runBatches(s, batch, [ONNX_POOLED]);
      times[key].push((performance.now() - t0) / batch.count);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return { fp32: median(times.fp32), int8: median(times.int8) };
}

/**
 * Adds student.onnx (and student.int8.onnx) to an export folder whose TF.js student is already written: converts,
 * checks against TF.js on `images` (at the student's input size), writes and seals. A mismatch is refused.
 */
export async function addOnnxForms(dir: string, images: ImageSet, opts: OnnxExportOptions = {}): Promise<OnnxExportReport> {
  const meta = await readExportMetadata(dir);
  if (images.height !== meta.inputSize || images.width !== meta.inputSize || images.channels !== meta.channels) {
    throw new Error(`onnx export: check images are ${images.height}x${images.width}x${images.channels}, the student takes ${meta.inputSize}x${meta.inputSize}x${meta.channels}`);
  }
  const check = takeImages(images, MAX_CHECK_IMAGES);
  let t0 = performance.now();
  const stage = (message: string) => {
    const now = performance.now();
    opts.onStage?.(`${message} (${((now - t0) / 1000).toFixed(1)} s)`);
    t0 = now;
  };
  const student = await loadStudent(dir);
  let fp32: ModelProto;
  let reference: Float32Array[];
  try {
    fp32 = convertToOnnx(student.model, { outputs: meta.outputs.length, metadata: onnxMetadata(meta), producerVersion: tintemVersion() });
    reference = tfjsOutputs(student.model, check, meta.outputs.length);
  } finally {
    student.dispose();
  }
  const bytes = serializeModel(fp32);
  stage(`onnx: converted, ${(bytes.length / 1024).toFixed(0)} KB; TF.js ran ${check.count} check images`);
  const names = meta.outputs.map((o) => (o === 'pooled' ? ONNX_POOLED : ONNX_TOKENS));
  const session = await createSession(bytes, `${join(dir, ONNX_FILE)}`);
  try {
    const got = await runBatches(session, check, names);
    let maxAbsDiff = 0;
    let scale = 0;
    names.forEach((n, i) => {
      const want = reference[i]!;
      const have = got[n]!;
      if (have.length !== want.length) throw new UserError(`onnx export: output ${n} has ${have.length} values, TF.js gives ${want.length}`);
      for (let j = 0; j < want.length; j++) {
        const d = Math.abs(have[j]! - want[j]!);
        maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
        scale = Math.max(scale, Math.abs(want[j]!));
      }
    });
    const tolerance = ONNX_MATCH_TOLERANCE * Math.max(scale, Number.MIN_VALUE);
    if (!(maxAbsDiff <= tolerance)) {
      throw new UserError(`onnx export refused: onnxruntime's outputs differ from TF.js by up to ${maxAbsDiff.toExponential(2)} on ${check.count} images (allowed ${tolerance.toExponential(2)} = ${ONNX_MATCH_TOLERANCE} x output scale ${scale.toPrecision(3)})`);
    }
    const info: OnnxInfo = {
      file: ONNX_FILE, opset: OPSET, sourceWeightsSha256: meta.files[WEIGHTS_FILE]?.sha256 ?? '',
      check: { images: check.count, maxAbsDiff, scale, tolerance },
    };
    const report: OnnxExportReport = { onnxBytes: bytes.length, maxAbsDiff, scale, images: check.count };
    stage(`onnx: onnxruntime-node matches TF.js on ${check.count} images (max |diff| ${maxAbsDiff.toExponential(1)})`);
    const added: Record<string, Uint8Array> = { [ONNX_FILE]: bytes };
    await writeFileAtomic(join(dir, ONNX_FILE), bytes);

    if (opts.quantize === 'int8') {
      const weightBits = opts.weightBits ?? 7;
      const folded = foldBatchNorm(fp32);
      const ranges = await calibrate(folded, quantizableTensors(folded), check);
      const q = quantizeInt8(folded, { ranges, weightBits });
      const qBytes = serializeModel(q);
      stage(`int8: ${ranges.size} activation ranges calibrated on ${check.count} images`);
      const qSession = await createSession(qBytes, `${join(dir, ONNX_INT8_FILE)}`);
      try {
        const qOut = await runBatches(qSession, check, [ONNX_POOLED]);
        const cos = rowCosines(got[ONNX_POOLED]!, qOut[ONNX_POOLED]!, meta.embedDim);
        stage(`int8: pooled cosine to fp32 >= ${cos.min.toFixed(4)}${opts.timing ? '; timing int8 vs fp32' : ''}`);
        const timing = opts.timing ? await timeSessions(session, qSession, check) : undefined;
        if (timing) stage('int8: timed');
        info.int8 = { file: ONNX_INT8_FILE, weightBits, calibrationImages: check.count, minCosine: cos.min, meanCosine: cos.mean };
        report.int8 = { bytes: qBytes.length, minCosine: cos.min, meanCosine: cos.mean, ...(timing ? { fp32MsPerImage: timing.fp32, int8MsPerImage: timing.int8 } : {}) };
      } finally {
        await qSession.release();
      }
      await writeFileAtomic(join(dir, ONNX_INT8_FILE), qBytes);
      added[ONNX_INT8_FILE] = qBytes;
    }
    await updateExportMetadata(dir, added, { onnx: info });
    return report;
  } finally {
    await session.release();
  }
}
