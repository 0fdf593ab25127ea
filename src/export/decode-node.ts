/**
 * Node twin of the page's image decoding (web/src/decode.ts): a file at its own size, EXIF orientation applied,
 * 8-bit channels / 255, alpha dropped, grey RGB collapsed; the student then resizes it exactly as in the browser.
 * Use this (not a loader that resizes on decode) when Node and browser embeddings must agree.
 */
import sharp, { type OutputInfo } from 'sharp';
import type { ImageSet } from '../data/types.js';
import { DECODED_FORMATS } from '../data/imageFolder.js';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';
import type { LoadedStudent } from './open.js';
import { bytesToUnit } from './preprocess.js';

/** Images with more pixels than this are refused (the page uses the same limit). */
export const MAX_IMAGE_PIXELS = 40_000_000;

/** One image file as a one-image ImageSet at its native size. */
export async function readImageFile(path: string): Promise<ImageSet> {
  let decoded: { data: Buffer; info: OutputInfo };
  let format: string | undefined;
  try {
    format = (await sharp(path, { limitInputPixels: false }).metadata()).format;
  } catch (e) {
    throw new UserError(`${quoteName(path)}: cannot decode as an image (${(e as Error).message.split('\n')[0]})`);
  }
  // By content, as the image-folder loader does: an SVG named .png is still an SVG.
  if (!format || !DECODED_FORMATS.has(format)) throw new UserError(`${quoteName(path)}: content is ${format ?? 'unknown'}, not a supported image (${[...DECODED_FORMATS].join(', ')})`);
  try {
    decoded = await sharp(path, { limitInputPixels: MAX_IMAGE_PIXELS, pages: 1 }).rotate().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new UserError(`${quoteName(path)}: cannot decode as an image (${(e as Error).message.split('\n')[0]})`);
  }
  const { data, info } = decoded;
  const unit = bytesToUnit(data, info.width, info.height, info.channels);
  return { name: path, count: 1, height: unit.height, width: unit.width, channels: unit.channels, pixels: unit.pixels, sources: [path] };
}

/** Embeds image files one by one at their native sizes; rows follow `paths`. */
export async function embedImageFiles(student: LoadedStudent, paths: string[]): Promise<Float32Array> {
  const out = new Float32Array(paths.length * student.meta.embedDim);
  for (const [i, path] of paths.entries()) out.set(await student.embed(await readImageFile(path)), i * student.meta.embedDim);
  return out;
}
