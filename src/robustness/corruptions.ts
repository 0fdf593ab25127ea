/**
 * The pixel-level corruptions of ImageNet-C (Hendrycks & Dietterich 2019), re-implemented on typed arrays from
 * the published definitions (imagenet_c / imagecorruptions), for gray and RGB images of any size.
 * Parameters and their scaling to small images live in params.ts; JPEG (which needs an encoder) in jpeg.ts.
 * Every function reads `img` and returns a new buffer, clipped to [0, 1].
 */
import type { Rng } from '../util/random.js';
import { bilinearPixel, filter2d, gaussianBlur, gaussianKernel1d, resizeBox, separableFilter, type Kernel2d } from './filters.js';
import { clip01, type Image } from './image.js';
import { nextPowerOfTwo, plasmaFractal } from './plasma.js';
import type { CorruptionParams } from './params.js';

type Params<N extends CorruptionParams['name']> = Extract<CorruptionParams, { name: N }>;

/** Poisson sample by inversion (one uniform per sample, so equal seeds give nested results across rates). */
function poisson(lambda: number, u: number): number {
  let p = Math.exp(-lambda);
  let cdf = p;
  let k = 0;
  while (u > cdf && k < 10_000) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}

/** n standard normals, both outputs of each Box-Muller pair used (half the uniforms and logs of rng.normal()). */
function normals(n: number, rng: Rng): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next()));
    const t = 2 * Math.PI * rng.next();
    z[i] = r * Math.cos(t);
    if (i + 1 < n) z[i + 1] = r * Math.sin(t);
  }
  return z;
}

export function gaussianNoise(img: Image, p: Params<'gaussian_noise'>, rng: Rng): Float32Array {
  const z = normals(img.data.length, rng);
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i]! + p.sigma * z[i]!;
  return clip01(out);
}

export function shotNoise(img: Image, p: Params<'shot_noise'>, rng: Rng): Float32Array {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = poisson(img.data[i]! * p.photons, rng.next()) / p.photons;
  return clip01(out);
}

/** Salt and pepper as skimage.util.random_noise(mode='s&p'): each value flips with probability `amount`, half to 1. */
export function impulseNoise(img: Image, p: Params<'impulse_noise'>, rng: Rng): Float32Array {
  const n = img.data.length;
  const flip = new Float64Array(n);
  for (let i = 0; i < n; i++) flip[i] = rng.next();
  const out = Float32Array.from(img.data);
  for (let i = 0; i < n; i++) {
    const salt = rng.next() <= 0.5;
    if (flip[i]! <= p.amount) out[i] = salt ? 1 : 0;
  }
  return out;
}

/** cv2.getGaussianKernel(ksize, sigma). */
function cvGaussianKernel(ksize: number, sigma: number): Float64Array {
  const s = sigma > 0 ? sigma : 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8;
  const k = new Float64Array(ksize);
  let sum = 0;
  for (let i = 0; i < ksize; i++) {
    const x = i - (ksize - 1) / 2;
    k[i] = Math.exp((-x * x) / (2 * s * s));
    sum += k[i]!;
  }
  for (let i = 0; i < ksize; i++) k[i]! /= sum;
  return k;
}

/**
 * The defocus point-spread function of the reference `disk()`: a disk of `radius` on an integer grid
 * (17x17 up to radius 8), normalised, then softened by a small Gaussian (3x3, or 5x5 for larger disks).
 * Cropped to its non-zero support so small radii cost a 3x3 or 5x5 filter.
 */
export function diskKernel(radius: number, aliasSigma: number): Kernel2d {
  const big = radius > 8;
  const half = big ? Math.ceil(radius) : 8;
  const size = 2 * half + 1;
  const disk = new Float32Array(size * size);
  let sum = 0;
  // Each tap is the fraction of its pixel the disk covers (8x8 sub-samples): the hard 0/1 disk of the
  // reference jumps when a scaled radius crosses an integer (0.875 px would be a single pixel), coverage does not.
  const sub = 8;
  for (let y = -half; y <= half; y++) {
    for (let x = -half; x <= half; x++) {
      let inside = 0;
      for (let sy = 0; sy < sub; sy++) {
        const yy = y - 0.5 + (sy + 0.5) / sub;
        for (let sx = 0; sx < sub; sx++) {
          const xx = x - 0.5 + (sx + 0.5) / sub;
          if (xx * xx + yy * yy <= radius * radius) inside++;
        }
      }
      // A disk smaller than the sub-sample grid still covers its own pixel.
      const v = x === 0 && y === 0 ? Math.max(inside, 1) : inside;
      disk[(y + half) * size + x + half] = v;
      sum += v;
    }
  }
  for (let i = 0; i < disk.length; i++) disk[i]! /= sum;
  const blurred = separableFilter({ data: disk, height: size, width: size, channels: 1 }, cvGaussianKernel(big ? 5 : 3, aliasSigma), 'reflect101');
  // Crop symmetric all-zero borders.
  let r = half;
  const rowOrColNonZero = (d: number) => {
    for (let t = -d; t <= d; t++) {
      for (const [y, x] of [[-d, t], [d, t], [t, -d], [t, d]] as const) {
        if (blurred[(y + half) * size + x + half]! !== 0) return true;
      }
    }
    return false;
  };
  while (r > 0 && !rowOrColNonZero(r)) r--;
  const side = 2 * r + 1;
  const data = new Float64Array(side * side);
  for (let y = -r; y <= r; y++) for (let x = -r; x <= r; x++) data[(y + r) * side + x + r] = blurred[(y + half) * size + x + half]!;
  // Mirroring at the grid edge (large disks fill their grid) would add mass; keep the kernel's sum at 1.
  const total = data.reduce((acc, v) => acc + v, 0);
  for (let i = 0; i < data.length; i++) data[i]! /= total;
  return { data, size: side };
}

/** Kernels depend only on (radius, alias sigma): build each once. */
const diskCache = new Map<string, Kernel2d>();

export function defocusBlur(img: Image, p: Params<'defocus_blur'>): Float32Array {
  const key = `${p.radius}:${p.aliasSigma}`;
  let kernel = diskCache.get(key);
  if (!kernel) {
    kernel = diskKernel(p.radius, p.aliasSigma);
    if (diskCache.size > 256) diskCache.clear();
    diskCache.set(key, kernel);
  }
  return clip01(filter2d(img, kernel, 'reflect101'));
}

/** Blur, locally shuffle pixels, blur again: frosted glass. The first blur is quantised to 8 bits as published. */
export function glassBlur(img: Image, p: Params<'glass_blur'>, rng: Rng): Float32Array {
  const { height: h, width: w, channels: c } = img;
  const x = gaussianBlur(img, p.sigma, 'nearest');
  for (let i = 0; i < x.length; i++) x[i] = Math.trunc(Math.min(1, Math.max(0, x[i]!)) * 255) / 255;
  const d = p.maxDelta;
  for (let it = 0; it < p.iterations; it++) {
    for (let y = h - d; y > d; y--) {
      for (let xx = w - d; xx > d; xx--) {
        // numpy randint(-d, d) excludes d: displacements are in [-d, d - 1].
        const dx = rng.int(2 * d) - d;
        const dy = rng.int(2 * d) - d;
        const a = (y * w + xx) * c;
        const b = ((y + dy) * w + xx + dx) * c;
        if (c === 1) {
          const t = x[a]!;
          x[a] = x[b]!;
          x[b] = t;
        } else {
          // numpy's `x[a], x[b] = x[b], x[a]` on pixel views copies b into a and leaves b alone, so the
          // published RGB glass blur duplicates neighbours instead of swapping them; we reproduce that.
          for (let ch = 0; ch < c; ch++) x[a + ch] = x[b + ch]!;
        }
      }
    }
  }
  return clip01(gaussianBlur({ data: x, height: h, width: w, channels: c }, p.sigma, 'nearest'));
}

/**
 * One-sided motion blur along `angleDeg` (imagecorruptions' _motion_blur, a re-implementation of ImageMagick's
 * MotionBlurImage): a sum of edge-clamped shifted copies weighted by a half-Gaussian of `sigma` over 2*radius+1 taps.
 */
export function motionBlurKernel(img: Image, radius: number, sigma: number, angleDeg: number): Float32Array {
  const { height: h, width: w, channels: c } = img;
  const width = 2 * radius + 1;
  const weights = new Float64Array(width);
  let sum = 0;
  for (let i = 0; i < width; i++) { weights[i] = Math.exp(-(i * i) / (2 * sigma * sigma)); sum += weights[i]!; }
  const rad = (angleDeg * Math.PI) / 180;
  const sin = Math.sin(rad);
  const cos = Math.cos(rad);
  const out = new Float32Array(img.data.length);
  const rowIdx = new Int32Array(h);
  const colIdx = new Int32Array(w);
  for (let i = 0; i < width; i++) {
    const dy = -Math.ceil(i * sin - 0.5);
    const dx = -Math.ceil(i * cos - 0.5);
    if (Math.abs(dy) >= h || Math.abs(dx) >= w) break; // the motion left the image, as in the reference
    const wt = weights[i]! / sum;
    for (let y = 0; y < h; y++) rowIdx[y] = Math.min(h - 1, Math.max(0, y - dy)) * w;
    for (let x = 0; x < w; x++) colIdx[x] = Math.min(w - 1, Math.max(0, x - dx));
    for (let y = 0; y < h; y++) {
      const o = y * w;
      const s = rowIdx[y]!;
      for (let x = 0; x < w; x++) {
        const si = (s + colIdx[x]!) * c;
        const oi = (o + x) * c;
        for (let ch = 0; ch < c; ch++) out[oi + ch]! += wt * img.data[si + ch]!;
      }
    }
  }
  return out;
}

export function motionBlur(img: Image, p: Params<'motion_blur'>, rng: Rng): Float32Array {
  return clip01(motionBlurKernel(img, p.radius, p.sigma, rng.uniform(-45, 45)));
}

/** Bilinear sampling positions along one axis: for each output, two source indices and the weight of the second. */
interface AxisTable { i0: Int32Array; i1: Int32Array; f: Float32Array }

const zoomTables = new Map<string, AxisTable>();

/** Source positions c + (o - c) / factor for a centred zoom of an axis of length n (edges clamped). */
function zoomAxis(n: number, factor: number): AxisTable {
  const key = `${n}:${factor}`;
  let t = zoomTables.get(key);
  if (t) return t;
  t = { i0: new Int32Array(n), i1: new Int32Array(n), f: new Float32Array(n) };
  const c = (n - 1) / 2;
  for (let o = 0; o < n; o++) {
    const s = c + (o - c) / factor;
    const s0 = Math.floor(s);
    t.i0[o] = Math.min(n - 1, Math.max(0, s0));
    t.i1[o] = Math.min(n - 1, Math.max(0, s0 + 1));
    t.f[o] = s - s0;
  }
  if (zoomTables.size > 1024) zoomTables.clear();
  zoomTables.set(key, t);
  return t;
}

/**
 * Zoom into the centre by `factor` (>= 1) with bilinear sampling. The reference crops ceil(h / z) pixels and
 * resamples, which on a 28-px image rounds zooms below 1.04 to no change or a one-pixel shift; sampling the
 * exact centred zoom gives the same result on large images and a smooth one on small ones.
 */
export function centreZoom(img: Image, factor: number): Float32Array {
  const { height: h, width: w, channels: c } = img;
  const out = new Float32Array(img.data.length);
  const ty = zoomAxis(h, factor);
  const tx = zoomAxis(w, factor);
  const d = img.data;
  for (let y = 0; y < h; y++) {
    const ra = ty.i0[y]! * w;
    const rb = ty.i1[y]! * w;
    const fy = ty.f[y]!;
    for (let x = 0; x < w; x++) {
      const xa = tx.i0[x]!;
      const xb = tx.i1[x]!;
      const fx = tx.f[x]!;
      const o = (y * w + x) * c;
      for (let ch = 0; ch < c; ch++) {
        const top = d[(ra + xa) * c + ch]! * (1 - fx) + d[(ra + xb) * c + ch]! * fx;
        const bottom = d[(rb + xa) * c + ch]! * (1 - fx) + d[(rb + xb) * c + ch]! * fx;
        out[o + ch] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

export function zoomBlur(img: Image, p: Params<'zoom_blur'>): Float32Array {
  const out = Float32Array.from(img.data);
  for (const z of p.factors) {
    const layer = centreZoom(img, z);
    for (let i = 0; i < out.length; i++) out[i]! += layer[i]!;
  }
  const n = p.factors.length + 1;
  for (let i = 0; i < out.length; i++) out[i]! /= n;
  return clip01(out);
}

/** Luma as OpenCV's RGB2GRAY (the published snow brightens by it); the value itself for gray images. */
function luma(img: Image, pixel: number): number {
  const d = img.data;
  if (img.channels === 1) return d[pixel]!;
  const i = pixel * 3;
  return 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!;
}

/** Falling snow: thresholded zoomed noise, motion-blurred into streaks, added twice (once rotated 180 degrees). */
export function snow(img: Image, p: Params<'snow'>, rng: Rng): Float32Array {
  const { height: h, width: w, channels: c } = img;
  const z = normals(h * w, rng);
  const noise = new Float32Array(h * w);
  for (let i = 0; i < noise.length; i++) noise[i] = p.mean + p.std * z[i]!;
  const layer = centreZoom({ data: noise, height: h, width: w, channels: 1 }, p.zoom);
  for (let i = 0; i < layer.length; i++) layer[i] = layer[i]! < p.threshold ? 0 : Math.min(1, layer[i]!);
  const streaks = motionBlurKernel({ data: layer, height: h, width: w, channels: 1 }, p.radius, p.sigma, rng.uniform(-135, -45));
  // The reference stores the snow layer as 8-bit.
  for (let i = 0; i < streaks.length; i++) streaks[i] = Math.round(streaks[i]! * 255) / 255;
  const out = new Float32Array(img.data.length);
  const n = h * w;
  for (let px = 0; px < n; px++) {
    const lifted = luma(img, px) * 1.5 + 0.5;
    const flakes = streaks[px]! + streaks[n - 1 - px]!;
    for (let ch = 0; ch < c; ch++) {
      const v = img.data[px * c + ch]!;
      out[px * c + ch] = p.blend * v + (1 - p.blend) * Math.max(v, lifted) + flakes;
    }
  }
  return clip01(out);
}

export function fog(img: Image, p: Params<'fog'>, rng: Rng): Float32Array {
  const { height: h, width: w, channels: c } = img;
  const size = nextPowerOfTwo(Math.max(h, w));
  const map = plasmaFractal(size, p.decay, rng);
  let maxVal = -Infinity;
  for (const v of img.data) if (v > maxVal) maxVal = v;
  const scale = maxVal / (maxVal + p.strength);
  const out = new Float32Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const f = p.strength * map[y * size + x]!;
      for (let ch = 0; ch < c; ch++) {
        const i = (y * w + x) * c + ch;
        out[i] = (img.data[i]! + f) * scale;
      }
    }
  }
  return clip01(out);
}

/**
 * Adds `delta` to the HSV value channel. Hue and saturation are unchanged, so hsv2rgb(h, s, v') is the pixel
 * scaled by v'/v (a black pixel becomes gray v'); a gray image is its own replicated-RGB value channel.
 */
export function brightness(img: Image, p: Params<'brightness'>): Float32Array {
  const { channels: c } = img;
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i += c) {
    let v = 0;
    for (let ch = 0; ch < c; ch++) v = Math.max(v, img.data[i + ch]!);
    const v2 = Math.min(1, v + p.delta);
    for (let ch = 0; ch < c; ch++) out[i + ch] = v > 0 ? img.data[i + ch]! * (v2 / v) : v2;
  }
  return clip01(out);
}

/** Pulls every channel towards its own mean. */
export function contrast(img: Image, p: Params<'contrast'>): Float32Array {
  const { channels: c } = img;
  const n = img.data.length / c;
  const means = new Float64Array(c);
  for (let i = 0; i < img.data.length; i++) means[i % c]! += img.data[i]!;
  for (let ch = 0; ch < c; ch++) means[ch]! /= n;
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const m = means[i % c]!;
    out[i] = (img.data[i]! - m) * p.factor + m;
  }
  return clip01(out);
}

/** Solves the 2x3 affine map taking three source points to three destination points (cv2.getAffineTransform). */
function affineFromPoints(src: number[][], dst: number[][]): number[] {
  const [a, b, c] = src as [number[], number[], number[]];
  // Rows [x y 1]; solve A m = d for each output coordinate by Cramer's rule.
  const det = a[0]! * (b[1]! - c[1]!) - a[1]! * (b[0]! - c[0]!) + (b[0]! * c[1]! - c[0]! * b[1]!);
  const solve = (d0: number, d1: number, d2: number) => [
    (d0 * (b[1]! - c[1]!) - a[1]! * (d1 - d2) + (d1 * c[1]! - d2 * b[1]!)) / det,
    (a[0]! * (d1 - d2) - d0 * (b[0]! - c[0]!) + (b[0]! * d2 - c[0]! * d1)) / det,
    (a[0]! * (b[1]! * d2 - c[1]! * d1) - a[1]! * (b[0]! * d2 - c[0]! * d1) + d0 * (b[0]! * c[1]! - c[0]! * b[1]!)) / det,
  ];
  const [m0, m1, m2] = solve(dst[0]![0]!, dst[1]![0]!, dst[2]![0]!);
  const [m3, m4, m5] = solve(dst[0]![1]!, dst[1]![1]!, dst[2]![1]!);
  return [m0!, m1!, m2!, m3!, m4!, m5!];
}

/**
 * A random affine warp (three anchor points jittered by up to `affine` pixels, mirrored border) followed by a
 * smooth random displacement field (uniform noise blurred by `sigma`, times `alpha`), sampled bilinearly.
 */
export function elasticTransform(img: Image, p: Params<'elastic_transform'>, rng: Rng): Float32Array {
  const { height: h, width: w, channels: c } = img;
  const cx = Math.floor(w / 2);
  const cy = Math.floor(h / 2);
  const sq = Math.floor(Math.min(h, w) / 3);
  const src = [[cx + sq, cy + sq], [cx + sq, cy - sq], [cx - sq, cy - sq]];
  const dst = src.map(([x, y]) => [x! + rng.uniform(-p.affine, p.affine), y! + rng.uniform(-p.affine, p.affine)]);
  // warpAffine samples the source at the inverse map of each destination pixel.
  const [a, b, tx, cc, d, ty] = affineFromPoints(src, dst) as [number, number, number, number, number, number];
  const det = a * d - b * cc;
  const warped = new Float32Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x - tx;
      const v = y - ty;
      const sx = (d * u - b * v) / det;
      const sy = (-cc * u + a * v) / det;
      bilinearPixel(img, sy, sx, 'reflect101', warped, (y * w + x) * c);
    }
  }
  const field = () => {
    const noise = new Float32Array(h * w);
    for (let i = 0; i < noise.length; i++) noise[i] = rng.uniform(-1, 1);
    const smooth = separableFilter({ data: noise, height: h, width: w, channels: 1 }, gaussianKernel1d(p.sigma, 3), 'reflect');
    for (let i = 0; i < smooth.length; i++) smooth[i]! *= p.alpha;
    return smooth;
  };
  const dx = field();
  const dy = field();
  const source: Image = { data: warped, height: h, width: w, channels: c };
  const out = new Float32Array(img.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      bilinearPixel(source, y + dy[i]!, x + dx[i]!, 'reflect', out, i * c);
    }
  }
  return clip01(out);
}

/** Box-downsample by `factor` and box-upsample back (PIL Image.BOX both ways, as ImageNet-C). */
export function pixelate(img: Image, p: Params<'pixelate'>): Float32Array {
  const small = resizeBox(img, Math.max(1, Math.trunc(img.height * p.factor)), Math.max(1, Math.trunc(img.width * p.factor)));
  return clip01(resizeBox(small, img.height, img.width).data);
}
