/**
 * Shared teacher plumbing: bring any image batch to the teacher's input (RGB, size, normalisation) and turn a
 * feature map into the pooled embedding and the spatial token grid.
 */
import { tf } from '../backend/index.js';

import type { Normalization } from './normalization.js';

export { IMAGENET_MEAN_STD, MINUS_ONE_TO_ONE, type Normalization } from './normalization.js';

/** Short text for teacher ids, e.g. 'm0.5,0.5,0.5s0.5,0.5,0.5'. */
export function normalizationTag(n: Normalization): string {
  return `m${n.mean.join(',')}s${n.std.join(',')}`;
}

/** Gray -> RGB (when the teacher wants 3 channels), bilinear resize to size x size, then normalise. NHWC out. */
export function prepareImages(images: tf.Tensor4D, size: number, norm: Normalization, channels: 1 | 3 = 3): tf.Tensor4D {
  return tf.tidy(() => {
    let x: tf.Tensor4D = images;
    const c = x.shape[3];
    if (c === 1 && channels === 3) x = tf.tile(x, [1, 1, 1, 3]);
    else if (c === 3 && channels === 1) x = tf.mean(x, 3, true);
    else if (c !== channels) throw new Error(`teacher input: expected 1 or 3 channels, got ${c}`);
    if (x.shape[1] !== size || x.shape[2] !== size) x = tf.image.resizeBilinear(x, [size, size], false, true);
    const mean = tf.tensor1d(norm.mean.slice(0, channels));
    const std = tf.tensor1d(norm.std.slice(0, channels));
    return tf.div(tf.sub(x, mean), std);
  });
}

/**
 * Adaptive average pooling to grid x grid (PyTorch's bins: rows floor(i*H/g) .. ceil((i+1)*H/g)), so maps
 * smaller than the grid or not divisible by it still give grid^2 tokens. Returns N x grid^2 x C, row-major.
 */
export function adaptiveAvgPoolTokens(map: tf.Tensor4D, grid: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, c] = map.shape;
    const cells: tf.Tensor[] = [];
    for (let i = 0; i < grid; i++) {
      const r0 = Math.floor((i * h) / grid);
      const r1 = Math.ceil(((i + 1) * h) / grid);
      for (let j = 0; j < grid; j++) {
        const c0 = Math.floor((j * w) / grid);
        const c1 = Math.ceil(((j + 1) * w) / grid);
        cells.push(tf.mean(tf.slice(map, [0, r0, c0, 0], [n, r1 - r0, c1 - c0, c]), [1, 2]));
      }
    }
    return tf.stack(cells, 1) as tf.Tensor3D;
  });
}

/** pooled = global average of the map (N x C); tokens = adaptive average pool to grid x grid (N x grid^2 x C). */
export function mapToOutputs(map: tf.Tensor4D, grid: number): { pooled: tf.Tensor2D; tokens: tf.Tensor3D } {
  return { pooled: tf.mean(map, [1, 2]) as tf.Tensor2D, tokens: adaptiveAvgPoolTokens(map, grid) };
}

/**
 * The teacher's preprocessing: grey -> RGB, then 'crop' (centre square of crop x the shorter side, i.e. resize
 * the shorter side to size/crop and centre-crop size) or 'squash' (stretch), resized with the chosen
 * interpolation (half-pixel centres, as PyTorch/PIL), then (x - mean) / std. NHWC out.
 */
export function preprocessImages(images: tf.Tensor4D, p: { inputSize: number; resize: 'crop' | 'squash'; crop: number; interpolation: 'bilinear' | 'nearest'; normalization: Normalization }, channels: 1 | 3 = 3): tf.Tensor4D {
  return tf.tidy(() => {
    let x: tf.Tensor4D = images;
    const [, h, w] = x.shape;
    if (p.resize === 'crop') {
      const side = Math.max(1, Math.round(Math.min(h, w) * p.crop));
      if (side !== h || side !== w) x = tf.slice(x, [0, Math.floor((h - side) / 2), Math.floor((w - side) / 2), 0], [-1, side, side, -1]);
    }
    const size = p.inputSize;
    if (x.shape[1] !== size || x.shape[2] !== size) {
      x = p.interpolation === 'nearest' ? tf.image.resizeNearestNeighbor(x, [size, size], false, true) : tf.image.resizeBilinear(x, [size, size], false, true);
    }
    return prepareImages(x, size, p.normalization, channels);
  });
}
