/** Pieces of a resolved DistillConfig that other stages consume. */
import type { DistillConfig } from './schema.js';

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
