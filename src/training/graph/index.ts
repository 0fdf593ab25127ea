/**
 * Chooses, per training run, between the eager step and a graph-compiled one (see recorder.ts and
 * compiled-step.ts). In 'auto' and 'graph' mode the first step of each input shape is recorded eagerly, the
 * state is put back as it was, and the same step then runs as the compiled graph, so every step of a graph
 * run comes from the graph (a resumed run repeats an uninterrupted one bit for bit). A step that cannot be
 * one graph falls back to eager for the rest of the run, with one line saying why.
 */
import { tf } from '../../backend/index.js';
import { CompiledStep } from './compiled-step.js';
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
}

export class Stepper {
  private readonly backend?: NativeBackend;
  private readonly compiled = new Map<string, CompiledStep>();
  private disabledReason?: string;
  /** Kernels in the recorded step (0 until one is recorded). */
  kernels = 0;

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
      const outcome = traceStep(this.backend, data, eager);
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
      this.compiled.set(key, compiled);
      tf.dispose(outcome.results);
      variables.forEach((v, i) => { if (!v.isDisposed) v.assign(saved[i]!); });
      try {
        return { results: compiled.run(data), graph: true };
      } catch (e) {
        // The state is back as before the step, so the eager step can run it instead.
        this.compiled.delete(key);
        compiled.dispose();
        this.disable(`TensorFlow could not run the recorded step: ${(e as Error).message.split('\n')[0]}`);
        return { results: eager(), graph: false };
      }
    } finally {
      tf.dispose(saved);
    }
  }

  dispose(): void {
    for (const c of this.compiled.values()) c.dispose();
    this.compiled.clear();
  }
}
