/**
 * A training-memory estimate for a student, from its layer output shapes: every activation is kept for the
 * backward pass and gets a gradient of the same size, plus transient copies (BatchNorm / attention
 * intermediates), so about 3 floats per activation element per image, plus weights, gradients and the two AdamW
 * moments (4 floats a parameter). An estimate meant to catch the order-of-magnitude mistakes (a 224 px batch
 * of 128 on a stride-2 CNN), not to budget to the last megabyte.
 */
import { freemem } from 'node:os';
import type { tf } from '../backend/index.js';

const FLOATS_PER_ACTIVATION = 3;

export function activationElements(model: tf.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as Array<Array<number | null>>;
    for (const shape of shapes) total += shape.reduce<number>((a, d) => a * (d ?? 1), 1);
    // Attention layers hold [heads, T, T] score matrices per image besides their output.
    const cfg = layer.getConfig() as { numHeads?: number };
    if (typeof cfg.numHeads === 'number') {
      const t = (shapes[0]![1] ?? 1);
      total += 2 * cfg.numHeads * t * t;
    }
  }
  return total;
}

/** Predicted peak bytes of a training step at this batch size (float32). */
export function predictTrainBytes(model: tf.LayersModel, batchSize: number): number {
  const params = model.countParams();
  return 4 * (batchSize * FLOATS_PER_ACTIVATION * activationElements(model) + 4 * params);
}

/** Memory a run can count on: the free (available) memory, capped by a cgroup limit when there is one. */
export function availableBytes(): number {
  const limit = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() : 0;
  const free = freemem();
  return limit && limit > 0 ? Math.min(free, limit) : free;
}
