/**
 * JPEG compression through sharp (libvips) at the published quality levels, with the baseline settings PIL uses
 * (standard Annex K quantisation tables, no trellis, 4:2:0 chroma for colour). Gray images are encoded as
 * one-component JPEGs.
 *
 * Speed: one sharp round trip costs ~1.5 ms whatever the image size, so gray images are tiled into mosaics.
 * Each image is padded to a multiple of 8 pixels by repeating its last row and column, which is exactly what the
 * encoder does to a lone image; one-component 8x8 blocks are coded independently, so a tile decodes to the same
 * bytes as the image encoded on its own (checked by a test). Colour images go one by one: 4:2:0 decoding
 * interpolates chroma across block edges, so a mosaic would let neighbours leak in.
 */
import sharp from 'sharp';
import type { Image } from './image.js';

/** Largest mosaic side in pixels (keeps one mosaic around 4 MB). */
const MOSAIC_SIDE = 2048;
/** Colour images in flight at once (sharp runs them on libuv's thread pool). */
const COLOUR_CONCURRENCY = 8;

function toBytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, data[i]!)) * 255);
  return out;
}

async function roundTrip(bytes: Uint8Array, width: number, height: number, channels: 1 | 3, quality: number): Promise<Buffer> {
  let pipeline = sharp(bytes, { raw: { width, height, channels } });
  if (channels === 1) pipeline = pipeline.toColourspace('b-w');
  const jpeg = await pipeline.jpeg({ quality, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer();
  const decoded = sharp(jpeg);
  return (channels === 1 ? decoded.extractChannel(0) : decoded.removeAlpha()).raw().toBuffer();
}

async function compressColour(img: Image, quality: number): Promise<Float32Array> {
  const raw = await roundTrip(toBytes(img.data), img.width, img.height, img.channels, quality);
  return Float32Array.from(raw, (v) => v / 255);
}

/** Gray images of one shape, tiled into as few mosaics as fit MOSAIC_SIDE. */
async function compressGray(images: Image[], quality: number): Promise<Float32Array[]> {
  const { height: h, width: w } = images[0]!;
  const th = Math.ceil(h / 8) * 8;
  const tw = Math.ceil(w / 8) * 8;
  const cols = Math.max(1, Math.floor(MOSAIC_SIDE / tw));
  const rowsMax = Math.max(1, Math.floor(MOSAIC_SIDE / th));
  const perMosaic = cols * rowsMax;
  const results: Float32Array[] = new Array(images.length);
  for (let first = 0; first < images.length; first += perMosaic) {
    const n = Math.min(perMosaic, images.length - first);
    const mcols = Math.min(cols, n);
    const mrows = Math.ceil(n / mcols);
    const mw = mcols * tw;
    const mosaic = new Uint8Array(mrows * th * mw);
    for (let k = 0; k < n; k++) {
      const bytes = toBytes(images[first + k]!.data);
      const ox = (k % mcols) * tw;
      const oy = Math.floor(k / mcols) * th;
      for (let y = 0; y < th; y++) {
        const sy = Math.min(y, h - 1) * w;
        const row = (oy + y) * mw + ox;
        for (let x = 0; x < tw; x++) mosaic[row + x] = bytes[sy + Math.min(x, w - 1)]!;
      }
    }
    const raw = await roundTrip(mosaic, mw, mrows * th, 1, quality);
    for (let k = 0; k < n; k++) {
      const ox = (k % mcols) * tw;
      const oy = Math.floor(k / mcols) * th;
      const out = new Float32Array(h * w);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = raw[(oy + y) * mw + ox + x]! / 255;
      results[first + k] = out;
    }
  }
  return results;
}

/** JPEG-compresses images of one shape at `quality` (1..100); returns the decoded pixels in [0, 1]. */
export async function jpegCompressMany(images: Image[], quality: number): Promise<Float32Array[]> {
  if (images.length === 0) return [];
  if (images[0]!.channels === 1) return compressGray(images, quality);
  const results: Float32Array[] = new Array(images.length);
  let next = 0;
  const worker = async () => {
    while (next < images.length) {
      const i = next++;
      results[i] = await compressColour(images[i]!, quality);
    }
  };
  await Promise.all(Array.from({ length: Math.min(COLOUR_CONCURRENCY, images.length) }, worker));
  return results;
}

/** JPEG round trip of one image. */
export async function jpegCompress(img: Image, quality: number): Promise<Float32Array> {
  return (await jpegCompressMany([img], quality))[0]!;
}
