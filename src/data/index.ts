/** Data loaders, augmentations and small ImageSet helpers; `loadDataset` turns a CLI spec into an ImageSet. */
import { quoteName } from '../util/quote.js';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { tf } from '../backend/index.js';
import { toModelInput } from '../backend/images.js';
import { UserError } from '../util/errors.js';
import { warn } from '../util/log.js';
import { hashSeed, Rng } from '../util/random.js';
import { loadImageFolder } from './imageFolder.js';
import { loadFashionMnist, loadMnist } from './mnist.js';
import { makeNoiseImages } from './noise.js';
import { loadNaturalPhotos, PHOTO_PACKAGES } from './photos.js';
import type { ImageSet } from './types.js';

export type { ImageSet } from './types.js';
export * from './idx.js';
export * from './mnist.js';
export * from './imageFolder.js';
export * from './photos.js';
export * from './noise.js';
export * from './augment.js';

export interface LoadDatasetOptions {
  limit?: number;
  /** Output size (square). MNIST-family sets are resized only when this differs from 28. */
  size?: number;
  channels?: 1 | 3;
  seed?: number;
  /** Image folders: fail on the first unreadable file instead of skipping it. */
  strict?: boolean;
}

export const DATASET_SPECS = [
  'mnist:train', 'mnist:test', 'fashion:train', 'fashion:test', 'folder:<path> (or an existing directory)', 'photos', 'photos:train|test (colour crops at the requested size)', 'noise[:<count>]', 'blobs[:<count>] (soft colour blobs on a dark background, synthetic)',
];

/** Defaults when the caller gives no size/channels: MNIST-shaped for synthetic sources, 64x64 RGB for folders. */
const DEFAULT_SIZE = 28;
const DEFAULT_FOLDER_SIZE = 64;
const DEFAULT_NOISE_COUNT = 1000;
/** Skipped files listed one a line in the folder summary; the rest are counted. */
const MAX_SKIPPED_SHOWN = 20;

/**
 * Loads a dataset from a spec: 'mnist:train|test', 'fashion:train|test', 'folder:<path>' or a plain directory
 * path, 'photos' (natural-photo crops), 'noise[:<count>]'. Unknown specs throw a UserError listing the forms.
 */
export async function loadDataset(spec: string, opts: LoadDatasetOptions = {}): Promise<ImageSet> {
  const seed = opts.seed ?? 0;
  const [kind, ...rest] = spec.split(':');
  const arg = rest.join(':');
  let set: ImageSet;
  if ((kind === 'mnist' || kind === 'fashion') && (arg === 'train' || arg === 'test')) {
    set = await (kind === 'mnist' ? loadMnist : loadFashionMnist)(arg, { limit: opts.limit });
    return conform(set, opts.size, opts.channels);
  }
  if (kind === 'folder') {
    if (!arg) throw new UserError(`dataset '${spec}': folder:<path> needs a path`);
    return loadFolder(arg, opts, seed);
  }
  if (kind === 'photos' && (arg === 'train' || arg === 'test')) {
    // The colour transfer set: random crops of the stdlib photos, as many per photo as the limit asks; the test
    // split draws its crops from another seed (same photos, so crops can overlap the training ones).
    const count = opts.limit ?? PHOTO_PACKAGES.length * 32;
    return loadNaturalPhotos({
      size: opts.size ?? DEFAULT_FOLDER_SIZE, channels: opts.channels ?? 3, seed: arg === 'train' ? seed : hashSeed(`photos-test:${seed}`),
      cropsPerPhoto: Math.ceil(count / PHOTO_PACKAGES.length),
    }).then((all) => (all.count <= count ? all : subsetImages(all, new Rng(seed).fork('limit').permutation(all.count).slice(0, count).sort())));
  }
  if (spec === 'photos') {
    set = await loadNaturalPhotos({ size: opts.size ?? DEFAULT_SIZE, channels: opts.channels ?? 1, seed });
    if (opts.limit === undefined || opts.limit >= set.count) return set;
    // A seeded spread over all photos rather than the first photo's crops.
    return subsetImages(set, new Rng(seed).fork('limit').permutation(set.count).slice(0, opts.limit).sort());
  }
  if (kind === 'noise' && (rest.length === 0 || /^\d+$/.test(arg))) {
    const count = Math.min(rest.length ? Number(arg) : DEFAULT_NOISE_COUNT, opts.limit ?? Infinity);
    return makeNoiseImages({ count, size: opts.size ?? DEFAULT_SIZE, channels: opts.channels ?? 1, seed });
  }
  if (kind === 'blobs' && (rest.length === 0 || /^\d+$/.test(arg))) {
    const count = Math.min(rest.length ? Number(arg) : DEFAULT_NOISE_COUNT, opts.limit ?? Infinity);
    return makeNoiseImages({ count, size: opts.size ?? DEFAULT_SIZE, channels: opts.channels ?? 3, seed, kind: 'blobs' });
  }
  if (isDirectory(spec)) return loadFolder(spec, opts, seed); // named specs above win over same-named directories
  throw new UserError(`dataset '${spec}': unknown spec (expected one of ${DATASET_SPECS.join(', ')})`);
}

async function loadFolder(dir: string, opts: LoadDatasetOptions, seed: number): Promise<ImageSet> {
  const result = await loadImageFolder(dir, {
    // With a limit, a seeded random choice: sorted folders are grouped by class, so the first N would be biased.
    size: opts.size ?? DEFAULT_FOLDER_SIZE, channels: opts.channels ?? 3, strict: opts.strict, limit: opts.limit, seed,
  });
  if (result.skipped.length > 0) {
    // A summary listing every skipped file with its reason (capped, so a folder of junk stays readable).
    // Names quoted when they hold anything unusual: a newline in a file name cannot forge a line of this list.
    const shown = result.skipped.slice(0, MAX_SKIPPED_SHOWN).map((s) => `\n  ${quoteName(s.path)}: ${s.reason}`).join('');
    const more = result.skipped.length > MAX_SKIPPED_SHOWN ? `\n  ... and ${result.skipped.length - MAX_SKIPPED_SHOWN} more` : '';
    const message = `${quoteName(dir)}: skipped ${result.skipped.length} unreadable file(s):${shown}${more}`;
    // A folder decoded twice (once for the student, once at the teacher's resolution) lists its files once.
    if (!warnedSkips.has(message)) warn(message);
    warnedSkips.add(message);
  }
  return result.set;
}

/** Skipped-file lists already printed in this process. */
const warnedSkips = new Set<string>();

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Resizes / converts only when the requested shape differs from the set's. */
async function conform(set: ImageSet, size?: number, channels?: 1 | 3): Promise<ImageSet> {
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
