/** Small fixtures for teacher and cache tests (not a test file itself). */
import type { ImageSet } from '../../src/data/types.js';
import { Rng } from '../../src/util/random.js';
import { tf } from '../../src/backend/index.js';

/** Seeded random images in [0, 1]. */
export function seededImages(count: number, size: number, channels: 1 | 3, seed: number): ImageSet {
  const rng = new Rng(seed);
  const pixels = new Float32Array(count * size * size * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.next();
  return { name: `seeded-${seed}`, count, height: size, width: size, channels, pixels };
}

/** Max |a - b| over two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Runs fn and returns what it wrote to stderr (warnings), restoring stderr afterwards. */
export async function captureStderr<T>(fn: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { text += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    return { result: await fn(), stderr: text };
  } finally {
    process.stderr.write = original;
  }
}

export function tensorCount(): number {
  return tf.memory().numTensors;
}
