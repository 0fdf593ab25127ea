/**
 * The one image -> model-input conversion (training data, the trainer's batches, an exported student in Node and
 * in the browser): bilinear resize with half-pixel centres, grey -> RGB by repetition or RGB -> grey by ITU-R 601
 * luma, then clip to [0, 1]. One copy, so a student sees the same pixels at inference as in training.
 * Browser-safe: the web build redirects the backend import below to its WebGL/WASM shim.
 */
import { tf } from '../backend/index.js';

const LUMA = [0.299, 0.587, 0.114];

/** N x H x W x C (C = 1 or 3, values in [0, 1]) -> N x size x size x channels; returns the input when it fits. */
export function toModelInput(images: tf.Tensor4D, size: number, channels: 1 | 3): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w, c] = images.shape;
    if (c !== 1 && c !== 3) throw new Error(`images must have 1 or 3 channels, got ${c}`);
    let x: tf.Tensor4D = images;
    if (h !== size || w !== size) x = tf.image.resizeBilinear(x, [size, size], false, true);
    if (c === 1 && channels === 3) x = tf.tile(x, [1, 1, 1, 3]);
    if (c === 3 && channels === 1) x = tf.sum(tf.mul(x, tf.tensor1d(LUMA)), -1, true);
    return x === images ? x : tf.clipByValue(x, 0, 1);
  });
}
