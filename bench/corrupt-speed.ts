/**
 * Corruption throughput on MNIST-sized images.
 *
 * 1. Budget: corrupt N test images (default 10,000 MNIST test digits) at all 5 severities of every implemented
 *    corruption, once, and report the total (target: under 2 minutes on 2 cores).
 * 2. Per corruption: median over repeats of the time to corrupt a 1,000-image chunk at all 5 severities.
 * 3. Peer, measured in the same run: the blur kernels against naive dense (non-separable) versions — a 2-D
 *    Gaussian (glass blur, elastic) against our separable filter, and the defocus disk on the reference's fixed
 *    17x17 grid against our support-cropped kernel. Ratios = naive / ours.
 *
 * Usage: npx tsx bench/corrupt-speed.ts [--quick]   (--quick: 500 images, 1 repeat-chunk of 200, 3 repeats)
 * Writes bench/results/corrupt-speed.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { loadMnist } from '../src/data/mnist.js';
import type { ImageSet } from '../src/data/types.js';
import { corruptImageSet, corruptionNames } from '../src/robustness/apply.js';
import { diskKernel } from '../src/robustness/corruptions.js';
import { filter2d, gaussianBlur, gaussianKernel1d, type Kernel2d } from '../src/robustness/filters.js';
import { imageAt, type Image } from '../src/robustness/image.js';

const quick = process.argv.includes('--quick');
const TOTAL = quick ? 500 : 10_000;
const CHUNK = quick ? 200 : 1_000;
const REPEATS = quick ? 3 : 5;
const SEVERITIES = [1, 2, 3, 4, 5];

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]!; };

function subset(set: ImageSet, n: number): ImageSet {
  const size = set.height * set.width * set.channels;
  return { ...set, count: n, pixels: set.pixels.subarray(0, n * size), labels: set.labels?.subarray(0, n) };
}

async function timeAllSeverities(set: ImageSet, name: (typeof corruptionNames)[number]): Promise<number> {
  const t = performance.now();
  for (const s of SEVERITIES) await corruptImageSet(set, name, s, 0);
  return performance.now() - t;
}

/** Naive peer: a dense 2-D Gaussian (outer product of the same taps), every tap visited. */
function denseGaussian(img: Image, sigma: number): Float32Array {
  const k1 = gaussianKernel1d(sigma, 4);
  const n = k1.length;
  const data = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) data[y * n + x] = k1[y]! * k1[x]!;
  return denseFilter(img, { data, size: n });
}

/** Naive peer: correlation visiting every tap of the kernel (zeros included), like cv2.filter2D on the 17x17 grid. */
function denseFilter(img: Image, kernel: Kernel2d): Float32Array {
  const { height: h, width: w } = img;
  const r = (kernel.size - 1) >> 1;
  const out = new Float32Array(h * w);
  const clampReflect = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let ky = 0; ky < kernel.size; ky++) {
        const sy = clampReflect(Math.min(Math.max(y + ky - r, -(h - 1)), 2 * h - 2), h);
        for (let kx = 0; kx < kernel.size; kx++) {
          const sx = clampReflect(Math.min(Math.max(x + kx - r, -(w - 1)), 2 * w - 2), w);
          s += kernel.data[ky * kernel.size + kx]! * img.data[sy * w + sx]!;
        }
      }
      out[y * w + x] = s;
    }
  }
  return out;
}

/** The reference's defocus kernel layout: the disk on the full 17x17 grid, zero taps kept. */
function fullGridDisk(radius: number, alias: number): Kernel2d {
  const k = diskKernel(radius, alias);
  const size = 17;
  const data = new Float64Array(size * size);
  const off = (size - k.size) >> 1;
  for (let y = 0; y < k.size; y++) for (let x = 0; x < k.size; x++) data[(y + off) * size + x + off] = k.data[y * k.size + x]!;
  return { data, size };
}

function timeOp(images: Image[], op: (img: Image) => unknown): number {
  const t = performance.now();
  for (const img of images) op(img);
  return performance.now() - t;
}

const mnist = await loadMnist('test', { limit: TOTAL });
console.log(`corrupt-speed: ${mnist.count} images ${mnist.height}x${mnist.width}, ${corruptionNames.length} corruptions x 5 severities${quick ? ' (--quick)' : ''}`);

// 1. Whole budget run.
const budgetStart = performance.now();
const cpuStart = process.cpuUsage();
for (const name of corruptionNames) await timeAllSeverities(mnist, name);
const budgetMs = performance.now() - budgetStart;
const cpu = process.cpuUsage(cpuStart);
// CPU seconds (user + system, all threads incl. sharp's pool): robust to other load on a shared machine.
const budgetCpuS = (cpu.user + cpu.system) / 1e6;

// 2. Per-corruption medians on a chunk.
const chunk = subset(mnist, Math.min(CHUNK, mnist.count));
const perCorruption: Record<string, { medianMs: number; usPerImagePerSeverity: number }> = {};
for (const name of corruptionNames) {
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) times.push(await timeAllSeverities(chunk, name));
  const m = median(times);
  perCorruption[name] = { medianMs: m, usPerImagePerSeverity: (m * 1000) / (chunk.count * SEVERITIES.length) };
}

// 3. Kernel peers (the sigmas and radii the 28-px severity tables use, and the ImageNet-C extremes).
const images = Array.from({ length: Math.min(CHUNK, mnist.count) }, (_, i) => imageAt(mnist, i));
const peers: Record<string, { oursMs: number; naiveMs: number; ratio: number }> = {};
const peerCase = (label: string, ours: (img: Image) => unknown, naive: (img: Image) => unknown) => {
  const o: number[] = [];
  const n: number[] = [];
  for (let r = 0; r < REPEATS; r++) { o.push(timeOp(images, ours)); n.push(timeOp(images, naive)); }
  const oursMs = median(o);
  const naiveMs = median(n);
  peers[label] = { oursMs, naiveMs, ratio: naiveMs / oursMs };
};
for (const sigma of [0.35, 1.5, 3]) peerCase(`gaussian sigma=${sigma}`, (img) => gaussianBlur(img, sigma, 'reflect101'), (img) => denseGaussian(img, sigma));
for (const [r, a] of [[0.44, 0.53], [1.31, 0.09]] as const) {
  const ours = diskKernel(r, a);
  const full = fullGridDisk(r, a);
  peerCase(`defocus r=${r}`, (img) => filter2d(img, ours), (img) => denseFilter(img, full));
}

const result = {
  bench: 'corrupt-speed', quick, date: new Date().toISOString(), node: process.version, cpus: os.cpus().length,
  images: mnist.count, size: [mnist.height, mnist.width, mnist.channels], severities: SEVERITIES,
  budget: {
    totalSeconds: budgetMs / 1000, cpuSeconds: budgetCpuS, targetSeconds: 120,
    scaledTo10kSeconds: (budgetMs / 1000) * (10_000 / mnist.count), scaledTo10kCpuSeconds: budgetCpuS * (10_000 / mnist.count),
  },
  chunk: chunk.count, repeats: REPEATS, perCorruption, kernelPeers: peers,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/corrupt-speed.json', `${JSON.stringify(result, null, 2)}\n`);

console.log(`\nall corruptions x 5 severities on ${mnist.count} images: ${(budgetMs / 1000).toFixed(1)} s wall, ${budgetCpuS.toFixed(1)} s CPU`
  + ` (scaled to 10k: ${result.budget.scaledTo10kSeconds.toFixed(1)} s wall, ${result.budget.scaledTo10kCpuSeconds.toFixed(1)} s CPU; target < 120 s)`);
console.log(`\n${'corruption'.padEnd(20)} ${`median ms / ${chunk.count} img x 5 sev`.padStart(30)} ${'us / image / severity'.padStart(22)}`);
for (const [name, v] of Object.entries(perCorruption)) {
  console.log(`${name.padEnd(20)} ${v.medianMs.toFixed(1).padStart(30)} ${v.usPerImagePerSeverity.toFixed(1).padStart(22)}`);
}
console.log(`\n${'kernel (per ' + images.length + ' images)'.padEnd(28)} ${'ours ms'.padStart(10)} ${'naive ms'.padStart(10)} ${'naive/ours'.padStart(11)}`);
for (const [label, v] of Object.entries(peers)) {
  console.log(`${label.padEnd(28)} ${v.oursMs.toFixed(1).padStart(10)} ${v.naiveMs.toFixed(1).padStart(10)} ${v.ratio.toFixed(2).padStart(11)}`);
}
console.log('\nwrote bench/results/corrupt-speed.json');
