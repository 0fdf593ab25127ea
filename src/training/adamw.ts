/**
 * AdamW with decoupled weight decay (Loshchilov & Hutter, 2019) on tf.Variables:
 *   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
 *   p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p)
 * tf.train.adam has no decoupled decay, hence this small optimiser. Biases and normalisation parameters
 * (recognised by variable name) get no decay. The learning rate is set per step by the schedule.
 * The learning rate and the step count live in scalar variables and the bias corrections are computed from
 * them on the device, so one update has no host-made per-step values: a recorded step (src/backend/graph)
 * stays valid for every later step, and the eager step needs no host sync.
 */
import { tf } from '../backend/index.js';
import { UserError } from '../util/errors.js';

export interface AdamWOptions {
  lr: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Which variables skip weight decay; defaults to {@link isNoDecayName}. */
  noDecay?: (variable: tf.Variable) => boolean;
}

/** Optimiser state as plain arrays, in the order of the variables the optimiser was built with. */
export interface AdamWState {
  step: number;
  m: Float32Array[];
  v: Float32Array[];
  shapes: number[][];
}

/** Biases and norm parameters by name: 'dense_Dense1/bias', 'layer_norm/gamma', '.../beta', anything with 'norm'. */
export function isNoDecayName(name: string): boolean {
  const n = name.toLowerCase();
  return n.includes('bias') || n.includes('gamma') || n.includes('beta') || n.includes('norm');
}

export class AdamW {
  readonly variables: tf.Variable[];
  readonly decays: boolean[];
  lr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** First and second moments of all variables, concatenated flat (one update over few tensors). */
  private readonly m: tf.Variable;
  private readonly v: tf.Variable;
  /** Element count of each variable: its segment of the flat moments. */
  private readonly sizes: number[];
  /** The learning rate and update count as scalars the update reads (see the file comment). */
  private readonly lrVar: tf.Variable;
  private readonly stepVar: tf.Variable;

  constructor(variables: tf.Variable[], opts: AdamWOptions) {
    this.variables = variables;
    this.lr = opts.lr;
    this.weightDecay = opts.weightDecay ?? 0;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    const noDecay = opts.noDecay ?? ((v: tf.Variable) => isNoDecayName(v.name));
    this.decays = variables.map((v) => !noDecay(v));
    this.sizes = variables.map((v) => v.size);
    const total = this.sizes.reduce((a, b) => a + b, 0);
    // tidy frees the zeros tensors; the variables keep their own reference to the data.
    this.m = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.v = tf.tidy(() => tf.variable(tf.zeros([total]), false));
    this.lrVar = tf.tidy(() => tf.variable(tf.scalar(this.lr), false));
    this.stepVar = tf.tidy(() => tf.variable(tf.scalar(0), false));
  }

  /** Number of updates applied so far (t in the bias correction). */
  get step(): number {
    // Read from the step variable: a compiled step (src/backend/graph) advances it without this class.
    return this.stepVar.dataSync()[0]!;
  }

  setLearningRate(lr: number): void {
    if (lr === this.lr) return;
    this.lr = lr;
    tf.tidy(() => this.lrVar.assign(tf.scalar(lr)));
  }


  /** Applies one update from gradients keyed by variable name (as tf.variableGrads returns them). */
  applyGradients(grads: tf.NamedTensorMap): void {
    tf.tidy(() => {
      const t = tf.add(this.stepVar, 1);
      this.stepVar.assign(t);
      const b1 = tf.scalar(this.beta1), b2 = tf.scalar(this.beta2);
      const ob1 = tf.scalar(1 - this.beta1), ob2 = tf.scalar(1 - this.beta2);
      const eps = tf.scalar(this.epsilon);
      // 1 / (1 - beta^t), on the device from the step variable.
      const c1 = tf.div(1, tf.sub(1, tf.pow(b1, t)));
      const c2 = tf.div(1, tf.sub(1, tf.pow(b2, t)));
      const lr = this.lrVar;
      const wd = tf.scalar(this.weightDecay);
      if (this.variables.length === 0) return;
      // The element-wise update over all variables at once: a few kernels per step instead of ~16 per variable
      // (the same float operations per element, so the same numbers as updating each variable on its own).
      const gs = this.variables.map((p) => grads[p.name]);
      const g = tf.concat(gs.map((x, i) => (x ? tf.reshape(x, [-1]) : tf.zeros([this.sizes[i]!]))));
      let m = tf.add(tf.mul(b1, this.m), tf.mul(ob1, g));
      let v = tf.add(tf.mul(b2, this.v), tf.mul(ob2, tf.square(g)));
      if (gs.some((x) => !x)) {
        // A variable not reached by the loss: Adam leaves it (and its moments) alone.
        const keep = (fresh: tf.Tensor, old: tf.Tensor) => {
          const a = tf.split(fresh, this.sizes), o = tf.split(old, this.sizes);
          return tf.concat(gs.map((x, i) => (x ? a[i]! : o[i]!)));
        };
        m = keep(m, this.m);
        v = keep(v, this.v);
      }
      this.m.assign(m);
      this.v.assign(v);
      const update = tf.div(tf.mul(m, c1), tf.add(tf.sqrt(tf.mul(v, c2)), eps));
      const parts = this.variables.length > 1 ? tf.split(update, this.sizes) : [update];
      this.variables.forEach((p, i) => {
        if (!gs[i]) return;
        let u = tf.reshape(parts[i]!, p.shape);
        if (this.decays[i] && this.weightDecay !== 0) u = tf.add(u, tf.mul(wd, p));
        p.assign(tf.sub(p, tf.mul(lr, u)));
      });
    });
  }

  /**
   * Computes the gradients of `loss` with respect to every variable and applies one update.
   * Returns the loss value (kept; the caller disposes it).
   */
  minimize(loss: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, this.variables);
    try {
      this.applyGradients(grads);
    } finally {
      tf.dispose(grads);
    }
    return value;
  }

  exportState(): AdamWState {
    const segments = (flat: tf.Variable) => {
      const all = flat.dataSync() as Float32Array;
      let at = 0;
      return this.sizes.map((n) => all.slice(at, (at += n)));
    };
    return { step: this.step, m: segments(this.m), v: segments(this.v), shapes: this.variables.map((x) => x.shape.slice()) };
  }

  /** Restores a state exported by an optimiser over variables of the same shapes, in the same order. */
  importState(state: AdamWState, source = 'optimizer state'): void {
    const n = this.variables.length;
    if (state.m.length !== n || state.v.length !== n) {
      throw new UserError(`${source}: has ${state.m.length} moment tensors, expected ${n} (different model or method)`);
    }
    this.variables.forEach((x, i) => {
      const shape = state.shapes[i] ?? [];
      if (shape.join('x') !== x.shape.join('x') || state.m[i]!.length !== x.size || state.v[i]!.length !== x.size) {
        throw new UserError(`${source}: moment ${i} has shape [${shape}], expected [${x.shape}] (different model or method)`);
      }
    });
    const flat = (parts: Float32Array[]) => {
      const out = new Float32Array(this.m.size);
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    };
    tf.tidy(() => {
      this.m.assign(tf.tensor1d(flat(state.m)));
      this.v.assign(tf.tensor1d(flat(state.v)));
      this.stepVar.assign(tf.scalar(state.step));
    });
  }

  dispose(): void {
    tf.dispose([this.m, this.v, this.lrVar, this.stepVar]);
  }
}
