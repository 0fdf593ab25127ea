/**
 * The one preprocessing path from decoded pixels to the student's input, shared by Node (loadStudent().embed)
 * and the browser page, so both compute the same numbers. Browser-safe.
 */
import { tf } from '../backend/index.js';
import { toModelInput } from '../backend/images.js';

export interface UnitPixels {
  pixels: Float32Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/**
 * Interleaved 8-bit pixels (1, 2 = gray+alpha, 3 or 4 = RGBA channels) -> float32 in [0, 1], alpha dropped.
 * An RGB image whose channels are all equal becomes 1-channel, because browsers decode gray PNGs to RGBA while
 * Node decoders keep one channel: collapsing keeps both sides on the same numbers.
 */
export function bytesToUnit(bytes: ArrayLike<number>, width: number, height: number, channelsIn: number): UnitPixels {
  const n = width * height;
  if (bytes.length !== n * channelsIn) throw new Error(`expected ${n * channelsIn} bytes for ${width}x${height}x${channelsIn}, got ${bytes.length}`);
  let gray = channelsIn <= 2;
  if (!gray) {
    gray = true;
    for (let i = 0; i < n && gray; i++) {
      const o = i * channelsIn;
      gray = bytes[o] === bytes[o + 1] && bytes[o] === bytes[o + 2];
    }
  }
  const channels: 1 | 3 = gray ? 1 : 3;
  const pixels = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const o = i * channelsIn;
    for (let c = 0; c < channels; c++) pixels[i * channels + c] = bytes[o + c]! / 255;
  }
  return { pixels, width, height, channels };
}

/**
 * Images N x H x W x C (C = 1 or 3, values in [0, 1], any size) -> N x S x S x channels: the same conversion as
 * the training data (backend/images.ts), so an exported student sees what it was trained on.
 */
export function toStudentInput(images: tf.Tensor4D, inputSize: number, channels: 1 | 3): tf.Tensor4D {
  return toModelInput(images, inputSize, channels);
}
