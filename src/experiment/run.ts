/**
 * Loads a finished `tintem distill` run folder back for evaluation: the student model, the method with its
 * trained variables (TinTeM's teacher head, the baselines' projectors) and the run's summary/config.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import type { DistillConfig } from '../config/schema.js';
import { loadLayersModelDir } from '../export/load.js';
import { parseConfigText } from '../config/load.js';
import { DEFAULT_TAUS } from '../methods/defaults.js';
import { createMethod, getMethodEntry, isMethodName, methodSettingsSchema } from '../methods/registry.js';
import type { DistillMethod } from '../methods/types.js';
import '../students/layers.js';
import { parseDistillConfig } from '../training/config.js';
import { teacherGridFor, type DistillSummary } from '../training/run-distill.js';
import { createTeacher } from '../teachers/registry.js';
import type { Teacher } from '../teachers/types.js';
import type { MethodStateFile } from '../training/save.js';
import { UserError } from '../util/errors.js';

export interface LoadedRun {
  runDir: string;
  name: string;
  summary: DistillSummary;
  config: DistillConfig;
  model: tf.LayersModel;
  method: DistillMethod;
  dispose(): void;
}

function readJson<T>(path: string, what: string): T {
  if (!existsSync(path)) throw new UserError(`${path}: not found (${what})`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new UserError(`${path}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Restores the method's variables from runDir/method-state, matching them by order, name suffix and shape. */
function loadMethodState(method: DistillMethod, dir: string): void {
  const meta = readJson<MethodStateFile>(join(dir, 'variables.json'), 'trained method variables');
  const bytes = readFileSync(join(dir, 'weights.bin'));
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4));
  if (meta.variables.length !== method.variables.length) {
    throw new UserError(`${dir}/variables.json: holds ${meta.variables.length} variables, method ${method.name} has ${method.variables.length}`);
  }
  meta.variables.forEach((entry, i) => {
    const v = method.variables[i]!;
    if (entry.shape.join('x') !== v.shape.join('x') || entry.offset + entry.length > data.length) {
      throw new UserError(`${dir}/variables.json: variable ${entry.name} has shape [${entry.shape}] but the method expects [${v.shape}]`);
    }
    tf.tidy(() => v.assign(tf.tensor(data.slice(entry.offset, entry.offset + entry.length), v.shape)));
  });
}

/**
 * Runs written before method options became per-method list TinTeM's options (taus, prefitHead, pcaInit) under
 * every method, at their defaults; those keys are dropped for the methods that do not take them.
 */
const LEGACY_METHOD_KEYS: Record<string, (v: unknown) => boolean> = {
  taus: (v) => JSON.stringify(v) === JSON.stringify(DEFAULT_TAUS),
  prefitHead: (v) => v === false,
  pcaInit: (v) => v === false,
};

export function readRunConfig(path: string): DistillConfig {
  const raw = parseConfigText(readFileSync(path, 'utf8'), path);
  const method = raw.method as Record<string, unknown> | undefined;
  const name = typeof method?.name === 'string' ? method.name : undefined;
  if (method && name && isMethodName(name)) {
    const takes = Object.keys(methodSettingsSchema(getMethodEntry(name)).shape);
    for (const [key, isLegacyDefault] of Object.entries(LEGACY_METHOD_KEYS)) {
      if (!takes.includes(key) && key in method && isLegacyDefault(method[key])) delete method[key];
    }
  }
  return parseDistillConfig(raw, path);
}

export async function loadRun(runDir: string, name?: string): Promise<LoadedRun> {
  const summary = readJson<DistillSummary>(join(runDir, 'summary.json'), 'a finished distill run has summary.json');
  const configPath = join(runDir, 'config.yaml');
  if (!existsSync(configPath)) throw new UserError(`${configPath}: not found (a finished distill run has config.yaml)`);
  const config = readRunConfig(configPath);
  const model = await loadLayersModelDir(join(runDir, 'student'));
  // The method as trained: its settings from config.yaml, the weights it resolved from summary.json.
  const method = await createMethod({ ...config.method, name: summary.method.name, weights: summary.method.weights }, {
    teacherDim: summary.teacher.embedDim,
    studentDim: summary.studentSpec.embedDim,
    teacherTokens: summary.teacher.tokenCount > 0,
    seed: summary.seed,
  });
  loadMethodState(method, join(runDir, 'method-state'));
  return {
    runDir, name: name ?? summary.method.name, summary, config, model, method,
    dispose() { model.dispose(); method.dispose(); },
  };
}

/**
 * The teacher a run was distilled against (or `spec` instead), with the same token grid, so its cached
 * embeddings are found; lazy, so a fully cached evaluation never loads the weights.
 */
export function teacherForRun(run: LoadedRun, spec: string = run.config.teacher): Promise<Teacher> {
  const studentGrid = Math.round(Math.sqrt(run.model.outputs[1]?.shape[1] ?? 1));
  return createTeacher(spec, { grid: teacherGridFor(run.config, studentGrid), lazy: true });
}
