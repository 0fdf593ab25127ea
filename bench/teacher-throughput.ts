/**
 * Teacher throughput: embeddings/s of both built-in teachers (inception mixed5 @75 px, mobilenet
 * block_13_expand_relu @64 px) on MNIST-sized images, native TensorFlow (tfjs-node) vs tfjs-backend-wasm in the
 * same run. The backend is per process, so each measurement is a child process; backends alternate within each
 * repeat and the table reports medians and native/wasm ratios. tintem turns TensorFlow's oneDNN kernels off by
 * default (src/backend), which we found much faster for these small convnets on CPU; a third variant measures the
 * native backend with oneDNN on (TF_ENABLE_ONEDNN_OPTS=1) to keep that choice honest.
 *
 *   npx tsx bench/teacher-throughput.ts           # full: 512 images per measurement, 3 repeats
 *   npx tsx bench/teacher-throughput.ts --quick   # smoke run: 32 images, 1 repeat
 *
 * Writes bench/results/teacher-throughput.json.
 *
 * ONNX ViT teacher (--onnx, or after the built-ins when the model exists): a DINOv2-small-architecture model
 * (random init, made by `python3 scripts/fixtures/make_dinov2_small.py` into the git-ignored bench/models/) at
 * 224 px, tintem's ONNX teacher (preprocessing + onnxruntime-node + CLS/patch split) vs onnxruntime in Python
 * (bench/peers/onnx_throughput.py, the model alone) on the same file and thread count, alternating rounds.
 * Writes bench/results/teacher-throughput-onnx.json.
 *
 *   npx tsx bench/teacher-throughput.ts --onnx [--quick]
 *
 * --int8: the same case with teacherPrecision int8 (tintem's own dynamic-int8 rewrite, src/onnx/dynamic-quantize.ts,
 * after its fidelity check against fp32 on 64 `photos` images) vs onnxruntime-Python running its own
 * `quantize_dynamic` (int8 weights) of the same file; writes bench/results/teacher-throughput-onnx-int8.json.
 * --model <file.onnx> --size <px> [--registers k] point the ONNX case at another model (smoke runs: the tiny-ViT
 * fixture, --size 32 --registers 2 --min-cosine 0.9: a 16-wide random ViT is far from fp32 in int8).
 */
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { writeFileAtomicSync } from '../src/util/atomic.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const argValue = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

interface ChildResult { teacher: string; backend: string; images: number; seconds: number; perSecond: number; loadSeconds: number }

/** Child: one backend, one teacher; times `images` MNIST images after one warm-up batch. */
async function child(): Promise<void> {
  const { initBackend, tf } = await import('../src/backend/index.js');
  const { createTeacher } = await import('../src/teachers/index.js');
  const { loadDataset } = await import('../src/data/index.js');
  const backend = await initBackend(argValue('--backend'));
  const images = Number(argValue('--images'));
  const batch = Number(argValue('--batch'));
  const set = await loadDataset('mnist:test', { limit: images });
  const t0 = performance.now();
  const teacher = await createTeacher(argValue('--teacher')!);
  const loadSeconds = (performance.now() - t0) / 1000;
  const per = set.height * set.width * set.channels;
  const run = async (start: number, end: number) => {
    const x = tf.tensor4d(set.pixels.subarray(start * per, end * per), [end - start, set.height, set.width, set.channels]);
    const out = teacher.forward(x);
    await out.pooled.data();
    tf.dispose([x, out.pooled, ...(out.tokens ? [out.tokens] : [])]);
  };
  await run(0, Math.min(batch, images)); // warm-up: kernel selection, first allocations
  const t1 = performance.now();
  for (let s = 0; s < images; s += batch) await run(s, Math.min(images, s + batch));
  const seconds = (performance.now() - t1) / 1000;
  const result: ChildResult = { teacher: argValue('--teacher')!, backend: backend.name, images, seconds, perSecond: images / seconds, loadSeconds };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

interface Variant { name: string; backend: string; env: Record<string, string> }

async function parent(): Promise<void> {
  const sizes = quick ? { images: 32, batch: 32, repeats: 1 } : { images: 512, batch: 64, repeats: 3 };
  const teachers = ['inception', 'mobilenet'];
  const variants: Variant[] = [
    // 'native': tintem's default, the forward pass as one compiled graph (src/teachers/graph-forward.ts).
    { name: 'native', backend: 'tensorflow', env: {} },
    { name: 'native, oneDNN on', backend: 'tensorflow', env: { TF_ENABLE_ONEDNN_OPTS: '1' } },
    { name: 'native eager', backend: 'tensorflow', env: { TINTEM_TEACHER_GRAPH: '0' } },
    { name: 'wasm', backend: 'wasm', env: {} },
  ];
  const script = fileURLToPath(import.meta.url);
  const samples = new Map<string, number[]>();
  const loads = new Map<string, number[]>();
  for (let r = 0; r < sizes.repeats; r++) {
    for (const teacher of teachers) {
      // Alternate the order each repeat so slow drifts in machine load do not favour one backend.
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const res = spawnSync(process.execPath, ['--import', 'tsx', script, '--child', '--backend', v.backend, '--teacher', teacher,
          '--images', String(sizes.images), '--batch', String(sizes.batch)], {
          encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', TINTEM_QUIET_BACKEND: '1', ...v.env },
        });
        const line = res.stdout.split('\n').find((l) => l.startsWith('RESULT '));
        if (!line) throw new Error(`child ${teacher}/${v.name} failed (exit ${res.status}): ${res.stderr.split('\n').slice(-5).join(' | ')}`);
        const out = JSON.parse(line.slice(7)) as ChildResult;
        const key = `${teacher}|${v.name}`;
        samples.set(key, [...(samples.get(key) ?? []), out.perSecond]);
        loads.set(key, [...(loads.get(key) ?? []), out.loadSeconds]);
        process.stderr.write(`  ${teacher.padEnd(10)} ${v.name.padEnd(20)} ${out.perSecond.toFixed(1)} img/s\n`);
      }
    }
  }
  const rows = teachers.flatMap((teacher) => {
    const wasm = median(samples.get(`${teacher}|wasm`)!);
    return variants.map((v) => {
      const key = `${teacher}|${v.name}`;
      const perSecond = median(samples.get(key)!);
      return { teacher, variant: v.name, medianImagesPerSecond: perSecond, ratioVsWasm: perSecond / wasm, medianLoadSeconds: median(loads.get(key)!), samples: samples.get(key)! };
    });
  });
  console.log(`\nteacher throughput (MNIST 28 px, ${sizes.images} images x ${sizes.repeats} repeats, batch ${sizes.batch})`);
  console.log(`${'teacher'.padEnd(11)}${'backend'.padEnd(22)}${'img/s (median)'.padStart(15)}${'vs wasm'.padStart(10)}${'load s'.padStart(9)}`);
  for (const r of rows) {
    console.log(`${r.teacher.padEnd(11)}${r.variant.padEnd(22)}${r.medianImagesPerSecond.toFixed(1).padStart(15)}${`${r.ratioVsWasm.toFixed(2)}x`.padStart(10)}${r.medianLoadSeconds.toFixed(1).padStart(9)}`);
  }
  const out = join(dirname(script), 'results', 'teacher-throughput.json');
  writeFileAtomicSync(out, `${JSON.stringify({ bench: 'teacher-throughput', quick, date: new Date().toISOString(), ...sizes, rows }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

const DINOV2 = argValue('--model') ?? join(dirname(fileURLToPath(import.meta.url)), 'models', 'dinov2-small', 'model.onnx');
const ONNX_SIZE = Number(argValue('--size') ?? 224);
const INT8 = args.includes('--int8');
const ONNX_THREADS = 2;

/** Child: tintem's ONNX teacher on a DINOv2-small export; images/s after one warm-up batch. */
async function onnxChild(): Promise<void> {
  const { initBackend, tf } = await import('../src/backend/index.js');
  const { createOnnxTeacher } = await import('../src/teachers/onnx.js');
  await initBackend();
  const images = Number(argValue('--images'));
  const batch = Number(argValue('--batch'));
  const t0 = performance.now();
  const int8Dir = INT8 ? mkdtempSync(join(os.tmpdir(), 'tintem-bench-int8-')) : undefined;
  const teacher = await createOnnxTeacher(DINOV2, {
    threads: ONNX_THREADS, teacher: { preset: 'dinov2', grid: 'full', inputSize: ONNX_SIZE, registers: Number(argValue('--registers') ?? 0) }, ...(INT8 ? { precision: 'int8' as const, int8Dir } : {}),
  });
  const loadSeconds = (performance.now() - t0) / 1000;
  let fidelity: unknown;
  if (INT8) {
    // The fidelity check a run does on first use, on 64 photos (not timed).
    const { loadDataset } = await import('../src/data/index.js');
    const { ensureTeacherFidelity } = await import('../src/teachers/fidelity.js');
    const photos = await loadDataset('photos:train', { limit: 64, size: teacher.decodeSize ?? teacher.inputSize });
    fidelity = await ensureTeacherFidelity(teacher, photos, { minCosine: Number(argValue('--min-cosine') ?? 0.995), images: 64 });
    rmSync(int8Dir!, { recursive: true, force: true });
  }
  // Images already at the input size (as decoded for the teacher): the crop preset then only slices the centre.
  const side = teacher.decodeSize ?? ONNX_SIZE;
  const x = tf.randomUniform([batch, side, side, 3], 0, 1, 'float32', 0) as import('@tensorflow/tfjs').Tensor4D;
  const run = async () => {
    const out = await teacher.forwardAsync(x);
    await out.pooled.data();
    tf.dispose([out.pooled, ...(out.tokens ? [out.tokens] : [])]);
  };
  await run();
  const t1 = performance.now();
  let done = 0;
  while (done < images) { await run(); done += batch; }
  const seconds = (performance.now() - t1) / 1000;
  x.dispose();
  teacher.dispose();
  process.stdout.write(`RESULT ${JSON.stringify({ images: done, seconds, perSecond: done / seconds, loadSeconds, tokens: teacher.tokenGrid, fidelity })}\n`);
}

async function onnxParent(): Promise<void> {
  if (!existsSync(DINOV2)) {
    console.log(`skipping the ONNX ViT teacher: ${DINOV2} not found (make it with: python3 scripts/fixtures/make_dinov2_small.py)`);
    return;
  }
  const sizes = quick ? { images: 16, batch: 8, rounds: 2 } : { images: 32, batch: 8, rounds: 5 };
  // --rounds / --images shorten a run on a busy machine.
  if (argValue('--rounds')) sizes.rounds = Number(argValue('--rounds'));
  if (argValue('--images')) sizes.images = Number(argValue('--images'));
  const script = fileURLToPath(import.meta.url);
  const peer = join(dirname(script), 'peers', 'onnx_throughput.py');
  const runs: Record<'tintem' | 'onnxruntime-python', number[]> = { tintem: [], 'onnxruntime-python': [] };
  let fidelity: unknown;
  const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', TINTEM_QUIET_BACKEND: '1', OMP_NUM_THREADS: String(ONNX_THREADS) };
  for (let r = 0; r < sizes.rounds; r++) {
    const order: Array<keyof typeof runs> = r % 2 === 0 ? ['tintem', 'onnxruntime-python'] : ['onnxruntime-python', 'tintem'];
    for (const who of order) {
      const res = who === 'tintem'
        ? spawnSync(process.execPath, ['--import', 'tsx', script, '--onnx-child', '--images', String(sizes.images), '--batch', String(sizes.batch), '--model', DINOV2, '--size', String(ONNX_SIZE), '--registers', argValue('--registers') ?? '0', '--min-cosine', argValue('--min-cosine') ?? '0.995', ...(INT8 ? ['--int8'] : [])], { encoding: 'utf8', env })
        : spawnSync('python3', [peer, DINOV2, String(sizes.images), String(sizes.batch), String(ONNX_THREADS), String(ONNX_SIZE), ...(INT8 ? ['int8'] : [])], { encoding: 'utf8', env });
      const line = res.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) throw new Error(`${who} failed (exit ${res.status}): ${res.stderr.split('\n').slice(-5).join(' | ')}`);
      const out = JSON.parse(line.slice(7)) as { perSecond: number; fidelity?: unknown };
      runs[who].push(out.perSecond);
      if (out.fidelity) fidelity = out.fidelity;
      process.stderr.write(`  round ${r + 1} ${who.padEnd(20)} ${out.perSecond.toFixed(2)} img/s\n`);
    }
  }
  const tintem = median(runs.tintem), peerRate = median(runs['onnxruntime-python']);
  // Ratio of medians and the median of per-round ratios (each round's pair ran back to back).
  const perRound = runs.tintem.map((t, i) => t / runs['onnxruntime-python'][i]!);
  const result = {
    bench: INT8 ? 'teacher-throughput-onnx-int8' : 'teacher-throughput-onnx',
    model: `${argValue('--model') ?? 'DINOv2-small architecture (random init)'}, ${ONNX_SIZE} px, last_hidden_state -> CLS + patches`,
    precision: INT8 ? 'int8 (tintem: per-column int8 weights; onnxruntime-python: quantize_dynamic QInt8 weights)' : 'fp32', fidelity,
    quick, date: new Date().toISOString(), threads: ONNX_THREADS, ...sizes,
    tintemImagesPerSecond: tintem, onnxruntimePythonImagesPerSecond: peerRate, ratio: tintem / peerRate, medianRoundRatio: median(perRound),
    samples: runs, loadAvg1m: os.loadavg()[0], note: 'alternating rounds; loadAvg1m is the 1-minute load average at the end (the benchmark itself keeps 2 cores busy)',
  };
  console.log(`\nONNX ViT teacher${INT8 ? ' int8' : ''} (${ONNX_SIZE} px, ${ONNX_THREADS} threads, batch ${sizes.batch}): tintem ${tintem.toFixed(2)} img/s, onnxruntime-python ${peerRate.toFixed(2)} img/s, ratio ${(tintem / peerRate).toFixed(3)} (median round ratio ${median(perRound).toFixed(3)})`);
  const out = join(dirname(script), 'results', INT8 ? 'teacher-throughput-onnx-int8.json' : 'teacher-throughput-onnx.json');
  writeFileAtomicSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

if (args.includes('--child')) await child();
else if (args.includes('--onnx-child')) await onnxChild();
else if (args.includes('--onnx')) await onnxParent();
else { await parent(); await onnxParent(); }
