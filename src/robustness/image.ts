/** One image as the corruption library sees it, plus small helpers to move between images and ImageSets. */
import type { ImageSet } from '../data/types.js';
import { UserError } from '../util/errors.js';

/** A single image: height * width * channels values in [0, 1], HWC order. */
export interface Image {
  data: Float32Array;
  height: number;
  width: number;
  channels: 1 | 3;
}

/** Checks that an image's buffer matches its shape (bad shapes would read out of bounds silently). */
export function checkImage(img: Image, name = 'image'): void {
  const { height, width, channels } = img;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new UserError(`${name}: height and width must be positive integers, got ${height} x ${width}`);
  }
  if (channels !== 1 && channels !== 3) throw new UserError(`${name}: channels must be 1 or 3, got ${channels}`);
  if (img.data.length !== height * width * channels) {
    throw new UserError(`${name}: expected ${height} x ${width} x ${channels} = ${height * width * channels} values, got ${img.data.length}`);
  }
}

/** Image `index` of a set, as a view (no copy). */
export function imageAt(set: ImageSet, index: number): Image {
  const size = set.height * set.width * set.channels;
  return {
    data: set.pixels.subarray(index * size, (index + 1) * size),
    height: set.height,
    width: set.width,
    channels: set.channels,
  };
}

/** A blank image of the same shape. */
export function emptyLike(img: Image): Image {
  return { data: new Float32Array(img.data.length), height: img.height, width: img.width, channels: img.channels };
}

/** Clips every value to [0, 1] in place (the published corruptions all end with np.clip(x, 0, 1)). */
export function clip01(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    data[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return data;
}

/** Peak signal-to-noise ratio in dB between two images of one shape (Infinity when identical). */
export function psnr(a: Image, b: Image): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i]! - b.data[i]!;
    se += d * d;
  }
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}
