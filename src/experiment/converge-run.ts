/**
 * `tintem distill --converge`: trains the configured budget, then a run 1.5x as long from the same seed, and
 * compares the two on a held-out slice of the training images (converge.ts's rule); until they agree within the
 * noise, the longer run becomes the base and a longer one is trained. Each run is a normal run folder,
 * <run-dir>/e<epochs>.
 */
import { join } from 'node:path';
import type { DistillConfig } from '../config/schema.js';
import { writeFileAtomic } from '../util/atomic.js';
import { info } from '../util/log.js';
import { compareRuns, CONVERGE_RULE, describeCheck, longerBudget, type ConvergenceCheck, type HeldOutEmbeddings } from '../training/converge.js';
import { runDistill, type DistillRunResult } from './distill.js';

export interface ConvergeOptions {
  /** Held-out images (default 'auto': a fifth of the set, at most 256). */
  monitor?: number | 'auto';
  /** Most runs to train (default 4: E, 1.5E, 2.25E, 3.4E epochs). */
  maxRuns?: number;
  strict?: boolean;
  signal?: AbortSignal;
}

export interface ConvergeResult {
  converged: boolean;
  /** The run to use: the shorter run of the agreeing pair, else the longest trained. */
  runDir: string;
  epochs: number;
  runs: Array<{ epochs: number; runDir: string }>;
  checks: Array<{ epochs: number; longer: number; check: ConvergenceCheck }>;
  interrupted?: DistillRunResult;
}

export async function runConverge(config: DistillConfig, opts: ConvergeOptions = {}): Promise<ConvergeResult> {
  const maxRuns = opts.maxRuns ?? 4;
  info(`--converge: ${CONVERGE_RULE}`);
  const runs: ConvergeResult['runs'] = [];
  const checks: ConvergeResult['checks'] = [];
  let prev: { epochs: number; runDir: string; held: HeldOutEmbeddings } | undefined;
  let epochs = config.epochs;
  for (let r = 0; r < maxRuns; r++) {
    const runDir = join(config.runDir, `e${epochs}`);
    info(`--converge: training ${epochs} epoch${epochs === 1 ? '' : 's'} in ${runDir}`);
    let held: HeldOutEmbeddings | undefined;
    const result = await runDistill({ ...config, epochs, runDir }, {
      monitor: opts.monitor ?? 'auto', strict: opts.strict, signal: opts.signal, onHeldOut: (e) => { held = e; },
    });
    if (result.interrupted) return { converged: false, runDir, epochs, runs, checks, interrupted: result };
    runs.push({ epochs, runDir });
    if (prev && held) {
      const check = compareRuns(prev.held, held, config.seed);
      checks.push({ epochs: prev.epochs, longer: epochs, check });
      info(`--converge: ${describeCheck(prev.epochs, epochs, check)}`);
      if (check.converged) return await finish({ converged: true, runDir: prev.runDir, epochs: prev.epochs, runs, checks });
    }
    if (held) prev = { epochs, runDir, held };
    epochs = longerBudget(epochs);
  }
  const last = runs.at(-1)!;
  return finish({ converged: false, runDir: last.runDir, epochs: last.epochs, runs, checks });

  async function finish(result: ConvergeResult): Promise<ConvergeResult> {
    const record = { rule: CONVERGE_RULE, converged: result.converged, runDir: result.runDir, epochs: result.epochs, runs: result.runs, checks: result.checks };
    await writeFileAtomic(join(config.runDir, 'converge.json'), new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`));
    return result;
  }
}
