/**
 * Student training throughput: tfjs-node vs PyTorch CPU on the same architecture and losses (the default CNN
 * student + TinTeM head and all four TinTeM terms, teacher 576-d with a 7x7 token grid as MobileNetV2 gives on
 * MNIST), batch 128, the same thread count, measured alternately in one run (rounds of k steps each, TS then
 * PyTorch), medians of per-step times, ratio reported.
 *
 *   npx tsx bench/train-throughput.ts [--quick] [--rounds 5] [--steps 5] [--batch 128] [--threads n]
 *
 * Writes bench/results/train-throughput.json. The PyTorch peer is bench/peers/train_throughput.py
 * (`python3 -m pip install torch`; benchmark-only). Without torch the table shows tfjs-node alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const quick = process.argv.includes('--quick');
const threads = arg('--threads', os.availableParallelism());
const rounds = arg('--rounds', quick ? 2 : 5);
const stepsPerRound = arg('--steps', quick ? 2 : 5);
const batchSize = arg('--batch', 128);
const TEACHER_DIM = 576, TOKEN_COUNT = 49;

// TensorFlow reads its thread-pool size from the environment when it loads: re-run with it set.
if (process.env.TF_NUM_INTRAOP_THREADS !== String(threads)) {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit', env: { ...process.env, TF_NUM_INTRAOP_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
  });
  process.exit(r.status ?? 1);
}

const { initBackend } = await import('../src/backend/index.js');
const { createStudent, defaultStudentSpec } = await import('../src/students/index.js');
const { createMethod } = await import('../src/methods/index.js');
const { DEFAULT_TAUS } = await import('../src/methods/similarity.js');
const { createTeacherSource } = await import('../src/training/teacher-source.js');
const { timeTrainSteps } = await import('../src/training/trainer.js');
const { Rng } = await import('../src/util/random.js');

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

/** The PyTorch peer as a child process speaking one JSON line per request. */
async function startPeer(config: object): Promise<{ run(k: number): Promise<number[]>; close(): void; info: Record<string, unknown> } | string> {
  const child = spawn('python3', [fileURLToPath(new URL('./peers/train_throughput.py', import.meta.url))], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += String(d); });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`PyTorch peer exited: ${stderr.trim().split('\n').at(-1) ?? ''}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  child.stdin.write(`${JSON.stringify(config)}\n`);
  try {
    const info = await next();
    return {
      info,
      run: async (k) => { child.stdin.write(`run ${k}\n`); return (await next()).times as number[]; },
      close: () => { child.stdin.end('quit\n'); },
    };
  } catch (e) {
    child.kill();
    return (e as Error).message;
  }
}

const backend = await initBackend();
const spec = defaultStudentSpec(28, 1);
const student = createStudent(spec, 0);
const method = await createMethod({ name: 'tintem' }, { teacherDim: TEACHER_DIM, studentDim: spec.embedDim, teacherTokens: true, seed: 0 });
const rng = new Rng(0);
const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const view = { pooled: fill(batchSize * TEACHER_DIM), dim: TEACHER_DIM, tokens: fill(batchSize * TOKEN_COUNT * TEACHER_DIM), tokenCount: TOKEN_COUNT };
const source = createTeacherSource({ cached: new Map([[0, view]]) });
const data = { name: 'random', count: batchSize, height: 28, width: 28, channels: 1 as const, pixels: Float32Array.from({ length: batchSize * 784 }, () => rng.next()) };
const tsRun = (steps: number, warmup = 0) => timeTrainSteps({ student, method, teacherFeatures: source, data, batchSize, steps, warmup });

const peer = await startPeer({ spec, batchSize, teacherDim: TEACHER_DIM, tokenCount: TOKEN_COUNT, taus: [...DEFAULT_TAUS], threads });
if (typeof peer === 'string') process.stderr.write(`train-throughput: PyTorch peer unavailable (${peer}); measuring tfjs-node only\n`);

// Warm-up both (graph construction, allocator), untimed.
await tsRun(0, 2);
if (typeof peer !== 'string') await peer.run(2);
const tsTimes: number[] = [], torchTimes: number[] = [];
for (let r = 0; r < rounds; r++) {
  tsTimes.push(...await tsRun(stepsPerRound));
  if (typeof peer !== 'string') torchTimes.push(...await peer.run(stepsPerRound));
}
if (typeof peer !== 'string') peer.close();
student.dispose();
method.dispose();

const tsMedian = median(tsTimes);
const torchMedian = torchTimes.length ? median(torchTimes) : undefined;
const result = {
  quick, batchSize, threads, rounds, stepsPerRound, backend: backend.name, tfjs: backend.tfjsVersion,
  torch: typeof peer === 'string' ? null : peer.info.torch, torchThreads: typeof peer === 'string' ? null : peer.info.threads,
  model: { student: spec, method: 'tintem (4 terms)', teacherDim: TEACHER_DIM, tokenCount: TOKEN_COUNT },
  tfjsNode: { medianStepSeconds: tsMedian, imagesPerSec: batchSize / tsMedian, stepSeconds: tsTimes },
  pytorch: torchMedian === undefined ? null : { medianStepSeconds: torchMedian, imagesPerSec: batchSize / torchMedian, stepSeconds: torchTimes },
  ratioTfjsOverTorch: torchMedian === undefined ? null : torchMedian / tsMedian,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/train-throughput.json', `${JSON.stringify(result, null, 2)}\n`);

const row = (name: string, median: number) => `${name.padEnd(16)} ${(median * 1000).toFixed(0).padStart(12)} ${(batchSize / median).toFixed(1).padStart(10)}`;
process.stdout.write([
  `training throughput, default CNN student + TinTeM, batch ${batchSize}, ${threads} threads, ${rounds}x${stepsPerRound} steps alternated${quick ? ' (quick)' : ''}`,
  `${'runtime'.padEnd(16)} ${'median ms'.padStart(12)} ${'images/s'.padStart(10)}`,
  row(`tfjs-node ${backend.tfjsVersion}`, tsMedian),
  ...(torchMedian === undefined ? [] : [row(`pytorch ${String(result.torch)}`, torchMedian)]),
  ...(result.ratioTfjsOverTorch === null ? [] : [`tfjs-node / pytorch throughput: ${result.ratioTfjsOverTorch.toFixed(2)}x`]),
  '',
].join('\n'));
