/**
 * A traced training step, written as a SavedModel and run through the tfjs-node binding: one native call
 * per step instead of thousands of eager kernels. State stays in the tf.Variables: their current values go
 * in, the new values come out and are swapped into the variables (no copies), so checkpoints, export and
 * eager fallback see the same variables as before.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../index.js';
import type { NativeBackend } from './native.js';
import type { StepTrace } from './recorder.js';
import { writeSavedModel } from './saved-model.js';

export class CompiledStep {
  private readonly modelId: number;
  private readonly dir: string;
  private readonly inputNames: string;
  private readonly outputNames: string;
  private disposed = false;

  constructor(private readonly backend: NativeBackend, readonly trace: StepTrace, dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'tintem-graph-'));
    writeSavedModel(this.dir, trace.nodes);
    this.modelId = backend.binding.loadSavedModel(this.dir, 'serve');
    this.inputNames = [...trace.stateInputs.map((s) => s.name), ...trace.dataInputs].join(',');
    this.outputNames = [...trace.stateOutputs.map((s) => s.endpoint), ...trace.resultEndpoints].join(',');
    // For inspecting a step's graph (e.g. profiling it with TensorFlow's tools): a copy and its feeds/fetches.
    const keep = process.env.TINTEM_GRAPH_KEEP;
    if (keep) {
      cpSync(this.dir, keep, { recursive: true });
      writeFileSync(join(keep, 'feeds-fetches.json'), `${JSON.stringify({ feeds: this.inputNames.split(','), fetches: this.outputNames.split(',') })}\n`);
    }
  }

  /** Runs one step on `data` (same order, shapes and dtypes as traced); returns the step's results. */
  run(data: tf.Tensor[]): tf.Tensor[] {
    if (this.disposed) throw new Error('CompiledStep: used after dispose');
    const ids = this.backend.getInputTensorIds([...this.trace.stateInputs.map((s) => s.variable), ...data]);
    const metas = this.backend.binding.runSavedModel(this.modelId, ids, this.inputNames, this.outputNames);
    const outs = metas.map((m) => this.backend.createOutputTensor(m));
    const n = this.trace.stateOutputs.length;
    this.trace.stateOutputs.forEach((s, i) => {
      s.variable.assign(outs[i]!);
      outs[i]!.dispose();
    });
    return outs.slice(n);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.backend.binding.deleteSavedModel(this.modelId);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
