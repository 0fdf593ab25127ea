/** Pieces of a resolved DistillConfig that other stages consume. */
import type { TrainConfig } from '../training/trainer.js';
import { LOSS_VERSION } from '../methods/index.js';
import type { DistillConfig } from './schema.js';

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
 * learned from (teacher, data, views' augmentation, cache precision) and what learns (student, method).
 * Paths, batch size of the teacher and the progress bar may change freely.
 */
/** Whether training should use TensorFlow's oneDNN kernels (see the `oneDnn` config key). */
export function trainingOneDnn(c: DistillConfig): boolean {
  return c.oneDnn === 'on' || (c.oneDnn === 'auto' && c.trainStep !== 'eager');
}

export function trainingFingerprint(c: DistillConfig, studentSpec: Record<string, unknown>): Record<string, unknown> {
  return {
    teacher: c.teacher, dataSpec: c.data, student: studentSpec, method: c.method, teacherNorm: c.teacherNorm, lossVersion: LOSS_VERSION,
    augment: c.views > 0 ? c.augment : undefined, fp16: c.fp16,
  };
}
