/**
 * Built-in teachers: the ImageNet-initialised trunks bundled in nsfwjs@4.3.0, loaded without nsfwjs's
 * classifier. The Keras model.json is cut at a named layer and only that trunk's weights are decoded.
 * 'inception' = InceptionV3 up to mixed5 (default teacher); 'mobilenet' = MobileNetV2 (Keras layer names,
 * the `mobilenet_v2` bundle; `mobilenet_v2_mid` is a TF-Hub graph model without them) up to block_13_expand_relu.
 */
import { formatTeacherId, type TeacherIdentity } from './identity.js';
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { cutLayersModelJson, layerNames, selectWeights, type LayersModelJson } from './kerasCut.js';
import { FeatureMapTeacher } from './featureMapTeacher.js';
import { MINUS_ONE_TO_ONE, normalizationTag } from './features.js';
import type { Teacher, TeacherOutput } from './types.js';
import type { DeferredTeacher } from './asyncTeacher.js';

export type BuiltinTeacherName = 'inception' | 'mobilenet';

interface BundledModel {
  modelJson: () => Promise<{ default: unknown }>;
  weightBundles: (() => Promise<{ default: unknown }>)[];
}

export interface BuiltinTeacherInfo {
  name: BuiltinTeacherName;
  description: string;
  /** nsfwjs subpath the model comes from. */
  module: string;
  defaultCut: string;
  /** Cuts we document and test; any layer name of the model is accepted. */
  suggestedCuts: string[];
  defaultInputSize: number;
}

/**
 * Default input sizes are the smallest that keep a spatial map at the cut (InceptionV3 at 75 px, Keras's
 * minimum: mixed5 is 3x3; MobileNetV2 at 64 px: block 13 is 4x4), because teacher forwards dominate cost and
 * MNIST-scale demos must embed tens of thousands of 28 px images in minutes on two CPU cores.
 */
export const BUILTIN_TEACHERS: Record<BuiltinTeacherName, BuiltinTeacherInfo> = {
  inception: {
    name: 'inception', description: 'InceptionV3 trunk (nsfwjs), cut at mixed5, 768-d',
    module: 'nsfwjs/models/inception_v3', defaultCut: 'mixed5', suggestedCuts: ['mixed5', 'mixed4', 'mixed7'], defaultInputSize: 75,
  },
  mobilenet: {
    name: 'mobilenet', description: 'MobileNetV2 trunk (nsfwjs), cut at block_13_expand_relu, 576-d',
    module: 'nsfwjs/models/mobilenet_v2', defaultCut: 'block_13_expand_relu', suggestedCuts: ['block_13_expand_relu', 'block_10_project_BN'], defaultInputSize: 64,
  },
};

export interface NsfwTeacherOptions {
  cut?: string;
  inputSize?: number;
  grid?: number;
}

async function importBundle(module: string): Promise<BundledModel> {
  const mod = (await import(module)) as Record<string, BundledModel>;
  const model = Object.values(mod).find((v) => typeof v?.modelJson === 'function');
  if (!model) throw new UserError(`${module}: no bundled model found (is nsfwjs@4.3.0 installed?)`);
  return model;
}

/** The full model.json of a built-in (for listing layer names). */
export async function builtinModelJson(name: BuiltinTeacherName): Promise<LayersModelJson> {
  const bundle = await importBundle(BUILTIN_TEACHERS[name].module);
  return (await bundle.modelJson()).default as LayersModelJson;
}

/** Loads the built-in trunk cut at `cut` as a tf.LayersModel accepting any input size. */
export async function loadBuiltinTrunk(name: BuiltinTeacherName, cut: string): Promise<tf.LayersModel> {
  const bundle = await importBundle(BUILTIN_TEACHERS[name].module);
  const json = (await bundle.modelJson()).default as LayersModelJson;
  const { json: cutJson, keptLayers } = cutLayersModelJson(json, cut);
  const shards: Buffer[] = [];
  for (const load of bundle.weightBundles) shards.push(Buffer.from(String((await load()).default), 'base64'));
  const weights = selectWeights(cutJson.weightsManifest, new Uint8Array(Buffer.concat(shards)), keptLayers);
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: cutJson.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: weights.specs,
    weightData: weights.data,
  }));
}

/** Widths of the documented cuts, so a lazy teacher can report embedDim before loading. */
const KNOWN_DIMS: Record<string, number> = {
  'inception:mixed4': 768, 'inception:mixed5': 768, 'inception:mixed7': 768,
  'mobilenet:block_13_expand_relu': 576, 'mobilenet:block_10_project_BN': 96,
};

/** A built-in trunk as a teacher; with `lazy`, weights load on the first forwardTeacher()/load(). */
class NsfwTeacher implements DeferredTeacher {
  readonly id: string;
  readonly identity: TeacherIdentity;
  readonly inputSize: number;
  readonly tokenGrid: number;
  private inner?: Teacher;

  constructor(private readonly name: BuiltinTeacherName, private readonly cut: string, inputSize: number, grid: number) {
    this.inputSize = inputSize;
    this.tokenGrid = grid;
    this.identity = { model: `${name}@nsfwjs-4.3.0:${cut}`, inputSize, normalization: normalizationTag(MINUS_ONE_TO_ONE), grid };
    this.id = formatTeacherId(this.identity);
  }

  get loaded(): boolean { return this.inner !== undefined; }

  get embedDim(): number {
    const dim = this.inner?.embedDim ?? KNOWN_DIMS[`${this.name}:${this.cut}`];
    if (dim === undefined) throw new Error(`teacher ${this.id}: embedDim is known after load()`);
    return dim;
  }

  async load(): Promise<void> {
    if (this.inner) return;
    const model = await loadBuiltinTrunk(this.name, this.cut);
    try {
      const inner = FeatureMapTeacher.create({
        identity: { ...this.identity, grid: undefined }, inputSize: this.inputSize, grid: this.tokenGrid, normalization: MINUS_ONE_TO_ONE,
        run: (x) => model.predict(x) as tf.Tensor,
        release: () => model.dispose(),
      });
      if (inner.id !== this.id) throw new UserError(`teacher '${this.name}' cut at '${this.cut}' gives no spatial map; pick a convolutional layer`);
      this.inner = inner;
    } catch (e) {
      model.dispose();
      // Too small an input for the cut makes a valid-padding conv fail; say which option to change.
      if (e instanceof UserError) throw e;
      throw new UserError(`teacher '${this.name}' cut at '${this.cut}' cannot run at input size ${this.inputSize} (${(e as Error).message.split('\n')[0]}); use a larger --input-size`);
    }
  }

  forward(images: tf.Tensor4D): TeacherOutput {
    if (!this.inner) throw new Error(`teacher ${this.id} is not loaded yet: await load() or use forwardTeacher()`);
    return this.inner.forward(images);
  }

  dispose(): void {
    this.inner?.dispose();
    this.inner = undefined;
  }
}

export interface NsfwTeacherOptionsWithLazy extends NsfwTeacherOptions {
  /** Defer loading the weights to the first forwardTeacher()/load() (cache hits then never load them). */
  lazy?: boolean;
}

export async function createNsfwTeacher(name: BuiltinTeacherName, opts: NsfwTeacherOptionsWithLazy = {}): Promise<DeferredTeacher> {
  const info = BUILTIN_TEACHERS[name];
  const cut = opts.cut ?? info.defaultCut;
  const inputSize = opts.inputSize ?? info.defaultInputSize;
  const grid = opts.grid ?? 2;
  if (!Number.isInteger(inputSize) || inputSize < 32) throw new UserError(`--input-size: expected an integer >= 32 for teacher '${name}', got ${inputSize}`);
  if (!Number.isInteger(grid) || grid < 1) throw new UserError(`--grid: expected a positive integer, got ${grid}`);
  // The topology is small (no weights): check the cut now so a bad layer name fails before any work.
  const json = await builtinModelJson(name);
  if (!layerNames(json).includes(cut)) cutLayersModelJson(json, cut);
  const teacher = new NsfwTeacher(name, cut, inputSize, grid);
  if (!opts.lazy) await teacher.load();
  return teacher;
}

export { layerNames };
