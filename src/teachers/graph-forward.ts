/**
 * A tfjs teacher's forward pass as one TensorFlow graph per input size (src/backend/graph, the recorder that
 * compiles training steps): the first batch runs eagerly while it is recorded, and every later batch is one
 * native call instead of hundreds of eager kernels, about 2x the eager rate for the built-in InceptionV3 trunk
 * (bench/teacher-throughput). A batch at least half the largest so far is zero-padded up to it, so one graph
 * serves a whole pass, the last partial batch included (the teachers are per-image: inference-mode
 * normalisation); other sizes get a graph each, up to a few. A forward that cannot be one graph (a host read inside it, a backend other than tfjs-node)
 * runs eagerly, with one line saying why; TINTEM_TEACHER_GRAPH=0 asks for eager.
 */
import { tf } from '../backend/index.js';
import { graphAvailability, Stepper } from '../backend/graph/index.js';
import { info } from '../util/log.js';
import type { TeacherOutput } from './types.js';

type Field = 'pooled' | 'tokens' | 'logits';
const FIELDS: Field[] = ['pooled', 'tokens', 'logits'];
const MAX_GRAPHS = 4;

export class GraphForward {
  private stepper?: Stepper;
  private eagerOnly: boolean;
  /** Largest batch so far per image shape (H x W x C), and the shapes compiled. */
  private readonly largest = new Map<string, number>();
  private readonly compiled = new Set<string>();
  private fields?: Field[];

  constructor(private readonly label: string) {
    this.eagerOnly = process.env.TINTEM_TEACHER_GRAPH === '0';
  }

  /** Whether forwards currently go through the graph. */
  get active(): boolean {
    return !this.eagerOnly && this.stepper?.path === 'graph' && this.compiled.size > 0;
  }

  run(images: tf.Tensor4D, eager: (x: tf.Tensor4D) => TeacherOutput): TeacherOutput {
    if (this.eagerOnly || images.dtype !== 'float32' || images.shape[0] === 0) return eager(images);
    if (!this.stepper) {
      if (!graphAvailability().available) {
        this.eagerOnly = true;
        return eager(images);
      }
      this.stepper = new Stepper({ mode: 'auto', onFallback: (reason) => info(`teacher ${this.label}: inference runs eagerly (${reason})`) });
    }
    if (this.stepper.path === 'eager') return eager(images);
    const [n, h, w, c] = images.shape;
    const key = `${h}x${w}x${c}`;
    const largest = this.largest.get(key) ?? 0;
    // Same size as the largest batch so far, or at least half of it (padded up): the graph there is reused.
    if (n <= largest && 2 * n >= largest) {
      if (n === largest) return this.full(images, eager);
      const out = tf.tidy(() => this.full(tf.concat([images, tf.zeros([largest - n, h, w, c])]) as tf.Tensor4D, eager) as unknown as tf.TensorContainer) as unknown as TeacherOutput;
      return this.mapFields(out, (t) => t.slice(0, n));
    }
    // A size with its own graph, or a new one: up to a few graphs per teacher (each holds a copy of the weights).
    const shape = `${key}x${n}`;
    if (!this.compiled.has(shape)) {
      if (this.compiled.size >= MAX_GRAPHS) return eager(images);
      this.compiled.add(shape);
    }
    if (n > largest) this.largest.set(key, n);
    return this.full(images, eager);
  }

  /** Applies `f` to every output tensor, disposing the inputs. */
  private mapFields(out: TeacherOutput, f: (t: tf.Tensor) => tf.Tensor): TeacherOutput {
    const mapped: Partial<TeacherOutput> = {};
    for (const k of FIELDS) {
      const t = out[k];
      if (!t) continue;
      (mapped as Record<Field, tf.Tensor>)[k] = f(t);
      t.dispose();
    }
    return mapped as TeacherOutput;
  }

  private full(images: tf.Tensor4D, eager: (x: tf.Tensor4D) => TeacherOutput): TeacherOutput {
    const { results } = this.stepper!.step([images], () => {
      const out = eager(images);
      this.fields ??= FIELDS.filter((f) => out[f] !== undefined);
      return this.fields.map((f) => out[f]!);
    });
    const out: Partial<TeacherOutput> = {};
    this.fields!.forEach((f, i) => { (out as Record<Field, tf.Tensor>)[f] = results[i]!; });
    return out as TeacherOutput;
  }

  dispose(): void {
    this.stepper?.dispose();
    this.stepper = undefined;
  }
}
