/**
 * Plasma fractal (diamond-square) heightmap, the cloud texture of the published fog corruption: wrapping
 * diamond-square on a power-of-two grid whose random offsets shrink by `decay` per octave, normalised to [0, 1].
 */
import type { Rng } from '../util/random.js';

/** Smallest power of two >= n (1 for n <= 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A size x size heightmap in [0, 1], row-major. `size` must be a power of two. */
export function plasmaFractal(size: number, decay: number, rng: Rng): Float64Array {
  if (size < 1 || (size & (size - 1)) !== 0) throw new Error(`plasmaFractal: size ${size} is not a power of two`);
  const map = new Float64Array(size * size);
  let step = size;
  let wibble = 100;
  // Random offsets are drawn in row-major order over each sub-grid, as numpy fills its arrays.
  const jitter = () => wibble * rng.uniform(-wibble, wibble);
  while (step >= 2) {
    const n = size / step;
    const h = step / 2;
    // Squares: each centre gets the mean of its four (wrapping) corners.
    for (let i = 0; i < n; i++) {
      const r0 = i * step * size;
      const r1 = ((i + 1) % n) * step * size;
      for (let j = 0; j < n; j++) {
        const c0 = j * step;
        const c1 = ((j + 1) % n) * step;
        const sum = map[r0 + c0]! + map[r1 + c0]! + map[r0 + c1]! + map[r1 + c1]!;
        map[r0 + h * size + c0 + h] = sum / 4 + jitter();
      }
    }
    // Diamonds: edge midpoints get the mean of the two adjacent corners and the two adjacent centres.
    for (let i = 0; i < n; i++) {
      const rowCorner = i * step * size;
      const rowCentre = (i * step + h) * size;
      const rowCentreUp = ((((i - 1) % n) + n) % n * step + h) * size;
      for (let j = 0; j < n; j++) {
        const col = j * step;
        const colNext = ((j + 1) % n) * step;
        const sum = map[rowCentre + col + h]! + map[rowCentreUp + col + h]! + map[rowCorner + col]! + map[rowCorner + colNext]!;
        map[rowCorner + col + h] = sum / 4 + jitter();
      }
    }
    for (let i = 0; i < n; i++) {
      const rowCorner = i * step * size;
      const rowCornerDown = ((i + 1) % n) * step * size;
      const rowCentre = (i * step + h) * size;
      for (let j = 0; j < n; j++) {
        const col = j * step;
        const colCentreLeft = ((((j - 1) % n) + n) % n) * step + h;
        const sum = map[rowCentre + col + h]! + map[rowCentre + colCentreLeft]! + map[rowCorner + col]! + map[rowCornerDown + col]!;
        map[rowCentre + col] = sum / 4 + jitter();
      }
    }
    step /= 2;
    wibble /= decay;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) { if (v < min) min = v; if (v > max) max = v; }
  const range = max - min || 1;
  for (let i = 0; i < map.length; i++) map[i] = (map[i]! - min) / range;
  return map;
}
