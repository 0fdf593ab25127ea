/** Builds gallery.json: a seeded sample of images with thumbnails, embeddings and a calibrated OOD threshold. */
import { join } from 'node:path';
import sharp from 'sharp';
import type { ImageSet } from '../data/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
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
 * Draws `count` gallery images from `set` with `seed`, embeds them with the student, and calibrates the kNN
 * OOD threshold on up to `count` further held-out images of the same set (leave-one-out within the gallery when
 * the set has no spare images). The threshold belongs to this gallery: kNN distances to a few hundred images
 * are larger than to a full training set, so a threshold calibrated elsewhere would flag too much.
 */
export async function buildGallery(student: LoadedStudent, set: ImageSet, count: number, seed: number, opts: GalleryOptions = {}): Promise<Gallery> {
  if (!Number.isInteger(count) || count < 2) throw new UserError(`gallery: size must be an integer >= 2, got ${count}`);
  if (set.count < 2) throw new UserError(`gallery: set '${set.name}' has ${set.count} images; need at least 2`);
  const n = Math.min(count, set.count);
  const order = new Rng(seed).fork('gallery').permutation(set.count);
  const chosen = order.subarray(0, n);
  const heldOut = order.subarray(n, Math.min(set.count, 2 * n));
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
