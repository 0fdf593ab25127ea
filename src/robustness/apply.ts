/**
 * Entry points of the corruption library: one image or a whole ImageSet, by name and severity, seeded.
 *
 * Randomness: image i of a set gets seed imageSeed(seed, i), so a result never depends on batching or on which
 * other images are in the set. Within one image the stream is forked by corruption name only, so all severities
 * of a corruption share their random numbers (the same noise draw, scaled up): distortion grows with severity
 * image by image, not only on average.
 */
import type { ImageSet } from '../data/types.js';
import { UserError } from '../util/errors.js';
import { hashSeed, Rng } from '../util/random.js';
import {
  brightness, contrast, defocusBlur, elasticTransform, fog, gaussianNoise, glassBlur, impulseNoise,
  motionBlur, pixelate, shotNoise, snow, zoomBlur,
} from './corruptions.js';
import { checkImage, imageAt, type Image } from './image.js';
import { jpegCompress, jpegCompressMany } from './jpeg.js';
import { CORRUPTION_NAMES, checkSeverity, corruptionParams, isCorruptionName, type CorruptionName } from './params.js';

/** All implemented corruptions, in ImageNet-C order (frost is left out: it needs the published frost photos). */
export const corruptionNames: readonly CorruptionName[] = CORRUPTION_NAMES;

/** Corruptions that need an async encoder (corruptImageSync rejects them). */
export const asyncCorruptions: readonly CorruptionName[] = ['jpeg_compression'];

/** Validates a corruption name from user input, or throws a UserError listing the valid ones. */
export function parseCorruptionName(name: string, option = 'corruption'): CorruptionName {
  if (!isCorruptionName(name)) {
    throw new UserError(`${option}: unknown corruption '${name}' (expected one of ${corruptionNames.join(', ')})`);
  }
  return name;
}

/** Seed of image `index` in a set corrupted with `seed`. */
export function imageSeed(seed: number, index: number): number {
  return hashSeed(`${seed >>> 0}#${index}`);
}

function rngFor(name: CorruptionName, seed: number): Rng {
  return new Rng(seed).fork(name);
}

/**
 * Corrupts one image without waiting: every corruption except JPEG (which needs sharp, an async encoder).
 * Returns a new image; `img` is not changed.
 */
export function corruptImageSync(img: Image, name: CorruptionName, severity: number, seed: number): Image {
  checkImage(img);
  parseCorruptionName(name);
  checkSeverity(severity);
  const p = corruptionParams(name, severity, img.height, img.width);
  const rng = rngFor(name, seed);
  let data: Float32Array;
  switch (p.name) {
    case 'gaussian_noise': data = gaussianNoise(img, p, rng); break;
    case 'shot_noise': data = shotNoise(img, p, rng); break;
    case 'impulse_noise': data = impulseNoise(img, p, rng); break;
    case 'defocus_blur': data = defocusBlur(img, p); break;
    case 'glass_blur': data = glassBlur(img, p, rng); break;
    case 'motion_blur': data = motionBlur(img, p, rng); break;
    case 'zoom_blur': data = zoomBlur(img, p); break;
    case 'snow': data = snow(img, p, rng); break;
    case 'fog': data = fog(img, p, rng); break;
    case 'brightness': data = brightness(img, p); break;
    case 'contrast': data = contrast(img, p); break;
    case 'elastic_transform': data = elasticTransform(img, p, rng); break;
    case 'pixelate': data = pixelate(img, p); break;
    case 'jpeg_compression':
      throw new UserError(`corruption 'jpeg_compression' needs the async encoder: use corruptImage() instead of corruptImageSync()`);
  }
  return { data, height: img.height, width: img.width, channels: img.channels };
}

/** Corrupts one image (all corruptions, JPEG included). */
export async function corruptImage(img: Image, name: CorruptionName, severity: number, seed: number): Promise<Image> {
  if (name !== 'jpeg_compression') return corruptImageSync(img, name, severity, seed);
  checkImage(img);
  checkSeverity(severity);
  const p = corruptionParams(name, severity, img.height, img.width) as { quality: number };
  return { data: await jpegCompress(img, p.quality), height: img.height, width: img.width, channels: img.channels };
}

/**
 * Corrupts every image of a set (labels, class names and sources are kept). The result's name is
 * `${set.name}+${name}@${severity}`.
 */
export async function corruptImageSet(set: ImageSet, name: CorruptionName, severity: number, seed: number): Promise<ImageSet> {
  parseCorruptionName(name);
  checkSeverity(severity);
  const size = set.height * set.width * set.channels;
  if (set.pixels.length !== set.count * size) {
    throw new UserError(`${set.name}: expected ${set.count} x ${set.height} x ${set.width} x ${set.channels} pixels, got ${set.pixels.length}`);
  }
  const pixels = new Float32Array(set.pixels.length);
  if (name === 'jpeg_compression') {
    const p = corruptionParams(name, severity, set.height, set.width) as { quality: number };
    const images = Array.from({ length: set.count }, (_, i) => imageAt(set, i));
    const out = await jpegCompressMany(images, p.quality);
    out.forEach((data, i) => pixels.set(data, i * size));
  } else {
    for (let i = 0; i < set.count; i++) {
      pixels.set(corruptImageSync(imageAt(set, i), name, severity, imageSeed(seed, i)).data, i * size);
    }
  }
  return { ...set, name: `${set.name}+${name}@${severity}`, pixels };
}
