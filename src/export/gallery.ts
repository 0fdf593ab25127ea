/** Builds gallery.json: a seeded sample of images with thumbnails, embeddings and a calibrated OOD threshold. */
import { join } from 'node:path';
import sharp from 'sharp';
import type { ImageSet } from '../data/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { info, warn } from '../util/log.js';
import { Rng } from '../util/random.js';
import { sealExportFile } from './exporter.js';
import { GALLERY_FILE, GALLERY_FORMAT, parseSealedGallery, serializeGallery, type Gallery } from './gallery-format.js';
import { folderReader } from './load.js';
import { readMetadata } from './open.js';
import { knnScore, nearestNeighbours, normalizeRows, quantile } from './knn.js';
import { WEIGHTS_FILE } from './meta.js';
import type { LoadedStudent } from './open.js';

export interface GalleryOptions {
  /** Neighbour rank of the OOD score (default: meta.ood.k, else 10). */
  k?: number;
  /** In-distribution true-positive rate the threshold keeps (default 0.95). */
  tpr?: number;
  /** Largest thumbnail side in pixels (default 64; smaller images keep their size). */
  thumbSize?: number;
}

export const DEFAULT_OOD_K = 10;

/**
 * Held-out images the OOD threshold wants. The threshold is the `tpr` quantile of their kNN scores, so the share of
 * in-distribution images it really passes is uncertain by about ±1.96·sqrt(tpr(1-tpr)/m): ±4 points at m = 100 for
 * a 95% target, ±10 at m = 20, and with 4 images the "95% quantile" is simply the largest score (issue 27: 3 of 9
 * training images flagged). The gallery gives up images to reach this (at most a quarter of the set).
 */
export const MIN_CALIBRATION_IMAGES = 100;
/** Below this many held-out images the threshold is calibrated leave-one-out within the gallery instead. */
export const MIN_HELD_OUT_IMAGES = 20;

/** Half-width (points) of the 95% interval on the in-distribution pass rate a threshold from `m` images gives. */
export const calibrationNoisePoints = (m: number, tpr: number) => 100 * 1.96 * Math.sqrt((tpr * (1 - tpr)) / m);

/**
 * How many gallery and held-out calibration images a set of `total` gives for a requested gallery `count`: the
 * gallery shrinks so that min(MIN_CALIBRATION_IMAGES, total / 4) images stay out of it for the calibration (none
 * when that is under MIN_HELD_OUT_IMAGES).
 */
export function calibrationSplit(total: number, count: number): { gallery: number; heldOut: number } {
  const quarter = Math.min(MIN_CALIBRATION_IMAGES, Math.floor(total / 4));
  // Too small a set to spare MIN_HELD_OUT_IMAGES: keep the gallery whole (calibrated leave-one-out).
  const reserve = quarter >= MIN_HELD_OUT_IMAGES ? quarter : 0;
  const gallery = Math.max(2, Math.min(count, total - reserve));
  return { gallery, heldOut: Math.min(total - gallery, Math.max(gallery, MIN_CALIBRATION_IMAGES)) };
}

function subset(set: ImageSet, indices: ArrayLike<number>, name: string): ImageSet {
  const per = set.height * set.width * set.channels;
  const pixels = new Float32Array(indices.length * per);
  for (let i = 0; i < indices.length; i++) pixels.set(set.pixels.subarray(indices[i]! * per, (indices[i]! + 1) * per), i * per);
  return { name, count: indices.length, height: set.height, width: set.width, channels: set.channels, pixels };
}

/** One image of a set as a PNG data: URL, shrunk to fit `maxSide`. */
export async function thumbnailDataUrl(set: ImageSet, index: number, maxSide: number): Promise<string> {
  const per = set.height * set.width * set.channels;
  const bytes = Buffer.alloc(per);
  for (let i = 0; i < per; i++) bytes[i] = Math.round(Math.min(1, Math.max(0, set.pixels[index * per + i]!)) * 255);
  let img = sharp(bytes, { raw: { width: set.width, height: set.height, channels: set.channels } });
  if (Math.max(set.width, set.height) > maxSide) img = img.resize(maxSide, maxSide, { fit: 'inside' });
  const png = await img.png({ compressionLevel: 9 }).toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * Draws `count` gallery images from `set` with `seed` (fewer when the set is too small to leave
 * MIN_CALIBRATION_IMAGES out: calibrationSplit), embeds them with the student, and calibrates the kNN OOD threshold
 * on up to max(`count`, MIN_CALIBRATION_IMAGES) further held-out images of the same set (leave-one-out within the
 * gallery when fewer than MIN_HELD_OUT_IMAGES are spare), warning below MIN_CALIBRATION_IMAGES. The threshold belongs to this gallery: kNN distances to a few hundred images
 * are larger than to a full training set, so a threshold calibrated elsewhere would flag too much.
 */
export async function buildGallery(student: LoadedStudent, set: ImageSet, count: number, seed: number, opts: GalleryOptions = {}): Promise<Gallery> {
  if (!Number.isInteger(count) || count < 2) throw new UserError(`gallery: size must be an integer >= 2, got ${count}`);
  if (set.count < 2) throw new UserError(`gallery: set '${set.name}' has ${set.count} images; need at least 2`);
  const split = calibrationSplit(set.count, count);
  const n = split.gallery;
  const order = new Rng(seed).fork('gallery').permutation(set.count);
  const chosen = order.subarray(0, n);
  const spare = order.subarray(n, n + split.heldOut);
  const heldOut = spare.length >= MIN_HELD_OUT_IMAGES ? spare : order.subarray(n, n);
  const dim = student.meta.embedDim;
  const k = Math.max(1, Math.min(opts.k ?? student.meta.ood?.k ?? DEFAULT_OOD_K, n - 1));
  const tpr = opts.tpr ?? 0.95;

  const embeddings = await student.embed(subset(set, chosen, set.name));
  const unit = normalizeRows(embeddings, dim);
  const scores: number[] = [];
  if (heldOut.length > 0) {
    const held = await student.embed(subset(set, heldOut, set.name));
    for (let i = 0; i < heldOut.length; i++) scores.push(knnScore(nearestNeighbours(held.subarray(i * dim, (i + 1) * dim), unit, dim, k), k));
  } else {
    for (let i = 0; i < n; i++) scores.push(knnScore(nearestNeighbours(embeddings.subarray(i * dim, (i + 1) * dim), unit, dim, k, i), k));
  }

  if (n < Math.min(count, set.count)) info(`gallery: ${n} of the requested ${count} images, so that ${heldOut.length} images of ${set.name} stay out of it to calibrate the OOD threshold`);
  if (scores.length < MIN_CALIBRATION_IMAGES) {
    warn(`gallery: the OOD threshold is calibrated on only ${scores.length} ${heldOut.length > 0 ? 'held-out' : 'gallery (leave-one-out)'} images of ${set.name}: the share of in-distribution images it passes is ${Math.round(tpr * 100)}% ± ${calibrationNoisePoints(scores.length, tpr).toFixed(0)} points; export from a set with ${MIN_CALIBRATION_IMAGES} or more images beyond the gallery (--gallery, --gallery-size) for ±4`);
  }
  const thumbSize = opts.thumbSize ?? 64;
  const items = await Promise.all(Array.from(chosen, async (index) => ({
    source: set.sources?.[index] ?? `${set.name}#${index}`,
    ...(set.labels ? { label: set.labels[index]! } : {}),
    ...(set.labels && set.classNames?.[set.labels[index]!] !== undefined ? { className: set.classNames[set.labels[index]!]! } : {}),
    thumb: await thumbnailDataUrl(set, index, thumbSize),
  })));

  return {
    format: GALLERY_FORMAT,
    formatVersion: 1,
    set: set.name,
    seed,
    count: n,
    embedDim: dim,
    weightsSha256: student.meta.files[WEIGHTS_FILE]?.sha256 ?? '',
    embeddings,
    calibration: { k, tpr, threshold: quantile(scores, tpr), method: heldOut.length > 0 ? 'held-out' : 'leave-one-out', images: scores.length },
    items,
  };
}

/** Writes gallery.json into an export folder (atomically), then seals it: its SHA-256 goes into tintem.json. */
export async function writeGallery(dir: string, gallery: Gallery): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(serializeGallery(gallery)));
  await writeFileAtomic(join(dir, GALLERY_FILE), bytes);
  await sealExportFile(dir, GALLERY_FILE, bytes);
}

/** Reads gallery.json from an export folder, verified against tintem.json. */
export async function readGallery(dir: string): Promise<Gallery> {
  const { read, shown } = folderReader(dir);
  const meta = await readMetadata(read, shown);
  let bytes: Uint8Array;
  try { bytes = await read(GALLERY_FILE); } catch { throw new UserError(`${shown(GALLERY_FILE)}: gallery not found (run 'tintem export' with --gallery)`); }
  return parseSealedGallery(bytes, shown(GALLERY_FILE), meta.files);
}
