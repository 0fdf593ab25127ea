/**
 * Loads a finished `tintem distill` run folder back for evaluation: the student model, the method with its
 * trained variables (TinTeM's teacher head, the baselines' projectors) and the run's summary/config.
 */
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import { parseConfigText } from '../config/load.js';
import type { DistillConfig } from '../config/schema.js';
import { DEFAULT_TAUS } from '../methods/defaults.js';
import { createMethod, getMethodEntry, isMethodName, methodSettingsSchema } from '../methods/registry.js';
import type { DistillMethod } from '../methods/types.js';
import { parseDistillConfig } from '../training/config.js';
import { teacherGridFor, type DistillSummary } from './distill.js';
import { loadRunStudent, readRunConfigText, readRunMethodState, readRunSummary, RUN_FILES, verifyRunFolder } from '../training/run-folder.js';
import { createTeacher } from '../teachers/registry.js';
import type { Teacher } from '../teachers/types.js';
import { teacherOptionsOf, type TeacherOptions } from '../teachers/options.js';
import { loadTeacherNorm, type TeacherNormStats } from '../training/teacher-norm.js';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';

export interface LoadedRun {
  runDir: string;
  name: string;
  summary: DistillSummary;
  config: DistillConfig;
  model: tf.LayersModel;
  method: DistillMethod;
  /** The run's teacher-feature normalisation (undefined: none); the evaluation applies it to the teacher column. */
  teacherNorm?: TeacherNormStats;
  dispose(): void;
}

/** Restores the method's variables from the verified method state, matching them by order and shape. */
function restoreMethodState(method: DistillMethod, dir: string, state: ReturnType<typeof readRunMethodState>, lossVersion: number): void {
  const { meta, data } = state;
  const where = quoteName(join(dir, RUN_FILES.methodVariables));
  // Proteus runs of loss version 1 hold only the pooled projector, which comes first and is all evaluation uses.
  const oldProteus = lossVersion < 2 && method.name === 'proteus' && Array.isArray(meta.variables) && meta.variables.length === 4 && method.variables.length === 8;
  if (!Array.isArray(meta.variables) || (meta.variables.length !== method.variables.length && !oldProteus)) {
    throw new UserError(`${where}: holds ${Array.isArray(meta.variables) ? meta.variables.length : 'no'} variables, method ${method.name} has ${method.variables.length}`);
  }
  meta.variables.forEach((entry, i) => {
    const v = method.variables[i]!;
    if (entry.shape.join('x') !== v.shape.join('x') || entry.offset + entry.length > data.length) {
      throw new UserError(`${where}: variable ${entry.name} has shape [${entry.shape}] but the method expects [${v.shape}]`);
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

/** A run's config.yaml text as a validated config; `source` names it in errors. */
export function parseRunConfig(text: string, source: string): DistillConfig {
  const raw = parseConfigText(text, source);
  const method = raw.method as Record<string, unknown> | undefined;
  const name = typeof method?.name === 'string' ? method.name : undefined;
  if (method && name && isMethodName(name)) {
    const takes = Object.keys(methodSettingsSchema(getMethodEntry(name)).shape);
    for (const [key, isLegacyDefault] of Object.entries(LEGACY_METHOD_KEYS)) {
      if (!takes.includes(key) && key in method && isLegacyDefault(method[key])) delete method[key];
    }
  }
  return parseDistillConfig(raw, source);
}

/** Loads a finished run through the run-folder module: every file verified against summary.json first. */
export async function loadRun(runDir: string, name?: string): Promise<LoadedRun> {
  const summary = verifyRunFolder(runDir, readRunSummary(runDir));
  const configPath = quoteName(join(runDir, RUN_FILES.config));
  const config = parseRunConfig(readRunConfigText(runDir, summary), configPath);
  const model = await loadRunStudent(runDir, summary);
  let method: DistillMethod;
  try {
    // The method as trained: its settings from config.yaml, the weights it resolved from summary.json.
    const settings = summary.method.name === config.method.name ? config.method : { name: summary.method.name };
    method = await createMethod({ ...settings, weights: summary.method.weights }, {
      teacherDim: summary.teacher.embedDim,
      studentDim: summary.student.spec.embedDim,
      teacherTokens: summary.teacher.tokenCount > 0,
      seed: summary.seed,
    });
    restoreMethodState(method, runDir, readRunMethodState(runDir, summary), summary.lossVersion ?? 1);
  } catch (e) {
    model.dispose();
    throw e;
  }
  let teacherNorm: TeacherNormStats | undefined;
  try {
    teacherNorm = loadTeacherNorm(runDir, summary.teacherNorm ?? 'none');
  } catch (e) {
    model.dispose();
    method.dispose();
    throw e;
  }
  return {
    runDir, name: name ?? summary.method.name, summary, config, model, method, teacherNorm,
    dispose() { model.dispose(); method.dispose(); },
  };
}

/**
 * The teacher a run was distilled against (or `spec` instead), with the same token grid, so its cached
 * embeddings are found; lazy, so a fully cached evaluation never loads the weights.
 */
export function teacherForRun(run: LoadedRun, spec: string = run.config.teacher, options?: TeacherOptions): Promise<Teacher> {
  const studentGrid = Math.round(Math.sqrt(run.model.outputs[1]?.shape[1] ?? 1));
  // The run's teacher options apply to its own teacher spec (a different spec brings its own '#...' options).
  const own = spec === run.config.teacher ? teacherOptionsOf(run.config.teacherOptions) : undefined;
  const teacher = own || options ? { ...own, ...options } : undefined;
  return createTeacher(spec, { grid: teacherGridFor(run.config, studentGrid), lazy: true, teacher });
}
