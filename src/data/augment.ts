/**
 * Seeded augmentations. A view is produced once and fed to both teacher and student, so both see exactly the
 * same pixels. The random draws for an image depend only on (view.seed, view.id, image index): the same image
 * under the same view is identical whatever batch it lands in, which also makes teacher outputs cacheable by
 * {@link viewKey}.
 */
import { UserError } from '../util/errors.js';
import { Rng, hashSeed } from '../util/random.js';
import type { ImageSet } from './types.js';

export interface ViewSpec {
  /** View number; 0 with no ops is the identity view. */
  id: number;
  seed: number;
  /** Random resized crop: area fraction range and aspect-ratio (w/h) range, as torchvision's RandomResizedCrop. */
  crop?: { scale: [number, number]; ratio: [number, number] };
  /** Horizontal flip with probability 1/2. */
  flip?: boolean;
  /** Brightness, contrast and saturation factors drawn from [1 - j, 1 + j]; RGB images only. */
  colorJitter?: number;
}

export const IDENTITY_VIEW: ViewSpec = { id: 0, seed: 0 };

/** True when the view changes nothing. */
export function isIdentityView(view: ViewSpec): boolean {
  return !view.crop && !view.flip && !view.colorJitter;
}

/** Canonical string for cache keys: 'identity' for views without ops, else every parameter that shapes the pixels. */
export function viewKey(view: ViewSpec): string {
  if (isIdentityView(view)) return 'identity';
  const parts = [`v${view.id}`, `s${view.seed}`];
  if (view.crop) parts.push(`crop${view.crop.scale.join(',')};${view.crop.ratio.join(',')}`);
  if (view.flip) parts.push('flip');
  if (view.colorJitter) parts.push(`cj${view.colorJitter}`);
  return parts.join('-');
}

/** Returns the augmented images `indices` of `set` as NHWC float32 at the set's own size. */
export function augmentImages(set: ImageSet, indices: Int32Array | number[], view: ViewSpec): Float32Array {
  checkView(view);
  const { height: H, width: W, channels: C } = set;
  const per = H * W * C;
  const out = new Float32Array(indices.length * per);
  const identity = isIdentityView(view);
  for (let n = 0; n < indices.length; n++) {
    const index = indices[n]!;
    if (!(index >= 0 && index < set.count)) throw new RangeError(`augmentImages: index ${index} outside [0, ${set.count})`);
    const src = set.pixels.subarray(index * per, (index + 1) * per);
    const dst = out.subarray(n * per, (n + 1) * per);
    if (identity) { dst.set(src); continue; }
    const rng = new Rng(hashSeed(`${view.seed}:${view.id}:${index}`));
    const box = view.crop ? randomCropBox(H, W, view.crop.scale, view.crop.ratio, rng) : { top: 0, left: 0, h: H, w: W };
    const flip = view.flip ? rng.next() < 0.5 : false;
    resampleBilinear(src, H, W, C, box, flip, dst);
    if (view.colorJitter && C === 3) colorJitter(dst, view.colorJitter, rng);
  }
  return out;
}

function checkView(view: ViewSpec): void {
  const fail = (what: string) => { throw new UserError(`augmentation view ${view.id}: ${what}`); };
  if (!Number.isInteger(view.id) || view.id < 0) fail(`id must be a non-negative integer, got ${view.id}`);
  if (!Number.isFinite(view.seed)) fail(`seed must be a number, got ${view.seed}`);
  if (view.crop) {
    const [s0, s1] = view.crop.scale, [r0, r1] = view.crop.ratio;
    if (!(s0 > 0 && s0 <= s1 && s1 <= 1)) fail(`crop.scale must satisfy 0 < min <= max <= 1, got [${s0}, ${s1}]`);
    if (!(r0 > 0 && r0 <= r1)) fail(`crop.ratio must satisfy 0 < min <= max, got [${r0}, ${r1}]`);
  }
  if (view.colorJitter !== undefined && !(view.colorJitter >= 0 && view.colorJitter < 1)) {
    fail(`colorJitter must be in [0, 1), got ${view.colorJitter}`);
  }
}

interface Box { top: number; left: number; h: number; w: number }

/** torchvision's RandomResizedCrop box: 10 tries at a random area and aspect ratio, else a centre crop. */
export function randomCropBox(H: number, W: number, scale: [number, number], ratio: [number, number], rng: Rng): Box {
  const area = H * W;
  const logR0 = Math.log(ratio[0]), logR1 = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logR0, logR1));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= W && h <= H) return { top: rng.int(H - h + 1), left: rng.int(W - w + 1), h, w };
  }
  const inRatio = W / H;
  let w = W, h = H;
  if (inRatio < ratio[0]) h = Math.round(W / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(H * ratio[1]);
  return { top: Math.floor((H - h) / 2), left: Math.floor((W - w) / 2), h, w };
}

/** Resamples `box` of an HxWxC image to HxWxC with bilinear interpolation (half-pixel centres), optionally mirrored. */
function resampleBilinear(src: Float32Array, H: number, W: number, C: number, box: Box, flip: boolean, dst: Float32Array): void {
  const sy = box.h / H, sx = box.w / W;
  for (let y = 0; y < H; y++) {
    // Sample positions clamp to the box, as cropping first and then resizing would.
    const fy = clamp(box.top + (y + 0.5) * sy - 0.5, box.top, box.top + box.h - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, box.top + box.h - 1), ty = fy - y0;
    for (let x = 0; x < W; x++) {
      const xs = flip ? W - 1 - x : x;
      const fx = clamp(box.left + (xs + 0.5) * sx - 0.5, box.left, box.left + box.w - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, box.left + box.w - 1), tx = fx - x0;
      const a = (y0 * W + x0) * C, b = (y0 * W + x1) * C, c = (y1 * W + x0) * C, d = (y1 * W + x1) * C;
      const o = (y * W + x) * C;
      for (let k = 0; k < C; k++) {
        const top = src[a + k]! + (src[b + k]! - src[a + k]!) * tx;
        const bottom = src[c + k]! + (src[d + k]! - src[c + k]!) * tx;
        dst[o + k] = top + (bottom - top) * ty;
      }
    }
  }
}

/** Brightness, then contrast (around the mean grey), then saturation (around each pixel's grey), clipped after each. */
function colorJitter(img: Float32Array, j: number, rng: Rng): void {
  const brightness = rng.uniform(1 - j, 1 + j);
  const contrast = rng.uniform(1 - j, 1 + j);
  const saturation = rng.uniform(1 - j, 1 + j);
  const n = img.length / 3;
  for (let i = 0; i < img.length; i++) img[i] = clamp(img[i]! * brightness, 0, 1);
  let mean = 0;
  for (let p = 0; p < n; p++) mean += grey(img, p * 3);
  mean /= n;
  for (let i = 0; i < img.length; i++) img[i] = clamp((img[i]! - mean) * contrast + mean, 0, 1);
  for (let p = 0; p < n; p++) {
    const g = grey(img, p * 3);
    for (let k = 0; k < 3; k++) img[p * 3 + k] = clamp((img[p * 3 + k]! - g) * saturation + g, 0, 1);
  }
}

/** ITU-R 601 luma, as PIL. */
function grey(img: Float32Array, at: number): number {
  return 0.299 * img[at]! + 0.587 * img[at + 1]! + 0.114 * img[at + 2]!;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
