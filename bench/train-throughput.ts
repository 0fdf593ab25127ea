/**
 * Student training throughput: tintem (graph-compiled step, src/backend/graph) vs PyTorch CPU eager on the same
 * architecture and losses (TinTeM head, all four TinTeM terms, AdamW), the same thread count, in three cases:
 *  - mnist: the default CNN student at 28 px, batch 128, 768-d teacher with 4 tokens (the default config);
 *  - photo-cnn: a ResNet-18-width CNN (stem 64 stride 2, widths 64/128/256/512, 2 blocks each, d 256) at 112 px,
 *    batch 32, 384-d teacher with 7x7 tokens;
 *  - photo-vit: ViT-Ti/16 (width 192, depth 12, 3 heads, MLP 4x, d 192) at 224 px, batch 32, 384-d teacher with
 *    14x14 tokens.
 * PyTorch runs each case three ways (bench/peers/train_throughput.py `mode`): fp32, fp32 channels_last, and bf16
 * autocast + channels_last; each case reports tintem (at its default precision) against the BEST PyTorch row.
 * MNIST also has tintem's eager step and the graph with TensorFlow's oneDNN kernels on and off, and the small ViT
 * at 112 px (graph vs eager). Every configuration is its own child process (oneDNN and the thread pool are per
 * process), all measured alternately in rounds in one run (a round of k steps each, in turn), medians of per-step
 * times, ratios reported.
 *
 * Achieved GFLOP/s per row = the step's convolution + matmul FLOPs (forward + backward, 2 per multiply-add, as
 * torch.utils.flop_counter counts them on the PyTorch peer of the same case) / the median step time. The CPU's
 * nominal peaks are worked out from /proc/cpuinfo (flags, "cpu MHz", cores available): fp32 = cores x GHz x
 * (64 with avx512f, 32 with avx2+fma: two FMA ports of 16 / 8 lanes, 2 FLOPs each); bf16 = cores x GHz x (1024
 * with amx_bf16: one AMX TMUL, 16x32 bf16 pairs a cycle; 128 with avx512_bf16: two ports of 32-pair VDPBF16PS),
 * null where the CPU has neither (bf16 is emulated there). They are nominal (no turbo or AVX-512 down-clocking).
 *
 *   npx tsx bench/train-throughput.ts [--quick] [--rounds 5] [--steps 5] [--batch 128] [--threads n]
 *                                     [--teacher-dim 768] [--tokens 4] [--no-vit] [--no-photo] [--photo-batch 32]
 *                                     [--photo-only cnn|vit] [--precision auto|fp32|bf16]
 *
 * Default MNIST dims = the default config: the inception teacher (768-d) with a 2x2 teacher token grid.
 * Writes bench/results/train-throughput.json. The PyTorch peer is bench/peers/train_throughput.py
 * (`python3 -m pip install torch`; benchmark-only). Without torch the table shows tintem alone.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
const withPhoto = !process.argv.includes('--no-photo');
const photoBatch = arg('--photo-batch', 32);
const photoOnlyAt = process.argv.indexOf('--photo-only');
const photoOnly = photoOnlyAt >= 0 ? process.argv[photoOnlyAt + 1] : undefined;
const PHOTO_TEACHER_DIM = 384;
const precisionAt = process.argv.indexOf('--precision');
/** tintem's precision in every tintem row: its default (auto) unless --precision names one. */
const precision = precisionAt >= 0 ? process.argv[precisionAt + 1] : 'auto';

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

interface Runner { name: string; run(k: number): Promise<number[]>; close(): void; info: Record<string, unknown>; last: Record<string, unknown> }

/** Every worker started: killed when this process exits, also on an error (a failed case used to leave its peers running). */
const children = new Set<ReturnType<typeof spawn>>();
process.on('exit', () => { for (const c of children) c.kill(); });

/** A child process speaking the peers' line protocol (JSON config in; "run k" -> {"times": [...]}). */
async function start(name: string, cmd: string, args: string[], config: object, env: Record<string, string>): Promise<Runner | string> {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  child.on('exit', () => children.delete(child));
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
interface CaseDims { batchSize: number; teacherDim: number; tokenCount: number }
const mnistDims: CaseDims = { batchSize, teacherDim: TEACHER_DIM, tokenCount: TOKEN_COUNT };
const tintem = (name: string, spec: StudentSpec, stepPath: 'graph' | 'eager', oneDnn: boolean, dims: CaseDims = mnistDims) => start(
  name, process.execPath, ['--import', 'tsx', worker], { spec, ...dims, stepPath, precision },
  { ...threadEnv, TF_ENABLE_ONEDNN_OPTS: oneDnn ? '1' : '0' },
);
const peer = fileURLToPath(new URL('./peers/train_throughput.py', import.meta.url));
type TorchMode = 'fp32' | 'fp32-cl' | 'bf16-cl';
const TORCH_MODES: Array<[TorchMode, string]> = [['fp32', 'pytorch fp32'], ['fp32-cl', 'pytorch fp32 channels_last'], ['bf16-cl', 'pytorch bf16 autocast + channels_last']];
const pytorch = (name: string, spec: StudentSpec, mode: TorchMode, dims: CaseDims = mnistDims) => start(
  name, 'python3', [peer], { spec, ...dims, taus: [...DEFAULT_TAUS], threads, mode }, threadEnv);

const cnn = defaultStudentSpec(28, 1);
// 112 px with 16 px patches: a 7x7 token grid, as the default CNN gives at 28 px.
const vit: StudentSpec = { ...defaultVitSpec(112, 1), patchSize: 16 };
// The issue's photo-size cases (once named presets exist these are the resnet18 / vit-ti16 students).
const photoCnn: StudentSpec = {
  kind: 'cnn', inputSize: 112, channels: 3, embedDim: 256, stemWidth: 64, stemStride: 2,
  widthMultipliers: [1, 2, 4, 8], blocksPerStage: [2, 2, 2, 2],
};
const photoVit: StudentSpec = { kind: 'vit', inputSize: 224, channels: 3, embedDim: 192, patchSize: 16, width: 192, depth: 12, numHeads: 3, mlpRatio: 4 };
const photoCnnDims: CaseDims = { batchSize: photoBatch, teacherDim: PHOTO_TEACHER_DIM, tokenCount: 7 * 7 };
const photoVitDims: CaseDims = { batchSize: photoBatch, teacherDim: PHOTO_TEACHER_DIM, tokenCount: 14 * 14 };
type Plan = Array<[string, () => Promise<Runner | string>]>;
const torchRows = (prefix: string, spec: StudentSpec, dims: CaseDims): Plan =>
  TORCH_MODES.map(([mode, label]) => [`${prefix}${label}`, () => pytorch(`${prefix}${label}`, spec, mode, dims)]);
const CASES = {
  mnist: { tintem: 'tintem graph, oneDNN on', torch: TORCH_MODES.map(([, label]) => label), batch: batchSize },
  photoCnn: { tintem: 'photo-cnn tintem graph', torch: TORCH_MODES.map(([, label]) => `photo-cnn ${label}`), batch: photoBatch },
  photoVit: { tintem: 'photo-vit tintem graph', torch: TORCH_MODES.map(([, label]) => `photo-vit ${label}`), batch: photoBatch },
};
const plan: Plan = [
  ...(photoOnly ? [] : [
    ['tintem graph, oneDNN on', () => tintem('tintem graph, oneDNN on', cnn, 'graph', true)],
    ['tintem graph, oneDNN off', () => tintem('tintem graph, oneDNN off', cnn, 'graph', false)],
    ['tintem eager', () => tintem('tintem eager', cnn, 'eager', false)],
    ...torchRows('', cnn, mnistDims),
    ...(withVit ? [
      ['vit-112 graph, oneDNN on', () => tintem('vit-112 graph, oneDNN on', vit, 'graph', true)],
      ['vit-112 eager', () => tintem('vit-112 eager', vit, 'eager', false)],
    ] : []),
  ] as Plan),
  ...(withPhoto && photoOnly !== 'vit' ? [
    [CASES.photoCnn.tintem, () => tintem(CASES.photoCnn.tintem, photoCnn, 'graph', true, photoCnnDims)],
    ...torchRows('photo-cnn ', photoCnn, photoCnnDims),
  ] as Plan : []),
  ...(withPhoto && photoOnly !== 'cnn' ? [
    [CASES.photoVit.tintem, () => tintem(CASES.photoVit.tintem, photoVit, 'graph', true, photoVitDims)],
    ...torchRows('photo-vit ', photoVit, photoVitDims),
  ] as Plan : []),
];

/** Nominal fp32 and bf16 peaks of the cores this run uses, from /proc/cpuinfo (see the header). */
function cpuPeaks(): { cores: number; ghz: number | null; flags: string[]; fp32Gflops: number | null; bf16Gflops: number | null; how: string } {
  let info = '';
  try { info = readFileSync('/proc/cpuinfo', 'utf8'); } catch { /* not Linux */ }
  const flags = (/^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '').split(/\s+/);
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)$/m.exec(info)?.[1]);
  const ghz = Number.isFinite(mhz) && mhz > 0 ? mhz / 1000 : null;
  const cores = Math.min(threads, os.availableParallelism());
  const fp32PerCycle = flags.includes('avx512f') ? 64 : flags.includes('avx2') && flags.includes('fma') ? 32 : flags.includes('avx') ? 16 : 8;
  const bf16PerCycle = flags.includes('amx_bf16') ? 1024 : flags.includes('avx512_bf16') ? 128 : null;
  const peak = (perCycle: number | null) => (ghz !== null && perCycle !== null ? cores * ghz * perCycle : null);
  return {
    cores, ghz, flags: flags.filter((f) => /^(avx2|fma|avx512f|avx512_bf16|amx_bf16|amx_tile|amx_int8)$/.test(f)),
    fp32Gflops: peak(fp32PerCycle), bf16Gflops: peak(bf16PerCycle),
    how: `${cores} cores x ${ghz?.toFixed(2) ?? '?'} GHz ("cpu MHz") x ${fp32PerCycle} fp32 FLOP/cycle${bf16PerCycle ? ` (bf16: ${bf16PerCycle}/cycle)` : ' (no amx_bf16 / avx512_bf16: bf16 is emulated, no bf16 peak)'}`,
  };
}

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
const torch = med('pytorch fp32');
const graphOn = med('tintem graph, oneDNN on'), graphOff = med('tintem graph, oneDNN off');
const graphBest = graphOn !== undefined && graphOff !== undefined ? Math.min(graphOn, graphOff) : graphOn ?? graphOff;
const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a / b : null);
const torchInfo = runners.find((r) => r.info.torch !== undefined)?.info;
/** The fastest PyTorch row of a case (name and median). */
const bestTorch = (names: string[]) => names.map((n) => [n, med(n)] as const).filter(([, m]) => m !== undefined)
  .sort((a, b) => a[1]! - b[1]!)[0];
// FLOPs of each case's step, counted on its PyTorch fp32 peer (same architecture and losses).
const flopsOf = (names: string[]) => runners.find((r) => names.includes(r.name) && typeof r.info.stepFlops === 'number')?.info.stepFlops as number | undefined;
const peaks = cpuPeaks();
const caseSummary = Object.fromEntries(Object.entries(CASES).map(([key, c]) => {
  const best = bestTorch(c.torch);
  const flops = flopsOf(c.torch);
  const rows = [c.tintem, ...c.torch, ...(key === 'mnist' ? ['tintem graph, oneDNN off', 'tintem eager'] : [])];
  const gflops = Object.fromEntries(rows.filter((n) => med(n) !== undefined).map((n) => [n, flops !== undefined ? flops / med(n)! / 1e9 : null]));
  return [key, {
    tintem: c.tintem, bestTorch: best?.[0] ?? null, overBestTorch: ratio(best?.[1], med(c.tintem)),
    stepGflop: flops !== undefined ? flops / 1e9 : null, achievedGflops: gflops, batch: c.batch,
  }];
}));
const result = {
  quick, batchSize, threads, rounds, stepsPerRound,
  machineLoad: { cores: os.availableParallelism(), loadAvg1mBefore: loadBefore, loadAvg1mDuringRounds: loads },
  torch: torchInfo?.torch ?? null,
  model: { cnn, vit, photoCnn, photoVit, method: 'tintem (4 terms)', teacherDim: TEACHER_DIM, tokenCount: TOKEN_COUNT, photoCnnDims, photoVitDims },
  cpuPeaks: peaks,
  cases: caseSummary,
  results, unavailable,
  ratios: {
    mnistOverBestTorch: caseSummary.mnist!.overBestTorch,
    photoCnnOverBestTorch: caseSummary.photoCnn!.overBestTorch,
    photoVitOverBestTorch: caseSummary.photoVit!.overBestTorch,
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

const gflopsOf = (name: string) => {
  for (const c of Object.values(caseSummary)) {
    const g = (c.achievedGflops as Record<string, number | null>)[name];
    if (g !== undefined && g !== null) return g;
  }
  return null;
};
const row = (name: string) => {
  const r = results[name] as unknown as { medianStepSeconds: number; stepSeconds: number[]; path: string } | undefined;
  if (!r) return `${name.padEnd(44)} unavailable`;
  const batch = name.startsWith('photo-') ? photoBatch : batchSize;
  const g = gflopsOf(name);
  const precision = (r as unknown as { info: { precision?: string } }).info.precision;
  return `${name.padEnd(44)} ${(r.medianStepSeconds * 1000).toFixed(0).padStart(10)} ${(batch / r.medianStepSeconds).toFixed(1).padStart(10)} ${(g === null ? '-' : g.toFixed(0)).padStart(8)}  ${r.path}${precision ? ` ${precision}` : ''}`;
};
const fmt = (x: number | null) => (x === null ? '-' : `${x.toFixed(2)}x`);
process.stdout.write([
  `training throughput, TinTeM (${TEACHER_DIM}-d teacher, ${TOKEN_COUNT} tokens), batch ${batchSize}, ${threads} threads, ${rounds}x${stepsPerRound} steps alternated${quick ? ' (quick)' : ''}; load avg ${loads.map((l) => l.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores`,
  `${'runtime'.padEnd(44)} ${'median ms'.padStart(10)} ${'images/s'.padStart(10)} ${'GFLOP/s'.padStart(8)}  path`,
  ...plan.map(([name]) => row(name)),
  `tintem graph / pytorch fp32 throughput: ${fmt(result.ratios.graphOverTorch)} (oneDNN on ${fmt(result.ratios.graphOneDnnOnOverTorch)}, off ${fmt(result.ratios.graphOneDnnOffOverTorch)}); tintem eager / pytorch fp32: ${fmt(result.ratios.eagerOverTorch)}; vit-112 graph / eager: ${fmt(result.ratios.vitGraphOverEager)}`,
  `tintem / best pytorch: mnist ${fmt(result.ratios.mnistOverBestTorch)}, photo-cnn ${fmt(result.ratios.photoCnnOverBestTorch)}, photo-vit ${fmt(result.ratios.photoVitOverBestTorch)}`,
  `nominal peaks: fp32 ${peaks.fp32Gflops?.toFixed(0) ?? '-'} GFLOP/s, bf16 ${peaks.bf16Gflops?.toFixed(0) ?? '-'} GFLOP/s (${peaks.how})`,
  '',
].join('\n'));
