/**
 * Chooses, per training run, between the eager step and a graph-compiled one (see recorder.ts and
 * compiled-step.ts). In 'auto' and 'graph' mode the first step of each input shape is recorded eagerly, the
 * state is put back as it was, and the same step then runs as the compiled graph, so every step of a graph
 * run comes from the graph (a resumed run repeats an uninterrupted one bit for bit). A step that cannot be
 * one graph falls back to eager for the rest of the run, with one line saying why.
 */
import { tf } from '../index.js';
import { UserError } from '../../util/errors.js';
import { CompiledStep } from './compiled-step.js';
import type { Precision } from '../precision.js';
import { nativeBackend, type NativeBackend } from './native.js';
import { traceStep } from './recorder.js';

export type StepPath = 'auto' | 'graph' | 'eager';

export interface GraphAvailability { available: boolean; reason?: string }

/** Whether graph training can run in this process (native backend with the binding calls it uses). */
export function graphAvailability(): GraphAvailability {
  const n = nativeBackend();
  return 'backend' in n ? { available: true } : { available: false, reason: n.reason };
}

export interface StepperOptions {
  mode: StepPath;
  /** Called once when the run leaves (or never reaches) the graph path. */
  onFallback?: (reason: string) => void;
  /** Mode 'graph' only: leaving the graph path is a UserError instead of a fallback (the user asked for it). */
  strict?: boolean;
  /**
   * 'bf16': the compiled step runs convolutions and matmuls in bfloat16 (recorder.ts); the eager path, and so
   * the eager step a graph is recorded from, stays float32. Default 'fp32'.
   */
  precision?: Precision;
}

/**
 * Relative L2 tolerance of the first graph step against the eager one. fp32: float32 rounding of a step (see
 * firstMismatch). bf16: the graph rounds every conv / matmul operand to 8 significant bits (relative error
 * 2^-9 each), and with float32 accumulation a product's error stays a few times that, ~1e-2 after a deep
 * network's forward and backward; 5e-2 passes that and still catches a wrong graph (off by O(1)).
 */
const MATCH_TOLERANCE: Record<Precision, number> = { fp32: 1e-3, bf16: 5e-2 };

/**
 * The first pair of tensors that differ by more than float32 rounding of a step can explain, in the L2 sense:
 * |a - b| > tolerance |a| + 1e-6 sqrt(n) (tolerance 1e-3 in fp32, see MATCH_TOLERANCE). Not element by element on purpose: graph and eager kernels may order sums
 * differently, and Adam's first update is about sign(g), which flips for gradients near 0; a wrong graph is off
 * by far more.
 */
function firstMismatch(a: tf.Tensor[], b: tf.Tensor[], names: string[], tolerance = 1e-3): string | undefined {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!.dataSync(), y = b[i]!.dataSync();
    let diff = 0, norm = 0;
    for (let j = 0; j < x.length; j++) {
      diff += (x[j]! - y[j]!) ** 2;
      norm += x[j]! ** 2;
    }
    diff = Math.sqrt(diff);
    norm = Math.sqrt(norm);
    if (!(diff <= tolerance * norm + 1e-6 * Math.sqrt(x.length))) return `${names[i]} differ by ${diff.toExponential(2)} (L2) at norm ${norm.toExponential(2)}`;
  }
  return undefined;
}

/** All of `ts` as one flat vector (a new tensor the caller disposes). */
function flatConcat(ts: tf.Tensor[]): tf.Tensor {
  return tf.tidy(() => (ts.length ? tf.concat(ts.map((t) => tf.reshape(tf.cast(t, 'float32'), [-1]))) : tf.zeros([0])));
}

export class Stepper {
  private readonly backend?: NativeBackend;
  private readonly compiled = new Map<string, CompiledStep>();
  private disabledReason?: string;
  /** Kernels in the recorded step (0 until one is recorded). */
  kernels = 0;
  /** Of those, the kernels the compiled step runs in bfloat16 (precision 'bf16' only). */
  bf16Kernels = 0;

  constructor(private readonly opts: StepperOptions) {
    if (opts.mode === 'eager') {
      this.disabledReason = 'eager training was requested';
      return;
    }
    const n = nativeBackend();
    if ('backend' in n) this.backend = n.backend;
    else this.disable(n.reason);
  }

  /** 'graph' while steps run (or will run) as a graph, else 'eager'. */
  get path(): 'graph' | 'eager' {
    return this.disabledReason ? 'eager' : 'graph';
  }

  /** Why the run is on the eager path, when it is. */
  get reason(): string | undefined {
    return this.disabledReason;
  }

  private disable(reason: string): void {
    if (this.disabledReason) return;
    if (this.opts.strict && this.opts.mode === 'graph') {
      throw new UserError(`trainStep: graph: this step cannot run as one graph: ${reason}; use trainStep auto or eager`);
    }
    this.disabledReason = reason;
    if (this.opts.mode !== 'eager') this.opts.onFallback?.(reason);
  }

  /**
   * One training step on `data`: `eager` runs it eagerly and returns its results (kept tensors the caller
   * disposes). Returns the results and whether the graph ran it.
   */
  step(data: tf.Tensor[], eager: () => tf.Tensor[]): { results: tf.Tensor[]; graph: boolean } {
    if (this.disabledReason || !this.backend) return { results: eager(), graph: false };
    const key = data.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(' ');
    const ready = this.compiled.get(key);
    if (ready) return { results: ready.run(data), graph: true };

    // Keep the state as it was (clones share the data; assign swaps data, never writes into it).
    const variables = Object.values(tf.engine().state.registeredVariables) as tf.Variable[];
    const saved = variables.map((v) => tf.clone(v));
    try {
      const precision = this.opts.precision ?? 'fp32';
      const outcome = traceStep(this.backend, data, eager, { bf16: precision === 'bf16' });
      if ('reason' in outcome) {
        this.disable(outcome.reason);
        return { results: outcome.results, graph: false };
      }
      let compiled: CompiledStep;
      try {
        compiled = new CompiledStep(this.backend, outcome.trace);
      } catch (e) {
        this.disable(`TensorFlow did not accept the recorded step: ${(e as Error).message.split('\n')[0]}`);
        return { results: outcome.results, graph: false };
      }
      this.kernels = outcome.trace.kernels;
      this.bf16Kernels = outcome.trace.bf16Kernels;
      // The eager step's outcome, to check the graph's first step against.
      const eagerState = outcome.trace.stateOutputs.map((s) => tf.clone(s.variable));
      variables.forEach((v, i) => { if (!v.isDisposed) v.assign(saved[i]!); });
      let results: tf.Tensor[];
      try {
        results = compiled.run(data);
      } catch (e) {
        // The state is back as before the step, so the eager step can run it instead.
        compiled.dispose();
        tf.dispose([...eagerState, ...outcome.results]);
        this.disable(`TensorFlow could not run the recorded step: ${(e as Error).message.split('\n')[0]}`);
        return { results: eager(), graph: false };
      }
      // The results one by one; the variables as one state vector: Adam's first update is ~lr sign(g) whatever
      // |g|, so a variable whose gradient is 0 up to rounding (an attention layer's key bias: softmax ignores a
      // per-row constant; a BatchNorm beta in bf16) differs between any two kernel orders by ~lr, all of it.
      const tolerance = MATCH_TOLERANCE[precision];
      const mismatch = firstMismatch(outcome.results, results, ['the step results'], tolerance) ?? (() => {
        const flat = [flatConcat(eagerState), flatConcat(outcome.trace.stateOutputs.map((s) => s.variable))];
        try {
          return firstMismatch([flat[0]!], [flat[1]!], [`the ${eagerState.length} variable${eagerState.length === 1 ? '' : 's'} the step sets`], tolerance);
        } finally {
          tf.dispose(flat);
        }
      })();
      if (mismatch) {
        // Trust the eager step: put its state back in place of the graph's.
        outcome.trace.stateOutputs.forEach((s, i) => s.variable.assign(eagerState[i]!));
        tf.dispose([...eagerState, ...results]);
        compiled.dispose();
        this.disable(`the graph step does not match the eager step (${mismatch})`);
        return { results: outcome.results, graph: false };
      }
      tf.dispose([...eagerState, ...outcome.results]);
      this.compiled.set(key, compiled);
      return { results, graph: true };
    } finally {
      tf.dispose(saved);
    }
  }

  dispose(): void {
    for (const c of this.compiled.values()) c.dispose();
    this.compiled.clear();
  }
}

/**
 * Whether graph training works here, by doing it: two steps of a one-variable update, the second through a
 * compiled SavedModel, checked against the values worked out by hand. For `tintem doctor`.
 */
export function probeGraphTraining(): GraphAvailability {
  const base = graphAvailability();
  if (!base.available) return base;
  let reason: string | undefined;
  const stepper = new Stepper({ mode: 'graph', onFallback: (r) => { reason = r; } });
  const v = tf.variable(tf.tensor1d([1, 2, 3]), true);
  const x = tf.tensor1d([0.5, 0.5, 0.5]);
  try {
    let graph = false;
    for (let i = 0; i < 2; i++) {
      const r = stepper.step([x], () => [tf.tidy(() => {
        const y = tf.add(tf.mul(v, x), 1) as tf.Tensor1D;
        v.assign(y);
        return tf.sum(y);
      })]);
      graph = r.graph;
      tf.dispose(r.results);
    }
    if (reason) return { available: false, reason };
    const got = Array.from(v.dataSync());
    // v <- 0.5 v + 1, twice, from [1, 2, 3].
    if (!graph || got.join() !== [1.75, 2, 2.25].join()) return { available: false, reason: `the compiled probe step gave [${got}], expected [1.75,2,2.25]` };
    return { available: true };
  } catch (e) {
    return { available: false, reason: (e as Error).message.split('\n')[0] };
  } finally {
    stepper.dispose();
    tf.dispose([v, x]);
  }
}
