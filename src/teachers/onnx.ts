/**
 * Any ONNX image model as a teacher, run by onnxruntime-node: NCHW float32 input, per-channel mean/std,
 * one named output (default: the first). ONNX Runtime is asynchronous, so this is an AsyncTeacher: use
 * forwardTeacher()/forwardAsync; the synchronous forward() throws. Outputs follow the tfjs teacher: a 4-D NCHW
 * map gives pooled (GAP) + grid x grid tokens, a 2-D output gives pooled only.
 */
import { resolve } from 'node:path';
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { GiB, readFileChecked } from '../util/safe-read.js';

/** ONNX protobufs are capped at 2 GiB by the format itself (bigger models keep external data). */
export const MAX_ONNX_BYTES = 2 * GiB;
import { featuresToOutput } from './featureMapTeacher.js';
import { IMAGENET_MEAN_STD, normalizationTag, prepareImages, type Normalization } from './features.js';
import type { AsyncTeacher } from './asyncTeacher.js';
import type { TeacherOutput } from './types.js';

export interface OnnxTeacherOptions {
  /** Output name; default the model's first output. */
  output?: string;
  /** Input side; default the model's static input size if it has one, else 224. */
  inputSize?: number;
  grid?: number;
  /** Default ImageNet mean/std (torchvision convention). */
  normalization?: Normalization;
  /** Intra-op threads for ONNX Runtime (default: its own choice). */
  threads?: number;
}

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

class OnnxTeacher implements AsyncTeacher {
  readonly id: string;
  embedDim = 0;
  tokenGrid?: number;

  constructor(
    private readonly ort: Ort, private readonly session: Session, private readonly inputName: string,
    private readonly outputName: string, readonly inputSize: number, private readonly grid: number,
    private readonly channels: 1 | 3, private readonly norm: Normalization, modelHash: string,
  ) {
    this.id = `onnx:${modelHash.slice(0, 16)}:${outputName}|${inputSize}px|${normalizationTag(norm)}`;
  }

  forward(): TeacherOutput {
    throw new Error(`teacher ${this.id} runs on ONNX Runtime, which is asynchronous: call forwardTeacher() or forwardAsync()`);
  }

  async forwardAsync(images: tf.Tensor4D): Promise<TeacherOutput> {
    const nchw = tf.tidy(() => tf.transpose(prepareImages(images, this.inputSize, this.norm, this.channels), [0, 3, 1, 2]));
    const input = new this.ort.Tensor('float32', (await nchw.data()) as Float32Array, nchw.shape);
    nchw.dispose();
    const result = await this.session.run({ [this.inputName]: input }, [this.outputName]);
    const out = result[this.outputName] as InstanceType<Ort['Tensor']>;
    const dims = out.dims.map(Number);
    const data = out.data as Float32Array;
    return tf.tidy(() => {
      let y = tf.tensor(Float32Array.from(data), dims);
      if (y.rank === 4) y = tf.transpose(y, [0, 2, 3, 1]);
      return featuresToOutput(y, this.grid, this.id) as unknown as tf.TensorContainer;
    }) as unknown as TeacherOutput;
  }

  dispose(): void {
    void this.session.release();
  }
}

/** A static square spatial size from the input metadata, when the model declares one. */
function staticInputSize(session: Session): number | undefined {
  const meta = session.inputMetadata?.[0];
  if (!meta || !meta.isTensor || meta.shape.length !== 4) return undefined;
  const [, , h, w] = meta.shape;
  return typeof h === 'number' && h > 0 && h === w ? h : undefined;
}

function staticChannels(session: Session): 1 | 3 {
  const meta = session.inputMetadata?.[0];
  return meta?.isTensor && meta.shape[1] === 1 ? 1 : 3;
}

export async function createOnnxTeacher(path: string, opts: OnnxTeacherOptions = {}): Promise<AsyncTeacher> {
  const abs = resolve(path);
  const bytes = readFileChecked(abs, { what: 'onnx teacher model (an .onnx file)', maxBytes: MAX_ONNX_BYTES });
  // Not a protobuf at all (text, zeros): refuse before onnxruntime parses it (a zero-filled buffer can crash it).
  if (bytes.length === 0 || bytes.every((b) => b === 0)) throw new UserError(`onnx teacher: ${path} is not an ONNX model (empty or all zero bytes)`);
  const ort = await import('onnxruntime-node');
  let session: Session;
  try {
    session = await ort.InferenceSession.create(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
      graphOptimizationLevel: 'all', ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
    });
  } catch (e) {
    throw new UserError(`onnx teacher: could not load '${path}' (${(e as Error).message.split('\n')[0]})`);
  }
  const output = opts.output ?? session.outputNames[0]!;
  if (!session.outputNames.includes(output)) {
    await session.release();
    throw new UserError(`onnx teacher: '${path}' has no output '${output}' (outputs: ${session.outputNames.join(', ')})`);
  }
  const inputSize = opts.inputSize ?? staticInputSize(session) ?? 224;
  const teacher = new OnnxTeacher(ort, session, session.inputNames[0]!, output, inputSize, opts.grid ?? 2,
    staticChannels(session), opts.normalization ?? IMAGENET_MEAN_STD, sha256(bytes));
  // Probe once to learn the width and whether the output is a spatial map.
  let probe: TeacherOutput;
  try {
    const blank = tf.zeros([1, inputSize, inputSize, 3]) as tf.Tensor4D;
    probe = await teacher.forwardAsync(blank);
    blank.dispose();
  } catch (e) {
    await session.release();
    if (e instanceof UserError) throw e;
    throw new UserError(`onnx teacher: '${path}' failed on a ${inputSize}px input (${(e as Error).message.split('\n')[0]}); check --input-size and the output name`);
  }
  teacher.embedDim = probe.pooled.shape[1];
  teacher.tokenGrid = probe.tokens ? opts.grid ?? 2 : undefined;
  tf.dispose(probe as unknown as tf.TensorContainer);
  return teacher;
}
