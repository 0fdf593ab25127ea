/**
 * Cache keys. An entry's key hashes everything that determines a teacher output: the image bytes (and shape),
 * the teacher identity (model, cut, input size, preprocessing, token grid) and the augmentation view with its
 * seed, so an embedding of one view is never served for another.
 */
import { imageChecksum, isIdentityView, viewKey, type ViewSpec } from '../data/index.js';
import type { ImageSet } from '../data/types.js';
import type { Teacher } from '../teachers/types.js';
import { hashJson, sha256 } from '../util/hash.js';

/** Bumped whenever the meaning of a stored value changes, so old shards are never read as new ones. */
export const CACHE_FORMAT_VERSION = 1;

export interface KeyParts {
  /** imageChecksum of the source image (before augmentation). */
  image: string;
  /** Teacher id (model, cut, input size, preprocessing). */
  teacher: string;
  tokenGrid: number | null;
  /** viewKey of the augmentation view ('identity' for none). */
  view: string;
  /**
   * Position of the image in its dataset, for augmented views only: their random draws depend on it
   * (src/data/augment.ts), so two copies of one image, or one image at a new position, get different crops.
   */
  index?: number;
}

export function entryKey(parts: KeyParts): string {
  return hashJson({ v: CACHE_FORMAT_VERSION, ...parts });
}

export function teacherKeyParts(teacher: Teacher, view: ViewSpec | undefined): Omit<KeyParts, 'image'> {
  return { teacher: teacher.id, tokenGrid: teacher.tokenGrid ?? null, view: view ? viewKey(view) : 'identity' };
}

/** Keys of images [start, end) of `set` for this teacher and view. */
export function entryKeys(set: ImageSet, start: number, end: number, teacher: Teacher, view?: ViewSpec): string[] {
  const indices = Array.from({ length: end - start }, (_, i) => start + i);
  return entryKeysOf(indices.map((i) => imageChecksum(set, i)), indices, teacher, view);
}

/** Keys of the images at dataset positions `indices`, whose imageChecksums are `checksums` (same order). */
export function entryKeysOf(checksums: readonly string[], indices: ArrayLike<number>, teacher: Teacher, view?: ViewSpec): string[] {
  const common = teacherKeyParts(teacher, view);
  const positional = view !== undefined && !isIdentityView(view);
  return checksums.map((image, n) => entryKey(positional ? { image, ...common, index: indices[n]! } : { image, ...common }));
}

/** Storage layout a shard was written with; part of the shard's file name, not of its entries' keys. */
export interface StorageLayout {
  dtype: 'float32' | 'float16';
  tokens: boolean;
}

/** Content address of a shard: hash of its entries' keys and storage layout. */
export function shardName(keys: string[], layout: StorageLayout): string {
  return sha256(`${layout.dtype}|${layout.tokens ? 'tokens' : 'pooled'}|${keys.join(',')}`).slice(0, 32);
}
