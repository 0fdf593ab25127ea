/**
 * Any ONNX image model as a teacher, run by onnxruntime-node: NCHW float32 input, the teacher's preprocessing
 * (size, crop/squash, interpolation, mean/std), one or more named outputs (default: the first) laid out as
 * { pooled = token 0, tokens = patch tokens } by ./tokens.ts ([B, D], ViT [B, N, D], or a 4-D map in either
 * layout). ONNX Runtime is asynchronous, so this is an AsyncTeacher: use forwardTeacher()/forwardAsync; the
 * synchronous forward() throws. The id hashes the graph and every external-data file.
 */
import { resolve } from 'node:path';
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { GiB, readFileChecked } from '../util/safe-read.js';
import { IMAGENET_MEAN_STD, preprocessImages, type Normalization } from './features.js';
import { readOnnxModel } from './onnxFiles.js';
import { preprocessIdentity, resolvePreprocess, type Preprocess, type TeacherOptions } from './options.js';
import { modelFileIdentity, outputsToTeacherOutput, type NamedOutput, type TokenLayoutOptions } from './tokens.js';

/** ONNX protobufs are capped at 2 GiB by the format itself (bigger models keep external data). */
export const MAX_ONNX_BYTES = 2 * GiB;
import type { AsyncTeacher } from './asyncTeacher.js';
import { quantizedTeacherIdentity, type FidelityReport, type QuantizedTeacher } from './fidelity.js';
import type { TeacherOutput } from './types.js';
import { formatTeacherId, teacherModel, type TeacherIdentity } from './identity.js';

export interface OnnxTeacherOptions {
  /** Output name; default the model's first output (`teacher.outputs` names several). */
  output?: string;
  /** Input side; default the model's static input size if it has one, else 224. */
  inputSize?: number;
  /** Token grid side the patch map is pooled to (default 2); `teacher.grid: 'full'` keeps it whole. */
  grid?: number;
  /** Default ImageNet mean/std (torchvision convention). */
  normalization?: Normalization;
  /** Intra-op threads for ONNX Runtime (default: its own choice). */
  threads?: number;
  /** Outputs, CLS/register layout and preprocessing (see ./options.ts); these win over the fields above. */
  teacher?: TeacherOptions;
  /** 'int8': run the dynamic-int8 rewrite of the model (src/onnx/dynamic-quantize.ts); default 'fp32'. */
  precision?: 'fp32' | 'int8';
  /** Folder the int8 model file is kept in (content-addressed and sealed); none: rewritten in memory each time. */
  int8Dir?: string;
}

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

class OnnxTeacher implements AsyncTeacher, Partial<QuantizedTeacher> {
  id: string;
  identity: TeacherIdentity;
  precision?: 'int8';
  quantHash?: string;
  fidelity?: FidelityReport;
  reference?: () => Promise<AsyncTeacher>;
  private baseIdentity: TeacherIdentity = { model: '' };
  embedDim = 0;
  tokenGrid?: number;
  readonly inputSize: number;
  readonly decodeSize: number;
  private readonly fetch: string[];

  constructor(
    private readonly ort: Ort, private readonly session: Session, private readonly inputName: string,
    private readonly layout: TokenLayoutOptions, private readonly pre: Preprocess,
    private readonly channels: 1 | 3, modelHash: string, private readonly declared: Record<string, ReadonlyArray<number | string> | undefined>,
  ) {
    this.inputSize = pre.inputSize;
    this.decodeSize = pre.resize === 'crop' ? Math.round(pre.inputSize / pre.crop) : pre.inputSize;
    this.fetch = [...new Set([...layout.outputs, ...(layout.cls === 'first' || layout.cls === 'none' ? [] : [layout.cls])])];
    // The old id form for a single output with the default layout keeps existing caches valid.
    const plain = layout.outputs.length === 1 && layout.cls === 'first' && layout.registers === 0 && layout.patchGrid === undefined && layout.layout === 'auto';
    this.identity = { ...modelFileIdentity('onnx', modelHash, layout, plain), ...preprocessIdentity(pre) };
    this.id = formatTeacherId(this.identity);
  }

  /** Marks this as the int8 rewrite `sha` of the model `reference()` builds in fp32; its id then names both. */
  quantized(sha: string, reference: () => Promise<AsyncTeacher>): void {
    this.baseIdentity = this.identity;
    this.precision = 'int8';
    this.quantHash = sha;
    this.reference = reference;
    this.identity = quantizedTeacherIdentity(this.baseIdentity, 'int8', sha);
    this.id = formatTeacherId(this.identity);
  }

  /** The fidelity figures join the id (and so every cache key of this teacher's entries). */
  applyFidelity(report: FidelityReport): void {
    this.fidelity = report;
    this.identity = quantizedTeacherIdentity(this.baseIdentity, 'int8', this.quantHash!, report);
    this.id = formatTeacherId(this.identity);
  }

  forward(): TeacherOutput {
    throw new Error(`teacher ${this.id} runs on ONNX Runtime, which is asynchronous: call forwardTeacher() or forwardAsync()`);
  }

  async forwardAsync(images: tf.Tensor4D): Promise<TeacherOutput> {
    const nchw = tf.tidy(() => tf.transpose(preprocessImages(images, this.pre, this.channels), [0, 3, 1, 2]));
    const input = new this.ort.Tensor('float32', (await nchw.data()) as Float32Array, nchw.shape);
    nchw.dispose();
    const result = await this.session.run({ [this.inputName]: input }, this.fetch);
    return tf.tidy(() => {
      const outputs: Record<string, NamedOutput> = {};
      for (const name of this.fetch) {
        const out = result[name] as InstanceType<Ort['Tensor']>;
        outputs[name] = { tensor: tf.tensor(Float32Array.from(out.data as Float32Array), out.dims.map(Number)), declared: this.declared[name] };
      }
      return outputsToTeacherOutput(outputs, this.layout, `onnx teacher ${teacherModel(this.id)}`) as unknown as tf.TensorContainer;
    }) as unknown as TeacherOutput;
  }

  dispose(): void {
    void this.session.release();
  }
}

type Meta = { name: string; isTensor: boolean; shape?: ReadonlyArray<number | string> };
const metadata = (list: unknown): Meta[] => (Array.isArray(list) ? (list as Meta[]) : []);

/** A static square spatial size from the input metadata, when the model declares one. */
function staticInputSize(session: Session): number | undefined {
  const meta = metadata(session.inputMetadata)[0];
  if (!meta || !meta.isTensor || meta.shape?.length !== 4) return undefined;
  const [, , h, w] = meta.shape;
  return typeof h === 'number' && h > 0 && h === w ? h : undefined;
}

function staticChannels(session: Session): 1 | 3 {
  const meta = metadata(session.inputMetadata)[0];
  return meta?.isTensor && meta.shape?.[1] === 1 ? 1 : 3;
}

/** onnxruntime's message, one line and short: its first line without the source-file prefix, at most 160 characters. */
function ortReason(e: unknown): string {
  const first = ((e as Error).message ?? String(e)).split('\n')[0]!.replace(/^\[[^\]]*\]\s*/, '').replace(/^.*?(?:onnxruntime|ort)[^:]*:\d+ [^ ]+ /, '');
  return first.length > 160 ? `${first.slice(0, 157)}...` : first;
}

export async function createOnnxTeacher(path: string, opts: OnnxTeacherOptions = {}): Promise<AsyncTeacher> {
  const abs = resolve(path);
  const bytes = readFileChecked(abs, { what: 'onnx teacher model (an .onnx file)', maxBytes: MAX_ONNX_BYTES });
  // Not a protobuf at all (text, zeros): refuse before onnxruntime parses it (a zero-filled buffer can crash it).
  if (bytes.length === 0 || bytes.every((b) => b === 0)) throw new UserError(`onnx teacher: ${path} is not an ONNX model (empty or all zero bytes)`);
  const files = readOnnxModel(abs, bytes);
  let int8: import('../onnx/int8-store.js').Int8Model | undefined;
  if (opts.precision === 'int8') {
    const { int8ModelFor } = await import('../onnx/int8-store.js');
    int8 = int8ModelFor(abs, files.hash, opts.int8Dir);
    if (int8.quantized === 0) throw new UserError(`teacherPrecision int8: onnx teacher '${path}' has no MatMul or Gemm with constant weights to quantise; use teacherPrecision fp32`);
  }
  const ort = await import('onnxruntime-node');
  let session: Session;
  try {
    // logSeverityLevel 3 (errors only) keeps onnxruntime's own coloured warning lines off the terminal; its errors
    // reach the user through the one-line message below.
    const sessionOptions = { graphOptimizationLevel: 'all' as const, logSeverityLevel: 3 as const, ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}) };
    // External data resolves against the model's own folder only when ONNX Runtime opens the file by path.
    session = int8 ? await ort.InferenceSession.create(int8.bytes, sessionOptions) : files.external.length > 0
      ? await ort.InferenceSession.create(abs, sessionOptions)
      : await ort.InferenceSession.create(new Uint8Array(files.graph.buffer, files.graph.byteOffset, files.graph.byteLength), sessionOptions);
  } catch (e) {
    throw new UserError(`onnx teacher: could not load '${path}' (${ortReason(e)})`);
  }
  const t = opts.teacher ?? {};
  const outputs = t.outputs ?? [opts.output ?? session.outputNames[0]!];
  let cls = t.cls ?? 'first';
  if (cls === 'pooler_output?') cls = session.outputNames.includes('pooler_output') ? 'pooler_output' : 'none';
  const missing = [...outputs, ...(cls === 'first' || cls === 'none' ? [] : [cls])].filter((o) => !session.outputNames.includes(o));
  if (missing.length > 0) {
    await session.release();
    throw new UserError(`onnx teacher: '${path}' has no output '${missing[0]}' (outputs: ${session.outputNames.join(', ')})`);
  }
  const declared: Record<string, ReadonlyArray<number | string> | undefined> = {};
  for (const m of metadata(session.outputMetadata)) declared[m.name] = m.isTensor ? m.shape : undefined;
  const layout: TokenLayoutOptions = {
    outputs, cls, registers: t.registers ?? 0, patchGrid: t.patchGrid, grid: t.grid ?? opts.grid ?? 2, layout: t.layout ?? 'auto',
  };
  const fixed = staticInputSize(session);
  const pre = resolvePreprocess(t, { inputSize: opts.inputSize ?? fixed ?? 224, normalization: opts.normalization ?? IMAGENET_MEAN_STD });
  if (fixed !== undefined && pre.inputSize !== fixed) {
    await session.release();
    const from = t.preset ? `the ${pre.inputSize}px of preset ${t.preset}` : t.inputSize !== undefined ? `the size option's ${pre.inputSize}px` : `${pre.inputSize}px`;
    throw new UserError(`onnx teacher: '${path}' takes a fixed ${fixed}px input, not ${from}; add size=${fixed} to the teacher options (--teacher-option size=${fixed} or '#size=${fixed}' after the path)`);
  }
  const teacher = new OnnxTeacher(ort, session, session.inputNames[0]!, layout, pre, staticChannels(session), files.hash, declared);
  if (int8) teacher.quantized(int8.sha, () => createOnnxTeacher(path, { ...opts, precision: 'fp32' }));
  // Probe once to learn the width and whether the output is a spatial map.
  let probe: TeacherOutput;
  try {
    const blank = tf.zeros([1, pre.inputSize, pre.inputSize, 3]) as tf.Tensor4D;
    probe = await teacher.forwardAsync(blank);
    blank.dispose();
  } catch (e) {
    await session.release();
    if (e instanceof UserError) throw e;
    throw new UserError(`onnx teacher: '${path}' failed on a ${pre.inputSize}px input (${ortReason(e)}); check the input size (size=<px> teacher option) and the output name`);
  }
  teacher.embedDim = probe.pooled.shape[1];
  teacher.tokenGrid = probe.tokens ? Math.round(Math.sqrt(probe.tokens.shape[1])) : undefined;
  tf.dispose(probe as unknown as tf.TensorContainer);
  return teacher;
}
