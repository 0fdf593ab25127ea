/**
 * gallery.json: a few hundred reference images (thumbnails) with their student embeddings, written next to an
 * exported model for the web page's nearest-neighbour view and OOD score. Browser-safe.
 */
import * as z from 'zod/mini';
import { UserError } from '../util/errors.js';
import { sha256Hex } from './checksum.js';
import { describeSchemaError, METADATA_FILE, METADATA_LIMITS, type TintemJson } from './meta.js';

/** A gallery is a few hundred thumbnails for a web page: caps keep a hostile file from filling the page's memory. */
export const GALLERY_LIMITS = { count: 100_000, thumbChars: 1_000_000, sourceChars: 4096 } as const;

export const GALLERY_FILE = 'gallery.json';
export const GALLERY_FORMAT = 'tintem-gallery';

export const galleryItemSchema = z.object({
  /** Where the image came from (file path or 'mnist-train#123'). */
  source: z.string().check(z.maxLength(GALLERY_LIMITS.sourceChars)),
  label: z.optional(z.int()),
  className: z.optional(z.string().check(z.maxLength(GALLERY_LIMITS.sourceChars))),
  /** PNG thumbnail as a data: URL (so the page makes no request per image). */
  thumb: z.string().check(z.startsWith('data:image/png;base64,'), z.maxLength(GALLERY_LIMITS.thumbChars)),
});

export const galleryFileSchema = z.object({
  format: z.literal(GALLERY_FORMAT),
  formatVersion: z.literal(1),
  /** Name of the ImageSet the gallery was drawn from. */
  set: z.string(),
  seed: z.int(),
  count: z.int().check(z.positive(), z.maximum(GALLERY_LIMITS.count)),
  embedDim: z.int().check(z.positive(), z.maximum(METADATA_LIMITS.embedDim)),
  /** SHA-256 of the model's weights file, so a stale gallery is detected. */
  weightsSha256: z.string(),
  /** Embeddings, count x embedDim float32 little-endian, base64. */
  embeddings: z.string(),
  /** kNN OOD threshold calibrated against this gallery: the `tpr` quantile of in-distribution scores. */
  calibration: z.object({
    k: z.int().check(z.positive(), z.maximum(METADATA_LIMITS.oodK)),
    tpr: z.number().check(z.minimum(0), z.maximum(1)),
    /** A kNN distance sqrt(2 - 2 cos): 0..2. */
    threshold: z.number().check(z.minimum(0), z.maximum(2)),
    /** 'held-out' (images not in the gallery) or 'leave-one-out'. */
    method: z.enum(['held-out', 'leave-one-out']),
    images: z.int().check(z.nonnegative()),
  }),
  items: z.array(galleryItemSchema),
});
export type GalleryFile = z.infer<typeof galleryFileSchema>;

/** A gallery with its embeddings decoded. */
export interface Gallery extends Omit<GalleryFile, 'embeddings'> {
  embeddings: Float32Array;
}

export function encodeFloat32(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function decodeFloat32(base64: string): Float32Array {
  const text = atob(base64);
  if (text.length % 4 !== 0) throw new Error('float32 data length is not a multiple of 4');
  const view = new DataView(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) view.setUint8(i, text.charCodeAt(i));
  const out = new Float32Array(text.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

export function serializeGallery(gallery: Gallery): GalleryFile {
  return { ...gallery, embeddings: encodeFloat32(gallery.embeddings) };
}

/** Parses and checks gallery.json text; `label` names the file in errors. */
export function parseGallery(text: string, label: string): Gallery {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { throw new UserError(`${label}: not valid JSON`); }
  const parsed = galleryFileSchema.safeParse(raw);
  if (!parsed.success) throw new UserError(`${label}: not a tintem gallery (${describeSchemaError(parsed.error)})`);
  const file = parsed.data;
  let embeddings: Float32Array;
  try { embeddings = decodeFloat32(file.embeddings); } catch { throw new UserError(`${label}: embeddings are not valid base64 float32`); }
  if (embeddings.length !== file.count * file.embedDim || file.items.length !== file.count) {
    throw new UserError(`${label}: expected ${file.count} items of dim ${file.embedDim}, got ${file.items.length} items and ${embeddings.length} values`);
  }
  return { ...file, embeddings };
}

/**
 * gallery.json checked against the SHA-256 that tintem.json lists for it (the export seals the gallery after
 * writing it), then parsed. Node and the web page both read galleries through this.
 */
export async function parseSealedGallery(bytes: Uint8Array, label: string, files: TintemJson['files']): Promise<Gallery> {
  const entry = files[GALLERY_FILE];
  if (!entry) throw new UserError(`${label}: ${METADATA_FILE} lists no checksum for it; re-run 'tintem export' to rebuild the gallery`);
  if (bytes.length !== entry.bytes || (await sha256Hex(bytes)) !== entry.sha256) {
    throw new UserError(`${label}: SHA-256 mismatch with ${METADATA_FILE} (damaged or replaced); re-run 'tintem export'`);
  }
  const embeddings = parseGallery(new TextDecoder().decode(bytes), label);
  for (const v of embeddings.embeddings) if (!Number.isFinite(v)) throw new UserError(`${label}: holds a non-finite embedding value`);
  return embeddings;
}
