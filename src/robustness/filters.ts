/**
 * Filtering primitives the corruptions are built from, matching the border handling of the libraries the
 * published code calls (scipy.ndimage, skimage, OpenCV, PIL), on HWC Float32Array images.
 */
import type { Image } from './image.js';

/**
 * How a filter reads past the edge: 'nearest' repeats the edge pixel (skimage.filters.gaussian default),
 * 'reflect' mirrors including the edge pixel, d c b a | a b c d (scipy.ndimage 'reflect'), 'reflect101' mirrors
 * about the edge pixel, d c b | a b c d (OpenCV's default BORDER_REFLECT_101).
 */
export type BorderMode = 'nearest' | 'reflect' | 'reflect101';

/** Maps any integer index into [0, n) under a border mode (works however far outside the index lies). */
export function borderIndex(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  if (n === 1) return 0;
  if (mode === 'nearest') return i < 0 ? 0 : n - 1;
  if (mode === 'reflect') {
    const p = 2 * n;
    const r = ((i % p) + p) % p;
    return r < n ? r : p - 1 - r;
  }
  const p = 2 * n - 2;
  const r = ((i % p) + p) % p;
  return r < n ? r : p - r;
}

/** Normalised 1-D Gaussian taps, scipy-style: radius = int(truncate * sigma + 0.5). */
export function gaussianKernel1d(sigma: number, truncate = 4): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  if (sigma <= 0 || radius === 0) return Float64Array.of(1);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    const w = Math.exp((-0.5 * x * x) / (sigma * sigma));
    k[x + radius] = w;
    sum += w;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/**
 * Correlates every channel with a symmetric odd-length 1-D kernel along rows then columns (separable 2-D filter).
 * Returns a new buffer; `src` is not changed.
 */
export function separableFilter(img: Image, kernel: Float64Array, mode: BorderMode): Float32Array {
  const { height: h, width: w, channels: c } = img;
  if (kernel.length === 1) return Float32Array.from(img.data, (v) => v * kernel[0]!);
  const r = (kernel.length - 1) >> 1;
  const tmp = new Float32Array(img.data.length);
  const out = new Float32Array(img.data.length);
  // Index tables once per pass: position p + tap t reads source xIdx[p + t] (positions padded by r each side).
  const xIdx = new Int32Array(w + 2 * r);
  for (let p = 0; p < xIdx.length; p++) xIdx[p] = borderIndex(p - r, w, mode) * c;
  const yIdx = new Int32Array(h + 2 * r);
  for (let p = 0; p < yIdx.length; p++) yIdx[p] = borderIndex(p - r, h, mode) * w * c;
  const src = img.data;
  const kl = kernel.length;
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let t = 0; t < kl; t++) s += kernel[t]! * src[row + xIdx[x + t]! + ch]!;
        tmp[row + x * c + ch] = s;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        const col = x * c + ch;
        let s = 0;
        for (let t = 0; t < kl; t++) s += kernel[t]! * tmp[yIdx[y + t]! + col]!;
        out[y * w * c + col] = s;
      }
    }
  }
  return out;
}

/** Gaussian blur of every channel (skimage.filters.gaussian with multichannel=True, or scipy gaussian_filter). */
export function gaussianBlur(img: Image, sigma: number, mode: BorderMode = 'nearest', truncate = 4): Float32Array {
  return separableFilter(img, gaussianKernel1d(sigma, truncate), mode);
}

/** A dense 2-D kernel, row-major, odd sides, anchored at its centre. */
export interface Kernel2d {
  data: Float64Array;
  size: number;
}

/** Correlates every channel with a square 2-D kernel (cv2.filter2D semantics), skipping zero taps. */
export function filter2d(img: Image, kernel: Kernel2d, mode: BorderMode = 'reflect101'): Float32Array {
  const { height: h, width: w, channels: c } = img;
  const r = (kernel.size - 1) >> 1;
  const taps: { dy: number; dx: number; w: number }[] = [];
  for (let ky = 0; ky < kernel.size; ky++) {
    for (let kx = 0; kx < kernel.size; kx++) {
      const v = kernel.data[ky * kernel.size + kx]!;
      if (v !== 0) taps.push({ dy: ky - r, dx: kx - r, w: v });
    }
  }
  const xIdx = new Int32Array(w + 2 * r);
  for (let p = 0; p < xIdx.length; p++) xIdx[p] = borderIndex(p - r, w, mode) * c;
  const yIdx = new Int32Array(h + 2 * r);
  for (let p = 0; p < yIdx.length; p++) yIdx[p] = borderIndex(p - r, h, mode) * w * c;
  const out = new Float32Array(img.data.length);
  const src = img.data;
  for (const { dy, dx, w: wt } of taps) {
    for (let y = 0; y < h; y++) {
      const srow = yIdx[y + dy + r]!;
      const orow = y * w * c;
      for (let x = 0; x < w; x++) {
        const s = srow + xIdx[x + dx + r]!;
        const o = orow + x * c;
        for (let ch = 0; ch < c; ch++) out[o + ch]! += wt * src[s + ch]!;
      }
    }
  }
  return out;
}

/**
 * Bilinear sample of channel `ch` at fractional (y, x); neighbours outside the image are read through `mode`
 * (as scipy map_coordinates(order=1) and cv2.warpAffine(INTER_LINEAR) do).
 */
export function bilinear(img: Image, y: number, x: number, ch: number, mode: BorderMode): number {
  const { height: h, width: w, channels: c } = img;
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  const ya = borderIndex(y0, h, mode) * w;
  const yb = borderIndex(y0 + 1, h, mode) * w;
  const xa = borderIndex(x0, w, mode);
  const xb = borderIndex(x0 + 1, w, mode);
  const d = img.data;
  const top = d[(ya + xa) * c + ch]! * (1 - fx) + d[(ya + xb) * c + ch]! * fx;
  const bottom = d[(yb + xa) * c + ch]! * (1 - fx) + d[(yb + xb) * c + ch]! * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Bilinear sample of every channel at (y, x), written to out[offset ..]: one index computation per pixel. */
export function bilinearPixel(img: Image, y: number, x: number, mode: BorderMode, out: Float32Array, offset: number): void {
  const { height: h, width: w, channels: c } = img;
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  const inside = y0 >= 0 && y0 + 1 < h && x0 >= 0 && x0 + 1 < w;
  const ya = (inside ? y0 : borderIndex(y0, h, mode)) * w;
  const yb = (inside ? y0 + 1 : borderIndex(y0 + 1, h, mode)) * w;
  const xa = inside ? x0 : borderIndex(x0, w, mode);
  const xb = inside ? x0 + 1 : borderIndex(x0 + 1, w, mode);
  const d = img.data;
  const a = (ya + xa) * c, b = (ya + xb) * c, e = (yb + xa) * c, f = (yb + xb) * c;
  for (let ch = 0; ch < c; ch++) {
    const top = d[a + ch]! * (1 - fx) + d[b + ch]! * fx;
    const bottom = d[e + ch]! * (1 - fx) + d[f + ch]! * fx;
    out[offset + ch] = top * (1 - fy) + bottom * fy;
  }
}

/** Resampling weights from `inSize` to `outSize` samples: for each output, the first input and its taps. */
interface ResampleCoeffs {
  start: Int32Array;
  taps: Float64Array[];
}

/** PIL's precompute_coeffs for the BOX filter (support 0.5, widened by the scale when shrinking). */
function boxCoeffs(inSize: number, outSize: number): ResampleCoeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 0.5 * filterScale;
  const start = new Int32Array(outSize);
  const taps: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const k = new Float64Array(xmax - xmin);
    let sum = 0;
    for (let x = 0; x < k.length; x++) {
      const t = (x + xmin - center + 0.5) / filterScale;
      const v = t > -0.5 && t <= 0.5 ? 1 : 0;
      k[x] = v;
      sum += v;
    }
    if (sum > 0) for (let x = 0; x < k.length; x++) k[x]! /= sum;
    start[o] = xmin;
    taps.push(k);
  }
  return { start, taps };
}

/** Resizes with PIL's Image.BOX filter (area average when shrinking, overlap-weighted when enlarging). */
export function resizeBox(img: Image, outHeight: number, outWidth: number): Image {
  const { height: h, width: w, channels: c } = img;
  const cx = boxCoeffs(w, outWidth);
  const cy = boxCoeffs(h, outHeight);
  const tmp = new Float32Array(h * outWidth * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < outWidth; x++) {
      const k = cx.taps[x]!;
      const s0 = cx.start[x]!;
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let t = 0; t < k.length; t++) s += k[t]! * img.data[(y * w + s0 + t) * c + ch]!;
        tmp[(y * outWidth + x) * c + ch] = s;
      }
    }
  }
  const out = new Float32Array(outHeight * outWidth * c);
  for (let y = 0; y < outHeight; y++) {
    const k = cy.taps[y]!;
    const s0 = cy.start[y]!;
    for (let x = 0; x < outWidth; x++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let t = 0; t < k.length; t++) s += k[t]! * tmp[((s0 + t) * outWidth + x) * c + ch]!;
        out[(y * outWidth + x) * c + ch] = s;
      }
    }
  }
  return { data: out, height: outHeight, width: outWidth, channels: c };
}
