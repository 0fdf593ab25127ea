/**
 * Student training throughput: tintem (graph-compiled step, src/backend/graph) vs PyTorch CPU eager on the same
 * architecture and losses (the default CNN student at 28 px + TinTeM head, all four TinTeM terms), batch 128, the
 * same thread count. Also tintem's eager step, the graph with TensorFlow's oneDNN kernels on and off, and the ViT
 * student at 112 px (graph vs eager; the PyTorch peer has no ViT). Every configuration is its own child process
 * (oneDNN and the thread pool are per process), all measured alternately in rounds in one run (a round of k steps
 * each, in turn), medians of per-step times, ratios reported.
 *
 *   npx tsx bench/train-throughput.ts [--quick] [--rounds 5] [--steps 5] [--batch 128] [--threads n]
 *                                     [--teacher-dim 768] [--tokens 4] [--no-vit]
 *
 * Default dims = the default config: the inception teacher (768-d) with a 2x2 teacher token grid.
 * Writes bench/results/train-throughput.json. The PyTorch peer is bench/peers/train_throughput.py
 * (`python3 -m pip install torch`; benchmark-only). Without torch the table shows tintem alone.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { defaultStudentSpec, defaultVitSpec, type StudentSpec } from '../src/students/index.js';
import { DEFAULT_TAUS } from '../src/methods/similarity.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const quick = process.argv.includes('--quick');
const threads = arg('--threads', os.availableParallelism());
const rounds = arg('--rounds', quick ? 2 : 5);
const stepsPerRound = arg('--steps', quick ? 2 : 5);
const batchSize = arg('--batch', 128);
const TEACHER_DIM = arg('--teacher-dim', 768), TOKEN_COUNT = arg('--tokens', 4);
const withVit = !process.argv.includes('--no-vit');

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

interface Runner { name: string; run(k: number): Promise<number[]>; close(): void; info: Record<string, unknown>; last: Record<string, unknown> }

/** A child process speaking the peers' line protocol (JSON config in; "run k" -> {"times": [...]}). */
async function start(name: string, cmd: string, args: string[], config: object, env: Record<string, string>): Promise<Runner | string> {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += String(d); });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`${name} exited: ${stderr.trim().split('\n').at(-1) ?? ''}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  child.stdin.write(`${JSON.stringify(config)}\n`);
  try {
    const info = await next();
    const runner: Runner = {
      name, info, last: {},
      run: async (k) => { child.stdin.write(`run ${k}\n`); runner.last = await next(); return runner.last.times as number[]; },
      close: () => { child.stdin.end('quit\n'); },
    };
    return runner;
  } catch (e) {
    child.kill();
    return (e as Error).message;
  }
}

const threadEnv = { TF_NUM_INTRAOP_THREADS: String(threads), OMP_NUM_THREADS: String(threads), TF_CPP_MIN_LOG_LEVEL: '2' };
const worker = fileURLToPath(new URL('./lib/train-worker.ts', import.meta.url));
const tintem = (name: string, spec: StudentSpec, stepPath: 'graph' | 'eager', oneDnn: boolean) => start(
  name, process.execPath, ['--import', 'tsx', worker], { spec, batchSize, teacherDim: TEACHER_DIM, tokenCount: TOKEN_COUNT, stepPath },
  { ...threadEnv, TF_ENABLE_ONEDNN_OPTS: oneDnn ? '1' : '0' },
);

const cnn = defaultStudentSpec(28, 1);
// 112 px with 16 px patches: a 7x7 token grid, as the default CNN gives at 28 px.
const vit: StudentSpec = { ...defaultVitSpec(112, 1), patchSize: 16 };
const plan: Array<[string, () => Promise<Runner | string>]> = [
  ['tintem graph, oneDNN on', () => tintem('tintem graph, oneDNN on', cnn, 'graph', true)],
  ['tintem graph, oneDNN off', () => tintem('tintem graph, oneDNN off', cnn, 'graph', false)],
  ['tintem eager', () => tintem('tintem eager', cnn, 'eager', false)],
  ['pytorch eager', () => start('pytorch eager', 'python3', [fileURLToPath(new URL('./peers/train_throughput.py', import.meta.url))],
    { spec: cnn, batchSize, teacherDim: TEACHER_DIM, tokenCount: TOKEN_COUNT, taus: [...DEFAULT_TAUS], threads }, threadEnv)],
  ...(withVit ? [
    ['vit-112 graph, oneDNN on', () => tintem('vit-112 graph, oneDNN on', vit, 'graph', true)],
    ['vit-112 eager', () => tintem('vit-112 eager', vit, 'eager', false)],
  ] as Array<[string, () => Promise<Runner | string>]> : []),
];

const runners: Runner[] = [];
const unavailable: Record<string, string> = {};
for (const [name, make] of plan) {
  const r = await make();
  if (typeof r === 'string') { unavailable[name] = r; process.stderr.write(`train-throughput: ${name} unavailable (${r})\n`); } else runners.push(r);
}
const load = () => os.loadavg()[0]!;
const loadBefore = load();
// Warm-up (graph recording and compilation, allocator), untimed.
for (const r of runners) await r.run(2);
const times: Record<string, number[]> = Object.fromEntries(runners.map((r) => [r.name, []]));
const loads: number[] = [];
for (let round = 0; round < rounds; round++) {
  for (const r of runners) times[r.name]!.push(...await r.run(stepsPerRound));
  loads.push(load());
}
for (const r of runners) r.close();

const results = Object.fromEntries(runners.map((r) => {
  const m = median(times[r.name]!);
  return [r.name, { medianStepSeconds: m, imagesPerSec: batchSize / m, stepSeconds: times[r.name], path: r.last.path ?? 'eager', fallback: r.last.fallback ?? null, info: r.info }];
}));
const med = (name: string) => (results[name] as { medianStepSeconds: number } | undefined)?.medianStepSeconds;
const torch = med('pytorch eager');
const graphOn = med('tintem graph, oneDNN on'), graphOff = med('tintem graph, oneDNN off');
const graphBest = graphOn !== undefined && graphOff !== undefined ? Math.min(graphOn, graphOff) : graphOn ?? graphOff;
const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a / b : null);
const torchInfo = runners.find((r) => r.name === 'pytorch eager')?.info;
const result = {
  quick, batchSize, threads, rounds, stepsPerRound,
  machineLoad: { cores: os.availableParallelism(), loadAvg1mBefore: loadBefore, loadAvg1mDuringRounds: loads },
  torch: torchInfo?.torch ?? null,
  model: { cnn, vit, method: 'tintem (4 terms)', teacherDim: TEACHER_DIM, tokenCount: TOKEN_COUNT },
  results, unavailable,
  ratios: {
    graphOverTorch: ratio(torch, graphBest),
    graphOneDnnOnOverTorch: ratio(torch, graphOn),
    graphOneDnnOffOverTorch: ratio(torch, graphOff),
    eagerOverTorch: ratio(torch, med('tintem eager')),
    graphOverEager: ratio(med('tintem eager'), graphBest),
    vitGraphOverEager: ratio(med('vit-112 eager'), med('vit-112 graph, oneDNN on')),
  },
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/train-throughput.json', `${JSON.stringify(result, null, 2)}\n`);

const row = (name: string) => {
  const r = results[name] as unknown as { medianStepSeconds: number; imagesPerSec: number; path: string } | undefined;
  return r ? `${name.padEnd(26)} ${(r.medianStepSeconds * 1000).toFixed(0).padStart(10)} ${r.imagesPerSec.toFixed(1).padStart(10)}  ${r.path}` : `${name.padEnd(26)} unavailable`;
};
const fmt = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)}x`);
process.stdout.write([
  `training throughput, TinTeM (${TEACHER_DIM}-d teacher, ${TOKEN_COUNT} tokens), batch ${batchSize}, ${threads} threads, ${rounds}x${stepsPerRound} steps alternated${quick ? ' (quick)' : ''}; load avg ${loads.map((l) => l.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores`,
  `${'runtime'.padEnd(26)} ${'median ms'.padStart(10)} ${'images/s'.padStart(10)}  path`,
  ...plan.map(([name]) => row(name)),
  `tintem graph / pytorch throughput: ${fmt(result.ratios.graphOverTorch)} (oneDNN on ${fmt(result.ratios.graphOneDnnOnOverTorch)}, off ${fmt(result.ratios.graphOneDnnOffOverTorch)}); tintem eager / pytorch: ${fmt(result.ratios.eagerOverTorch)}; vit-112 graph / eager: ${fmt(result.ratios.vitGraphOverEager)}`,
  '',
].join('\n'));
