/** Synthetic far-out-of-distribution images: uniform noise, Gaussian noise, or soft coloured blobs. */
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { ImageSet } from './types.js';

export type NoiseKind = 'uniform' | 'gaussian' | 'blobs';
export const NOISE_KINDS: readonly NoiseKind[] = ['uniform', 'gaussian', 'blobs'];

export interface NoiseOptions {
  count: number;
  size: number;
  channels: 1 | 3;
  seed: number;
  /** Default 'uniform'. */
  kind?: NoiseKind;
}

/** Memory generated noise may take (float32 pixels). */
export const MAX_NOISE_BYTES = 2 * 2 ** 30;

export function makeNoiseImages(opts: NoiseOptions): ImageSet {
  const { count, size, channels, seed } = opts;
  const kind = opts.kind ?? 'uniform';
  if (!Number.isInteger(count) || count < 0) throw new UserError(`noise: count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(size) || size < 1) throw new UserError(`noise: size must be a positive integer, got ${size}`);
  if (channels !== 1 && channels !== 3) throw new UserError(`noise: channels must be 1 or 3, got ${String(channels)}`);
  if (!NOISE_KINDS.includes(kind)) throw new UserError(`noise: unknown kind '${kind}' (expected ${NOISE_KINDS.join(', ')})`);
  const per = size * size * channels;
  // The images are float32 in memory: bound them before allocating (noise:5000000 would need 60 GB at 28 px).
  const maxCount = Math.floor(MAX_NOISE_BYTES / (per * 4));
  if (count > maxCount) {
    throw new UserError(`noise:${count}: ${count} images of ${size}x${size}x${channels} need ${((count * per * 4) / 2 ** 30).toFixed(1)} GiB; the limit for generated noise is ${MAX_NOISE_BYTES / 2 ** 30} GiB, at most ${maxCount} images at this size`);
  }
  const pixels = new Float32Array(count * per);
  const root = new Rng(seed).fork(kind);
  for (let n = 0; n < count; n++) {
    // One stream per image, so image n does not depend on how many images were requested.
    const rng = root.fork(n);
    const out = pixels.subarray(n * per, (n + 1) * per);
    if (kind === 'uniform') for (let i = 0; i < per; i++) out[i] = rng.next();
    else if (kind === 'gaussian') for (let i = 0; i < per; i++) out[i] = clamp01(0.5 + 0.25 * rng.normal());
    else drawBlobs(out, size, channels, rng);
  }
  const sources = Array.from({ length: count }, (_, n) => `noise-${kind}#${n}`);
  return { name: `noise-${kind}`, count, height: size, width: size, channels, pixels, sources };
}

/** A dark background with 2-6 Gaussian blobs of random colour, centre and width, added and clipped. */
function drawBlobs(out: Float32Array, size: number, channels: number, rng: Rng): void {
  const bg = Array.from({ length: channels }, () => 0.3 * rng.next());
  for (let i = 0; i < out.length; i++) out[i] = bg[i % channels]!;
  const blobs = 2 + rng.int(5);
  for (let b = 0; b < blobs; b++) {
    const cy = rng.uniform(0, size), cx = rng.uniform(0, size);
    const sigma = rng.uniform(0.05, 0.3) * size;
    const colour = Array.from({ length: channels }, () => rng.next());
    const inv = 1 / (2 * sigma * sigma);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const w = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) * inv);
        const at = (y * size + x) * channels;
        for (let c = 0; c < channels; c++) out[at + c] = out[at + c]! + w * colour[c]!;
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = clamp01(out[i]!);
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
