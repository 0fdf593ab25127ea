/**
 * The distill config with the registries plugged in: config/ is a leaf that knows no method or teacher, so
 * this is where the method and teacher registries are handed to it. Loads no TensorFlow (the registries
 * import their implementations lazily), so a bad config fails before any data or model is read.
 */
import { loadConfig, validateConfig, type ConfigOverrides } from '../config/load.js';
import type { ConfigRegistries, DistillConfig } from '../config/schema.js';
import { isMethodName, getMethodEntry, methodNames, methodSettingsSchema } from '../methods/registry.js';
import { studentSectionProblem } from '../students/registry.js';
import { teacherEntries, teacherSpecProblem } from '../teachers/registry.js';
import { teacherOptionsSchema } from '../teachers/options.js';
import { LOSS_VERSION } from '../methods/defaults.js';
import type { TrainConfig } from './trainer.js';

/** The registries as the config sees them (read at call time, so methods registered later are included). */
export const distillRegistries: ConfigRegistries = {
  methodNames,
  methodSchema: (name) => (isMethodName(name) ? methodSettingsSchema(getMethodEntry(name)) : undefined),
  teacherProblem: teacherSpecProblem,
  teacherUsages: () => teacherEntries().map((e) => e.usage),
  teacherOptionsSchema: () => teacherOptionsSchema,
  studentProblem: studentSectionProblem,
};

/** Defaults <- config file <- flags / --set, fully validated. */
export function loadDistillConfig(path?: string, overrides: ConfigOverrides = {}): Promise<DistillConfig> {
  return loadConfig(distillRegistries, path, overrides);
}

/** Validates a config object built in code (demo, benchmarks, tests); `source` names it in errors. */
export function parseDistillConfig(input: Record<string, unknown>, source = 'config'): DistillConfig {
  return validateConfig(input, source, distillRegistries);
}

/** The trainer's knobs. */
export function toTrainConfig(c: DistillConfig): TrainConfig {
  return {
    epochs: c.epochs, batchSize: c.batchSize, lr: c.lr, minLr: c.minLr, weightDecay: c.weightDecay,
    warmupEpochs: c.warmupEpochs, warmupSteps: c.warmupSteps, seed: c.seed, views: c.views, progress: c.progress,
    stepPath: c.trainStep,
  };
}

/**
 * Settings besides the trainer's own that must match for a resume to continue the same run: what is
 * learned from (teacher, data, views' augmentation, cache precision) and what learns (student, method, the
 * loss formulas' version). Paths, batch size of the teacher and the progress bar may change freely.
 */
export function trainingFingerprint(c: DistillConfig, studentSpec: Record<string, unknown>): Record<string, unknown> {
  return {
    teacher: c.teacher, dataSpec: c.data, student: studentSpec, method: c.method, teacherNorm: c.teacherNorm, lossVersion: LOSS_VERSION,
    augment: c.views > 0 ? c.augment : undefined, fp16: c.fp16, init: c.init,
  };
}
