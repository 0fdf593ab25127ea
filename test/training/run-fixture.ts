/** A finished run folder written through the run-folder module, from a tiny model (not a test file itself). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { tf } from '../../src/backend/index.js';
import { configToYaml } from '../../src/config/load.js';
import { createMethod } from '../../src/methods/index.js';
import { parseDistillConfig } from '../../src/training/config.js';
import { RUN_FILES, saveRunOutputs, startRunIdentity, type RunSummary } from '../../src/training/run-folder.js';
import { tinyStudentModel } from '../export/fixtures.js';

export interface FakeRun { dir: string; model: tf.LayersModel; summary: RunSummary }

/** student: tinyStudentModel 8 px, 1 channel, d = 6; method tintem over a 32-d teacher; data noise:60. */
export async function fakeRun(dir = mkdtempSync(join(tmpdir(), 'tintem-run-'))): Promise<FakeRun> {
  mkdirSync(dir, { recursive: true });
  const model = tinyStudentModel({ size: 8, channels: 1, dim: 6, seed: 8 });
  const config = parseDistillConfig({ teacher: 'random:3', data: { train: 'noise:60' }, method: { name: 'proteus' }, runDir: dir });
  const runId = await startRunIdentity(dir);
  writeFileSync(join(dir, RUN_FILES.config), configToYaml(config));
  writeFileSync(join(dir, RUN_FILES.log), `${JSON.stringify({ epoch: 1, step: 1, lr: 0.001, loss: 1, terms: { a: 1 } })}\n`);
  // summary.json's method must match method-state/variables.json, which the run folder cross-checks.
  const method = await createMethod({ name: 'tintem' }, { teacherDim: 32, studentDim: 6, teacherTokens: false, seed: 0 });
  const spec = { kind: 'cnn' as const, inputSize: 8, channels: 1 as const, embedDim: 6, stemWidth: 8, stemStride: 2 as const, widthMultipliers: [1], blocksPerStage: [1] };
  const summary = await saveRunOutputs(dir, runId, model, method, {
    teacher: { id: 'random:3/pool@28/unit', spec: 'random:3', embedDim: 32, tokenCount: 0 },
    method: { name: 'tintem', weights: { ...method.weights }, taus: [0.1] },
    student: { spec, params: 100 },
    data: { train: 'noise:60', count: 60, name: 'noise', sha256: '0'.repeat(64) },
    epochs: 1, steps: 1, batchSize: 60, seed: 0, firstEpochTerms: { a: 1 }, finalTerms: { a: 1 }, epochMeans: [{ a: 1 }],
    trainSeconds: 1, imagesPerSec: 60, cache: { hits: 0, misses: 60, seconds: 1 }, backend: 'tensorflow',
  });
  method.dispose();
  return { dir, model, summary };
}
