/**
 * A Teacher around any synchronous image -> features function. It resizes/normalises the input, and turns the
 * model output into pooled (GAP of a 4-D map, or the 2-D output as is) and tokens (grid x grid adaptive pool).
 */
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';
import { assertGridFits } from './options.js';
import { mapToOutputs, prepareImages, type Normalization } from './features.js';
import { GraphForward } from './graph-forward.js';
import type { Teacher, TeacherOutput } from './types.js';
import { formatTeacherId, type TeacherIdentity } from './identity.js';

export interface FeatureMapTeacherOptions {
  /** Identity for cache keys: model, cut, input size, preprocessing; the grid is added here. */
  identity: TeacherIdentity;
  inputSize: number;
  /** Token grid side (T = grid^2); only used when the model output is a 4-D map. */
  grid: number;
  normalization: Normalization;
  channels?: 1 | 3;
  /** Runs the model on a prepared NHWC batch; returns N x H x W x C or N x C. */
  run: (x: tf.Tensor4D) => tf.Tensor;
  release: () => void;
  /** Run the forward pass as a compiled graph where possible (graph-forward.ts); default true. */
  graph?: boolean;
}

/** Output of a model as teacher outputs (4-D: map -> pooled + tokens; 2-D: pooled only). */
export function featuresToOutput(y: tf.Tensor, grid: number, source: string): TeacherOutput {
  if (y.rank === 4) {
    assertGridFits(grid, y.shape[1]!, y.shape[2]!, source);
    return mapToOutputs(y as tf.Tensor4D, grid);
  }
  if (y.rank === 2) return { pooled: y as tf.Tensor2D };
  throw new UserError(`${source}: expected a 4-D feature map or a 2-D embedding, got an output of shape [${y.shape.join(', ')}]`);
}

export class FeatureMapTeacher implements Teacher {
  readonly id: string;
  readonly identity: TeacherIdentity;
  readonly embedDim: number;
  readonly tokenGrid?: number;
  readonly inputSize: number;
  private readonly graph?: GraphForward;

  private constructor(private readonly opts: FeatureMapTeacherOptions, embedDim: number, hasTokens: boolean) {
    this.identity = hasTokens ? { ...opts.identity, grid: opts.grid } : opts.identity;
    this.id = formatTeacherId(this.identity);
    if (opts.graph !== false) this.graph = new GraphForward(this.identity.model);
    this.inputSize = opts.inputSize;
    this.embedDim = embedDim;
    this.tokenGrid = hasTokens ? opts.grid : undefined;
  }

  /**
   * Probes the model once on a blank image to learn its width and whether it yields a spatial map.
   * On failure the caller still owns the model and must release it.
   */
  static create(opts: FeatureMapTeacherOptions): FeatureMapTeacher {
    const probe = tf.tidy(() => opts.run(prepareImages(tf.zeros([1, opts.inputSize, opts.inputSize, opts.channels ?? 3]), opts.inputSize, opts.normalization, opts.channels)));
    const shape = probe.shape;
    probe.dispose();
    if (shape.length !== 2 && shape.length !== 4) {
      throw new UserError(`teacher ${formatTeacherId(opts.identity)}: expected a 4-D feature map or a 2-D embedding, got shape [${shape.join(', ')}]`);
    }
    return new FeatureMapTeacher(opts, shape[shape.length - 1]!, shape.length === 4);
  }

  forward(images: tf.Tensor4D): TeacherOutput {
    return this.graph ? this.graph.run(images, (x) => this.eagerForward(x)) : this.eagerForward(images);
  }

  private eagerForward(images: tf.Tensor4D): TeacherOutput {
    return tf.tidy(() => {
      const x = prepareImages(images, this.opts.inputSize, this.opts.normalization, this.opts.channels);
      return featuresToOutput(this.opts.run(x), this.opts.grid, formatTeacherId(this.opts.identity)) as unknown as tf.TensorContainer;
    }) as unknown as TeacherOutput;
  }

  dispose(): void {
    this.graph?.dispose();
    this.opts.release();
  }
}
