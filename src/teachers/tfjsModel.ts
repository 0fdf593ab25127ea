/**
 * Any TF.js model as a teacher: a LayersModel or GraphModel from a model.json path, optionally cut at named
 * layers (LayersModel) or output nodes (GraphModel). Outputs follow ./tokens.ts: 4-D maps give pooled (GAP) +
 * tokens, ViT [B, N, D] outputs CLS + patch tokens, 2-D outputs pooled only.
 */
import { resolve } from 'node:path';
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { MINUS_ONE_TO_ONE, preprocessImages, type Normalization } from './features.js';
import { preprocessIdentity, resolvePreprocess, type Preprocess, type TeacherOptions } from './options.js';
import { modelFileIdentity, outputsToTeacherOutput, type NamedOutput, type TokenLayoutOptions } from './tokens.js';
import { readModelArtifacts } from './fsHandler.js';
import type { Teacher, TeacherOutput } from './types.js';
import { formatTeacherId, teacherModel, type TeacherIdentity } from './identity.js';

export interface TfjsTeacherOptions {
  /** LayersModel: a layer name whose output becomes the features; GraphModel: an output node name. */
  output?: string;
  inputSize?: number;
  grid?: number;
  normalization?: Normalization;
  channels?: 1 | 3;
  /** Outputs, CLS/register layout and preprocessing (see ./options.ts); these win over the fields above. */
  teacher?: TeacherOptions;
}

class TfjsTeacher implements Teacher {
  readonly id: string;
  readonly identity: TeacherIdentity;
  readonly inputSize: number;
  readonly decodeSize: number;
  embedDim = 0;
  tokenGrid?: number;

  constructor(
    identity: TeacherIdentity, private readonly run: (x: tf.Tensor4D) => Record<string, NamedOutput>, private readonly release: () => void,
    private readonly layout: TokenLayoutOptions, private readonly pre: Preprocess, private readonly channels: 1 | 3 | undefined,
  ) {
    this.identity = identity;
    this.id = formatTeacherId(identity);
    this.inputSize = pre.inputSize;
    this.decodeSize = pre.resize === 'crop' ? Math.round(pre.inputSize / pre.crop) : pre.inputSize;
  }

  forward(images: tf.Tensor4D): TeacherOutput {
    return tf.tidy(() => outputsToTeacherOutput(this.run(preprocessImages(images, this.pre, this.channels)), this.layout, teacherModel(this.id)) as unknown as tf.TensorContainer) as unknown as TeacherOutput;
  }

  dispose(): void {
    this.release();
  }
}

export async function createTfjsTeacher(path: string, opts: TfjsTeacherOptions = {}): Promise<Teacher> {
  const { artifacts, format, hash } = readModelArtifacts(resolve(path));
  const t = opts.teacher ?? {};
  const pre = resolvePreprocess(t, { inputSize: opts.inputSize ?? 224, normalization: opts.normalization ?? MINUS_ONE_TO_ONE });
  const names = t.outputs ?? (opts.output ? [opts.output] : undefined);
  const cls = t.cls === 'pooler_output?' ? 'none' : t.cls ?? 'first';
  const extra = cls === 'first' || cls === 'none' ? [] : [cls];
  const fetch = names ? [...new Set([...names, ...extra])] : undefined;
  let run: (x: tf.Tensor4D) => Record<string, NamedOutput>;
  let release: () => void;
  try {
    if (format === 'layers') {
      const full = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
      let model: tf.LayersModel = full;
      if (fetch) {
        const layers: tf.layers.Layer[] = [];
        for (const name of fetch) {
          try { layers.push(full.getLayer(name)); } catch {
            full.dispose();
            throw new UserError(`tfjs teacher: '${path}' has no layer '${name}'`);
          }
        }
        model = tf.model({ inputs: full.inputs, outputs: layers.map((l) => l.output as tf.SymbolicTensor) });
      }
      const keys = fetch ?? ['output'];
      run = (x) => {
        const y = model.predict(x);
        const list = Array.isArray(y) ? y : [y];
        return Object.fromEntries(keys.map((k, i) => [k, { tensor: list[i]!, declared: model.outputs[i]?.shape.map((d) => d ?? 'dyn') }]));
      };
      release = () => full.dispose();
    } else {
      const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
      run = (x) => {
        if (!fetch) return { output: { tensor: model.execute(x) as tf.Tensor } };
        const y = model.execute(x, fetch);
        const list = Array.isArray(y) ? y : [y];
        return Object.fromEntries(fetch.map((k, i) => [k, { tensor: list[i]! }]));
      };
      release = () => model.dispose();
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`tfjs teacher: could not load '${path}' (${(e as Error).message.split('\n')[0]})`);
  }
  const layout: TokenLayoutOptions = {
    outputs: names ?? ['output'], cls, registers: t.registers ?? 0, patchGrid: t.patchGrid, grid: t.grid ?? opts.grid ?? 2,
    // TF.js models are channels-last unless the spec says otherwise.
    layout: t.layout ?? 'nhwc',
  };
  // The content hash (not the path) names the model: moving a file keeps its cache, changing weights does not.
  // A single output with the default layout and preprocessing keeps the old id form (existing caches stay valid).
  const plain = layout.outputs.length <= 1 && cls === 'first' && layout.registers === 0 && !layout.patchGrid && !t.layout;
  const base: TeacherIdentity = { ...modelFileIdentity('tfjs', hash, layout, plain, opts.output ?? t.outputs?.[0] ?? 'output'), ...preprocessIdentity(pre) };
  let teacher: TfjsTeacher;
  try {
    const probeTeacher = new TfjsTeacher(base, run, release, layout, pre, opts.channels);
    const blank = tf.zeros([1, pre.inputSize, pre.inputSize, opts.channels ?? 3]) as tf.Tensor4D;
    let probe: TeacherOutput;
    try { probe = probeTeacher.forward(blank); } finally { blank.dispose(); }
    const dim = probe.pooled.shape[1];
    const tokenGrid = probe.tokens ? Math.round(Math.sqrt(probe.tokens.shape[1])) : undefined;
    tf.dispose(probe as unknown as tf.TensorContainer);
    teacher = new TfjsTeacher(tokenGrid !== undefined ? { ...base, grid: tokenGrid } : base, run, release, layout, pre, opts.channels);
    teacher.embedDim = dim;
    teacher.tokenGrid = tokenGrid;
  } catch (e) {
    release();
    if (e instanceof UserError) throw e;
    throw new UserError(`tfjs teacher: '${path}' failed on a ${pre.inputSize}px input (${(e as Error).message.split('\n')[0]}); check the input size and the output name`);
  }
  return teacher;
}
