/**
 * onnxruntime-node throughput of an exported student, int8 (student.int8.onnx: static QDQ, per-channel int8
 * weights, activations calibrated on photo crops) vs float32 (student.onnx), on the student
 * preset `resnet18` (torchvision's ResNet-18 trunk without fc, 512-d) at 112 px. Rounds alternate fp32 and int8 so machine
 * load hits both alike; images/s are medians over rounds.
 *
 *   npx tsx bench/onnx-int8.ts           # full run (the lead runs it on a quiet machine)
 *   npx tsx bench/onnx-int8.ts --quick   # smoke run: tiny batch, two rounds
 *
 * Writes bench/results/onnx-int8.json.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { loadDataset } from '../src/data/index.js';
import { exportStudent } from '../src/export/exporter.js';
import { addOnnxForms, runBatches } from '../src/export/onnx-export.js';
import { ONNX_POOLED } from '../src/export/onnx-convert.js';
import { createSession } from '../src/onnx/index.js';
import { createStudent, resolveStudentSpec } from '../src/students/index.js';
import { writeFileAtomicSync } from '../src/util/atomic.js';
import type { ImageSet } from '../src/data/types.js';

const quick = process.argv.includes('--quick');
const cfg = quick ? { batch: 4, rounds: 2, iterations: 1, calibration: 8 } : { batch: 32, rounds: 9, iterations: 5, calibration: 64 };
const SIZE = 112;
const SPEC = resolveStudentSpec({ preset: 'resnet18' }, SIZE, 3, 'bench student');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function repeatTo(set: ImageSet, count: number): ImageSet {
  const per = SIZE * SIZE * 3;
  const pixels = new Float32Array(count * per);
  for (let i = 0; i < count; i++) pixels.set(set.pixels.subarray((i % set.count) * per, ((i % set.count) + 1) * per), i * per);
  return { ...set, count, pixels, labels: undefined, sources: undefined };
}

async function main(): Promise<void> {
  await initBackend();
  const threads = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'tintem-bench-onnx-'));
  try {
    const student = createStudent(SPEC, 0);
    await exportStudent(student.model, dir, {
      inputSize: SIZE, channels: 3, embedDim: SPEC.embedDim, tokenGrid: student.tokenGrid, student: SPEC, teacher: { id: 'bench' }, method: 'bench',
    });
    student.dispose();
    const photos = await loadDataset('photos:train', { limit: cfg.calibration, seed: 0, size: SIZE, channels: 3 });
    const report = await addOnnxForms(dir, photos, { quantize: 'int8' });
    const fp32 = await createSession(readFileSync(join(dir, 'student.onnx')), 'student.onnx', { threads });
    const int8 = await createSession(readFileSync(join(dir, 'student.int8.onnx')), 'student.int8.onnx', { threads });
    const batch = repeatTo(photos, cfg.batch);
    for (const s of [fp32, int8]) await runBatches(s, batch, [ONNX_POOLED]); // warm-up
    const rates: { fp32: number[]; int8: number[] } = { fp32: [], int8: [] };
    const loads: number[] = [];
    for (let r = 0; r < cfg.rounds; r++) {
      for (const [key, s] of (r % 2 ? [['int8', int8], ['fp32', fp32]] : [['fp32', fp32], ['int8', int8]]) as Array<['fp32' | 'int8', typeof fp32]>) {
        const t0 = performance.now();
        for (let i = 0; i < cfg.iterations; i++) await runBatches(s, batch, [ONNX_POOLED]);
        rates[key].push((cfg.iterations * batch.count) / ((performance.now() - t0) / 1000));
      }
      loads.push(loadavg()[0]!);
      process.stdout.write(`round ${r + 1}/${cfg.rounds}: fp32 ${rates.fp32.at(-1)!.toFixed(1)} img/s, int8 ${rates.int8.at(-1)!.toFixed(1)} img/s\n`);
    }
    await fp32.release();
    await int8.release();
    const result = {
      quick, threads, size: SIZE, batch: cfg.batch, rounds: cfg.rounds, iterations: cfg.iterations, student: SPEC,
      fp32Bytes: report.onnxBytes, int8Bytes: report.int8!.bytes, sizeRatio: report.int8!.bytes / report.onnxBytes,
      int8CosineToFp32: { min: report.int8!.minCosine, mean: report.int8!.meanCosine, images: report.images },
      fp32ImagesPerSecond: median(rates.fp32), int8ImagesPerSecond: median(rates.int8),
      ratio: median(rates.int8) / median(rates.fp32),
      rates, loadAvg1mDuringRounds: loads,
    };
    writeFileAtomicSync('bench/results/onnx-int8.json', `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`int8 ${result.int8ImagesPerSecond.toFixed(1)} vs fp32 ${result.fp32ImagesPerSecond.toFixed(1)} img/s (${result.ratio.toFixed(2)}x), ${(100 * result.sizeRatio).toFixed(0)}% of the size; wrote bench/results/onnx-int8.json\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
