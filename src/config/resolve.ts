/** Pieces of a resolved DistillConfig that other stages consume. */
import type { DistillConfig } from './schema.js';

/** Whether training should use TensorFlow's oneDNN kernels (see the `oneDnn` config key). */
export function trainingOneDnn(c: DistillConfig): boolean {
  return c.oneDnn === 'on' || (c.oneDnn === 'auto' && c.trainStep !== 'eager');
}
