/**
 * Published corruption parameters (Hendrycks & Dietterich 2019) and how they are scaled to an image's size.
 *
 * Rule (documented per corruption in docs/corruptions.md):
 * - Intensities and ratios (noise levels, photon counts, impulse fraction, zoom factors, fog strength and
 *   roughness, brightness, contrast, pixelate factor, JPEG quality) are size-free: the ImageNet-C values are used
 *   at every size, as MNIST-C does for 28x28 digits.
 * - Lengths in pixels (blur radii and sigmas, glass-blur displacement, motion-blur length, elastic-warp scales)
 *   scale with the image side S = min(height, width). Images with S >= 85 (the geometric mean of 32 and 224) use
 *   the ImageNet-C table (defined at 224 px) times S/224; smaller images use Hendrycks' own CIFAR-10-C table
 *   (defined at 32 px) times S/32, because shrinking the 224-px lengths 8x turns the low severities into
 *   sub-pixel no-ops (a glass-blur swap of 1/8 pixel does nothing).
 */
import { UserError } from '../util/errors.js';

export const CORRUPTION_NAMES = [
  'gaussian_noise', 'shot_noise', 'impulse_noise',
  'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'fog', 'brightness', 'contrast',
  'elastic_transform', 'pixelate', 'jpeg_compression',
] as const;

export type CorruptionName = (typeof CORRUPTION_NAMES)[number];

/** Which published table the length parameters come from, and the factor applied to its lengths. */
export interface LengthScale {
  table: 'imagenet' | 'cifar';
  /** Pixel side the table was defined at (224 or 32). */
  anchor: number;
  /** S / anchor. */
  factor: number;
}

/** Below this side (geometric mean of 32 and 224) the CIFAR-10-C lengths are the closer published definition. */
export const SMALL_IMAGE_SIDE = 85;

export function lengthScale(height: number, width: number): LengthScale {
  const side = Math.min(height, width);
  return side < SMALL_IMAGE_SIDE
    ? { table: 'cifar', anchor: 32, factor: side / 32 }
    : { table: 'imagenet', anchor: 224, factor: side / 224 };
}

/** numpy.arange(start, stop, step) with numpy's length rule ceil((stop - start) / step). */
function arange(start: number, stop: number, step: number): number[] {
  const n = Math.ceil((stop - start) / step);
  return Array.from({ length: n }, (_, i) => start + i * step);
}

// ---- ImageNet-C (224 px) and CIFAR-10-C (32 px) tables, severities 1..5 ----

const GAUSSIAN_NOISE = [0.08, 0.12, 0.18, 0.26, 0.38];
const SHOT_NOISE = [60, 25, 12, 5, 3];
const IMPULSE_NOISE = [0.03, 0.06, 0.09, 0.17, 0.27];
/** (disk radius, anti-alias sigma). */
const DEFOCUS = { imagenet: [[3, 0.1], [4, 0.5], [6, 0.5], [8, 0.5], [10, 0.5]], cifar: [[0.3, 0.4], [0.4, 0.5], [0.5, 0.6], [1, 0.2], [1.5, 0.1]] };
/** (gaussian sigma, max pixel displacement, iterations). */
const GLASS = {
  imagenet: [[0.7, 1, 2], [0.9, 2, 1], [1, 2, 3], [1.1, 3, 2], [1.5, 4, 2]],
  cifar: [[0.05, 1, 1], [0.25, 1, 1], [0.4, 1, 1], [0.25, 1, 2], [0.4, 1, 2]],
};
/** (radius, sigma) of the one-sided motion kernel. */
const MOTION = { imagenet: [[10, 3], [15, 5], [15, 8], [15, 12], [20, 15]], cifar: [[6, 1], [6, 1.5], [6, 2], [8, 2], [9, 2.5]] };
const ZOOM = [arange(1, 1.11, 0.01), arange(1, 1.16, 0.01), arange(1, 1.21, 0.02), arange(1, 1.26, 0.02), arange(1, 1.31, 0.03)];
/** (strength, wibble decay) of the plasma-fractal fog. */
const FOG = [[1.5, 2], [2, 2], [2.5, 1.7], [2.5, 1.5], [3, 1.4]];
const BRIGHTNESS = [0.1, 0.2, 0.3, 0.4, 0.5];
const CONTRAST = [0.4, 0.3, 0.2, 0.1, 0.05];
/**
 * Elastic (alpha, sigma, affine jitter) as fractions of the table's image size. ImageNet-C multiplies by 244
 * (a typo for 224 that the authors kept), so the fractions are scaled by 244/224 to reproduce it at 224 px.
 */
const ELASTIC = {
  imagenet: [[2, 0.7, 0.1], [2, 0.08, 0.2], [0.05, 0.01, 0.02], [0.07, 0.01, 0.02], [0.12, 0.01, 0.02]].map((r) => r.map((v) => (v * 244) / 224)),
  cifar: [[0, 0, 0.08], [0.05, 0.2, 0.07], [0.08, 0.06, 0.06], [0.1, 0.04, 0.05], [0.1, 0.03, 0.03]],
};
const PIXELATE = [0.6, 0.5, 0.4, 0.3, 0.25];
const JPEG_QUALITY = [25, 18, 15, 10, 7];
/**
 * Snow (noise mean, noise std, flake zoom, threshold, motion radius, motion sigma, image blend). Mean, std, zoom,
 * threshold and blend are size-free; motion radius and sigma are lengths.
 */
const SNOW = {
  imagenet: [
    [0.1, 0.3, 3, 0.5, 10, 4, 0.8], [0.2, 0.3, 2, 0.5, 12, 4, 0.7], [0.55, 0.3, 4, 0.9, 12, 8, 0.7],
    [0.55, 0.3, 4.5, 0.85, 12, 8, 0.65], [0.55, 0.3, 2.5, 0.85, 12, 12, 0.55],
  ],
  cifar: [
    [0.1, 0.2, 1, 0.6, 8, 3, 0.95], [0.1, 0.2, 1, 0.5, 10, 4, 0.9], [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9],
    [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85], [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8],
  ],
};

export type CorruptionParams =
  | { name: 'gaussian_noise'; sigma: number }
  | { name: 'shot_noise'; photons: number }
  | { name: 'impulse_noise'; amount: number }
  | { name: 'defocus_blur'; radius: number; aliasSigma: number }
  | { name: 'glass_blur'; sigma: number; maxDelta: number; iterations: number }
  | { name: 'motion_blur'; radius: number; sigma: number }
  | { name: 'zoom_blur'; factors: number[] }
  | { name: 'snow'; mean: number; std: number; zoom: number; threshold: number; radius: number; sigma: number; blend: number }
  | { name: 'fog'; strength: number; decay: number }
  | { name: 'brightness'; delta: number }
  | { name: 'contrast'; factor: number }
  | { name: 'elastic_transform'; alpha: number; sigma: number; affine: number }
  | { name: 'pixelate'; factor: number }
  | { name: 'jpeg_compression'; quality: number };

export function isCorruptionName(name: string): name is CorruptionName {
  return (CORRUPTION_NAMES as readonly string[]).includes(name);
}

/** Throws a UserError naming `option` unless severity is an integer in 1..5. */
export function checkSeverity(severity: number, option = 'severity'): void {
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new UserError(`${option}: severity must be an integer from 1 to 5, got ${severity}`);
  }
}

/** The parameters of `name` at `severity` for an image of this size, lengths already scaled. */
export function corruptionParams(name: CorruptionName, severity: number, height: number, width: number): CorruptionParams {
  checkSeverity(severity);
  const i = severity - 1;
  const ls = lengthScale(height, width);
  const k = ls.factor;
  // Integer lengths (displacements, kernel radii) never drop below one pixel, or the corruption would vanish.
  const px = (v: number) => Math.max(1, Math.round(v * k));
  switch (name) {
    case 'gaussian_noise': return { name, sigma: GAUSSIAN_NOISE[i]! };
    case 'shot_noise': return { name, photons: SHOT_NOISE[i]! };
    case 'impulse_noise': return { name, amount: IMPULSE_NOISE[i]! };
    case 'defocus_blur': {
      const [radius, alias] = DEFOCUS[ls.table][i]!;
      return { name, radius: radius! * k, aliasSigma: alias! * k };
    }
    case 'glass_blur': {
      const [sigma, delta, iterations] = GLASS[ls.table][i]!;
      return { name, sigma: sigma! * k, maxDelta: px(delta!), iterations: iterations! };
    }
    case 'motion_blur': {
      const [radius, sigma] = MOTION[ls.table][i]!;
      return { name, radius: px(radius!), sigma: sigma! * k };
    }
    case 'zoom_blur': return { name, factors: ZOOM[i]!.slice() };
    case 'snow': {
      const [mean, std, zoom, threshold, radius, sigma, blend] = SNOW[ls.table][i]!;
      return { name, mean: mean!, std: std!, zoom: zoom!, threshold: threshold!, radius: px(radius!), sigma: sigma! * k, blend: blend! };
    }
    case 'fog': {
      const [strength, decay] = FOG[i]!;
      return { name, strength: strength!, decay: decay! };
    }
    case 'brightness': return { name, delta: BRIGHTNESS[i]! };
    case 'contrast': return { name, factor: CONTRAST[i]! };
    case 'elastic_transform': {
      const [alpha, sigma, affine] = ELASTIC[ls.table][i]!;
      const side = ls.anchor * k;
      return { name, alpha: alpha! * side, sigma: sigma! * side, affine: affine! * side };
    }
    case 'pixelate': return { name, factor: PIXELATE[i]! };
    case 'jpeg_compression': return { name, quality: JPEG_QUALITY[i]! };
  }
}
