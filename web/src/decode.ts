/**
 * Decodes a user's image file into 8-bit pixels in the page, without colour management or premultiplication,
 * so a PNG gives exactly the bytes a Node decoder (sharp) gives. Nothing is uploaded.
 */
import { bytesToUnit, type UnitPixels } from '../../src/export/preprocess.js';

export interface DecodedImage extends UnitPixels {
  /** The decoded image on a canvas, reused as the preview. */
  canvas: HTMLCanvasElement;
}

/** Images larger than this are refused (as in Node, src/export/decode-node.ts): the tensor alone would need hundreds of MB. */
const MAX_PIXELS = 40_000_000;

export async function decodeImageFile(file: Blob, name: string): Promise<DecodedImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new Error(`${name}: not an image this browser can decode`);
  }
  const { width, height } = bitmap;
  if (width * height > MAX_PIXELS) {
    bitmap.close();
    throw new Error(`${name}: ${width}x${height} is too large (limit ${MAX_PIXELS / 1e6} megapixels)`);
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  if (!ctx) throw new Error('this browser has no 2D canvas');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
  return { ...bytesToUnit(rgba, width, height, 4), canvas };
}
