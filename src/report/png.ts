/** Encodes small pixel arrays as inline PNG data URIs (and back, for checks), so the report needs no image files. */
import sharp from 'sharp';
import { UserError } from '../util/errors.js';
import type { PixelImage } from './types.js';

const PREFIX = 'data:image/png;base64,';

/** Encodes an HWC image with values in [0, 1] (clamped) as a `data:image/png;base64,...` URI. */
export async function encodePngDataUri(image: PixelImage, what = 'image'): Promise<string> {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UserError(`${what}: expected positive integer width and height, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3) throw new UserError(`${what}: expected channels 1 or 3, got ${String(channels)}`);
  if (pixels.length !== width * height * channels) {
    throw new UserError(`${what}: expected ${width * height * channels} pixel values (${height}x${width}x${channels}), got ${pixels.length}`);
  }
  const bytes = Buffer.alloc(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    bytes[i] = Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 0;
  }
  let img = sharp(bytes, { raw: { width, height, channels } });
  if (channels === 1) img = img.toColourspace('b-w'); // else sharp writes an RGB PNG, three times the size
  const png = await img.png({ compressionLevel: 9 }).toBuffer();
  return PREFIX + png.toString('base64');
}

/** Decodes a PNG data URI back to pixels in [0, 1] (multiples of 1/255). */
export async function decodePngDataUri(uri: string): Promise<PixelImage> {
  if (!uri.startsWith(PREFIX)) throw new UserError(`expected a ${PREFIX}... URI`);
  const png = Buffer.from(uri.slice(PREFIX.length), 'base64');
  const meta = await sharp(png).metadata();
  // sharp widens to sRGB on output unless told otherwise; keep grayscale as one channel, drop alpha.
  const pipeline = (meta.channels ?? 3) <= 2 ? sharp(png).removeAlpha().toColourspace('b-w') : sharp(png).removeAlpha();
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1 && info.channels !== 3) throw new UserError(`expected a grayscale or RGB PNG, got ${info.channels} channels`);
  return { width: info.width, height: info.height, channels: info.channels, pixels: Float32Array.from(data, (b) => b / 255) };
}
