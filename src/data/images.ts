/** ImageSet helpers: subsets, tensors, resizing and content checksums. */
import { createHash } from 'node:crypto';
import { tf } from '../backend/index.js';
import { toModelInput } from '../backend/images.js';
import { UserError } from '../util/errors.js';
import type { ImageSet } from './types.js';

/** Resizes / converts only when the requested shape differs from the set's. */
export async function conformImages(set: ImageSet, size?: number, channels?: 1 | 3): Promise<ImageSet> {
  const same = (size === undefined || (size === set.height && size === set.width)) && (channels === undefined || channels === set.channels);
  return same ? set : resizeImages(set, size ?? set.height, channels);
}

/** A new ImageSet holding copies of the chosen images (labels and sources follow). */
export function subsetImages(set: ImageSet, indices: Int32Array | number[]): ImageSet {
  const per = set.height * set.width * set.channels;
  const pixels = new Float32Array(indices.length * per);
  for (let n = 0; n < indices.length; n++) {
    const i = indices[n]!;
    if (!(i >= 0 && i < set.count)) throw new RangeError(`subsetImages: index ${i} outside [0, ${set.count})`);
    pixels.set(set.pixels.subarray(i * per, (i + 1) * per), n * per);
  }
  const out: ImageSet = { ...set, count: indices.length, pixels };
  if (set.labels) out.labels = Int32Array.from(indices, (i) => set.labels![i]!);
  if (set.sources) out.sources = Array.from(indices, (i) => set.sources![i]!);
  return out;
}

/** The set (or the chosen images) as an NHWC float32 tensor; the caller disposes it. */
export function toTensor(set: ImageSet, indices?: Int32Array | number[]): tf.Tensor4D {
  const chosen = indices ? subsetImages(set, indices) : set;
  return tf.tensor4d(chosen.pixels, [chosen.count, set.height, set.width, set.channels], 'float32');
}

/**
 * Bilinear resize to size x size (tf.image.resizeBilinear, half-pixel centres) in batches, converting grey to
 * RGB (repeat) or RGB to grey (ITU-R 601 luma) when `channels` differs.
 */
export async function resizeImages(set: ImageSet, size: number, channels: 1 | 3 = set.channels, batchSize = 512): Promise<ImageSet> {
  if (!Number.isInteger(size) || size < 1) throw new UserError(`resize: size must be a positive integer, got ${size}`);
  const per = size * size * channels;
  const pixels = new Float32Array(set.count * per);
  for (let start = 0; start < set.count; start += batchSize) {
    const end = Math.min(set.count, start + batchSize);
    const batch = tf.tidy(() => {
      const srcPer = set.height * set.width * set.channels;
      const x: tf.Tensor4D = tf.tensor4d(set.pixels.subarray(start * srcPer, end * srcPer), [end - start, set.height, set.width, set.channels]);
      return tf.clipByValue(toModelInput(x, size, channels), 0, 1);
    });
    pixels.set(await batch.data(), start * per);
    batch.dispose();
  }
  return { ...set, height: size, width: size, channels, pixels, name: set.name };
}

/** SHA-256 (hex) of one image's shape and float32 bytes: a content key for caches. */
export function imageChecksum(set: ImageSet, i: number): string {
  const per = set.height * set.width * set.channels;
  if (!(i >= 0 && i < set.count)) throw new RangeError(`imageChecksum: index ${i} outside [0, ${set.count})`);
  const view = set.pixels.subarray(i * per, (i + 1) * per);
  return createHash('sha256')
    .update(`${set.height}x${set.width}x${set.channels}:`)
    .update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength))
    .digest('hex');
}
