/**
 * A seeded, natural-looking test scene (sky gradient, sun, textured hills, a striped house, a tree) at any size,
 * for tests, benchmarks and contact sheets when no photo is at hand. It has smooth regions, edges and texture,
 * so every corruption has something to destroy.
 */
import { Rng } from '../util/random.js';
import type { Image } from './image.js';

export function syntheticScene(height: number, width: number, channels: 1 | 3 = 3, seed = 0): Image {
  const rng = new Rng(seed);
  const phase = rng.uniform(0, Math.PI * 2);
  const grain = new Float32Array(height * width);
  for (let i = 0; i < grain.length; i++) grain[i] = rng.uniform(-1, 1);
  const rgb = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    const v = y / height;
    for (let x = 0; x < width; x++) {
      const u = x / width;
      // Sky: blue fading to pale near the horizon.
      let r = 0.45 + 0.35 * v;
      let g = 0.6 + 0.3 * v;
      let b = 0.95 - 0.1 * v;
      // Sun.
      const ds = Math.hypot(u - 0.78, v - 0.2);
      if (ds < 0.11) { r = 1; g = 0.9; b = 0.45; }
      // Hills with grass texture.
      const hill = 0.62 + 0.08 * Math.sin(u * 7 + phase) + 0.04 * Math.sin(u * 17);
      if (v > hill) {
        const t = 0.08 * grain[y * width + x]! + 0.06 * Math.sin((u + v) * 60);
        r = 0.2 + t; g = 0.55 + 0.15 * (v - hill) + t; b = 0.15 + t;
      }
      // House: red walls with dark horizontal siding, dark door.
      if (u > 0.18 && u < 0.45 && v > 0.45 && v < 0.8) {
        const siding = Math.floor((v - 0.45) * height / 2) % 2 === 0 ? 0 : -0.15;
        r = 0.8 + siding; g = 0.2 + siding; b = 0.15 + siding;
        if (u > 0.28 && u < 0.35 && v > 0.62) { r = 0.25; g = 0.15; b = 0.1; }
      }
      // Roof.
      if (v <= 0.45 && v > 0.3 && Math.abs(u - 0.315) < (v - 0.3) * 1.0) { r = 0.3; g = 0.3; b = 0.35; }
      // Tree: trunk and round crown.
      if (Math.abs(u - 0.62) < 0.025 && v > 0.5 && v < 0.75) { r = 0.4; g = 0.25; b = 0.1; }
      if (Math.hypot(u - 0.62, v - 0.45) < 0.09) { r = 0.1; g = 0.4 + 0.1 * grain[y * width + x]!; b = 0.12; }
      const o = (y * width + x) * 3;
      rgb[o] = Math.min(1, Math.max(0, r));
      rgb[o + 1] = Math.min(1, Math.max(0, g));
      rgb[o + 2] = Math.min(1, Math.max(0, b));
    }
  }
  if (channels === 3) return { data: rgb, height, width, channels };
  const gray = new Float32Array(height * width);
  for (let i = 0; i < gray.length; i++) gray[i] = 0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!;
  return { data: gray, height, width, channels };
}
