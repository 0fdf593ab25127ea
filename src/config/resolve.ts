/** Pieces of a resolved DistillConfig that other stages consume. */
import type { DistillConfig } from './schema.js';

/** Whether training should use TensorFlow's oneDNN kernels (see the `oneDnn` config key). */
export function trainingOneDnn(c: DistillConfig): boolean {
  return c.oneDnn === 'on' || (c.oneDnn === 'auto' && c.trainStep !== 'eager');
}

/**
 * Settings besides the trainer's own that must match for a resume to continue the same run: what is
 * learned from (teacher, data, views' augmentation, cache precision) and what learns (student, method).
 * Paths, batch size of the teacher and the progress bar may change freely.
 */
export function trainingFingerprint(c: DistillConfig, studentSpec: Record<string, unknown>): Record<string, unknown> {
  return {
    teacher: c.teacher, dataSpec: c.data, student: studentSpec, method: c.method,
    augment: c.views > 0 ? c.augment : undefined, fp16: c.fp16,
  };
}
