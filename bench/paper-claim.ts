/**
 * The paper's claim, measured: for MNIST and Fashion-MNIST (each the other's OOD set, plus natural photos and
 * noise), for several seeds, distil the default student from the built-in teacher with TinTeM and the
 * baselines (proteus, cosine, relational) at the same budget; evaluate all students of a (dataset, seed)
 * together on faithfulness (quality, agreement, similarity, OOD, robustness); aggregate mean ± std over seeds and
 * TinTeM's wins/ties/losses against each baseline (rule in bench/lib/paper-metrics.ts).
 *
 *   npx tsx bench/paper-claim.ts [--quick] [--datasets mnist,fashion] [--seeds 0,1,2]
 *     [--methods tintem,proteus,cosine,relational] [--train-limit 3000] [--test-limit 2000] [--ood-limit 1024]
 *     [--epochs 6] [--robustness-count 200] [--severities 1,3,5] [--corruptions all|a,b]
 *     [--teacher inception] [--eval-seed 0] [--out runs/paper-claim] [--cache .cache/tintem] [--fresh]
 *     [--teacher-norms none,center] [--converge] [--max-epochs 60] [--epoch-growth 1.5]
 *     [--probe-train 2000] [--probe-test 1000] [--results-name paper-claim] [--machine-note "quiet"] [--replace]
 *     [--precision auto|fp32|bf16]
 *
 * --teacher-norms runs the whole grid once per teacherNorm setting (runs of a setting other than none live under
 * <out>/norm-<setting>/). --converge trains each student until it has converged by the rule: its kNN accuracy
 * (k = 20 on its own embeddings, bank = the first --probe-train training images, queries = the first
 * --probe-test test images), measured after every epoch, moves < 0.5 points over the last two epochs. A run that
 * has not converged at its last epoch is trained afresh with ceil(epochs x --epoch-growth) epochs (each run keeps
 * a complete warm-up + cosine schedule), up to --max-epochs; the rule's outcome is printed per run and recorded
 * in <runDir>/convergence.json, bench/results/paper-claim.json and docs/results.md.
 *
 * The convergence re-run (about four hours on a 2-core machine), in one go:
 *   npx tsx bench/paper-claim.ts --train-limit 20000 --converge --epochs 14 --max-epochs 60 \
 *     --teacher-norms none,center --seeds 0,1,2 --datasets mnist,fashion
 * or one block per run (each with --datasets <one> --teacher-norms <one> --results-name paper-claim-converged-...),
 * then `npx tsx bench/paper-claim-combine.ts` joins the blocks into bench/results/paper-claim.json and docs/results.md.
 *
 * Writes bench/results/paper-claim.json (all raw scorecards + aggregates) and docs/results.md; it refuses to replace
 * a results file of other settings unless --replace (or --results-name writes beside it). --quick is a
 * smoke run (small sizes, 1 epoch, 2 seeds) that writes both files under runs/paper-claim-quick/ instead, so it
 * never replaces the real results. Finished training runs and evaluations are reused on a re-run.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../src/backend/index.js';
import { loadDataset } from '../src/data/index.js';
import type { ImageSet } from '../src/data/types.js';
import { embeddings, knnClassify } from '../src/evaluation/index.js';
import { configToYaml } from '../src/config/load.js';
import type { DistillConfig } from '../src/config/schema.js';
import { DEFAULT_CACHE_DIR, DEFAULT_TEACHER } from '../src/config/defaults.js';
import { parseDistillConfig } from '../src/training/config.js';
import type { Scorecard } from '../src/evaluation/index.js';
import { evaluateRuns } from '../src/experiment/evaluate.js';
import { loadRun, type LoadedRun } from '../src/experiment/load-run.js';
import { loadEvalSets } from '../src/experiment/sets.js';
import { isMethodName } from '../src/methods/registry.js';
import { CORRUPTION_NAMES, isCorruptionName, type CorruptionName, type RobustnessReport } from '../src/robustness/index.js';
import { createTeacher } from '../src/teachers/index.js';
import type { Teacher } from '../src/teachers/types.js';
import { runDistill, teacherGridFor, type DistillSummary } from '../src/experiment/distill.js';
import { readRunSummary, runConfigIs, runState } from '../src/training/run-folder.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { hashJson } from '../src/util/hash.js';
import { info } from '../src/util/log.js';
import { aggregate, type SeedEvaluation } from './lib/paper-metrics.js';
import { pairedGain } from '../src/training/converge.js';
import { blockConvergenceRows, blockKey, blockResult, CONVERGENCE_RULE, DATASETS, paperNotes, shellWord, studentDescription, type DatasetKey } from './lib/paper-grid.js';
import { resultsMarkdown, type ConvergenceRow, type DatasetResult, type ResultsDoc } from './lib/paper-markdown.js';

// ---------- options ----------

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
function fail(message: string): never {
  process.stderr.write(`paper-claim: ${message}\n`);
  process.exit(2);
}
function intArg(name: string, fallback: number): number {
  const v = arg(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) fail(`${name}: expected a non-negative integer, got '${v}'`);
  return n;
}
function listArg(name: string, fallback: string[]): string[] {
  const v = arg(name);
  return v === undefined ? fallback : v.split(',').map((s) => s.trim()).filter(Boolean);
}

const quick = process.argv.includes('--quick');
const datasets = listArg('--datasets', ['mnist', 'fashion']).map((d) => (d in DATASETS ? d as DatasetKey : fail(`--datasets: unknown '${d}' (expected mnist, fashion)`)));
const seeds = listArg('--seeds', quick ? ['0', '1'] : ['0', '1', '2']).map((s) => (/^\d+$/.test(s) ? Number(s) : fail(`--seeds: '${s}' is not a seed`)));
const methods = listArg('--methods', ['tintem', 'proteus', 'cosine', 'relational']).map((m) => (isMethodName(m) ? m : fail(`--methods: unknown method '${m}'`)));
if (methods[0] !== 'tintem') fail('--methods: must start with tintem (the method compared against the others)');
const trainLimit = intArg('--train-limit', quick ? 300 : 3000);
const testLimit = intArg('--test-limit', quick ? 300 : 2000);
// 1,024 = two whole cache shards: the other dataset's test images are then served from its own test-set cache.
const oodLimit = intArg('--ood-limit', quick ? 200 : 1024);
const epochs = intArg('--epochs', quick ? 1 : 6);
const robustnessCount = intArg('--robustness-count', quick ? 40 : 200);
const severities = listArg('--severities', quick ? ['1', '5'] : ['1', '3', '5']).map(Number);
const corruptionArg = arg('--corruptions') ?? (quick ? 'gaussian_noise,defocus_blur,contrast' : 'all');
const corruptions: CorruptionName[] = corruptionArg === 'all' ? [...CORRUPTION_NAMES]
  : corruptionArg.split(',').map((c) => (isCorruptionName(c) ? c : fail(`--corruptions: unknown corruption '${c}'`)));
const teacherSpec = arg('--teacher') ?? DEFAULT_TEACHER;
// Training precision (issue 28's convergence comparison: run once with fp32 and once with bf16, each with its own
// --out and --results-name). Unset: the config's default (auto).
const precisionArg = arg('--precision');
if (precisionArg !== undefined && !['auto', 'fp32', 'bf16'].includes(precisionArg)) fail(`--precision: expected auto, fp32 or bf16 (got ${precisionArg})`);
const evalSeed = intArg('--eval-seed', 0);
const outDir = arg('--out') ?? (quick ? 'runs/paper-claim-quick' : 'runs/paper-claim');
const cacheDir = arg('--cache') ?? DEFAULT_CACHE_DIR;
// --results-name keeps a partial grid (e.g. one block of the convergence re-run) beside the full results, not over them.
const resultsName = arg('--results-name');
if (resultsName !== undefined && !/^[a-z0-9-]+$/.test(resultsName)) fail(`--results-name: expected lower-case letters, digits and '-', got '${resultsName}'`);
const resultsPath = quick ? join(outDir, 'paper-claim.json') : `bench/results/${resultsName ?? 'paper-claim'}.json`;
const docPath = quick ? join(outDir, 'results.md') : resultsName ? `docs/${resultsName}.md` : 'docs/results.md';
// What else ran on the machine meanwhile: stated in the doc as given (default: nothing was checked).
const machineNote = arg('--machine-note') ?? 'not checked for other jobs';
const teacherNorms = listArg('--teacher-norms', ['none']).map((n) => (n === 'none' || n === 'center' || n === 'standardize' ? n : fail(`--teacher-norms: unknown '${n}' (expected none, center, standardize)`)));
const converge = process.argv.includes('--converge');
const maxEpochs = intArg('--max-epochs', quick ? 3 : 60);
const epochGrowth = Number(arg('--epoch-growth') ?? 1.5);
if (!(epochGrowth > 1)) fail('--epoch-growth: expected a number > 1');
const probeTrain = intArg('--probe-train', quick ? 200 : 2000);
const probeTest = intArg('--probe-test', quick ? 100 : 1000);
const command = ['npx tsx bench/paper-claim.ts', ...process.argv.slice(2).map(shellWord)].join(' ');

// ---------- training ----------

/** Trainings and evaluations this invocation computed (0: every number was reused from an earlier run). */
let freshWork = 0;

type TeacherNormSetting = DistillConfig['teacherNorm'];

function runConfig(norm: TeacherNormSetting, dataset: DatasetKey, seed: number, method: string, runEpochs = epochs): DistillConfig {
  return parseDistillConfig({
    teacher: teacherSpec,
    teacherNorm: norm,
    data: { train: DATASETS[dataset].train, limit: trainLimit },
    method: { name: method },
    epochs: runEpochs, seed,
    runDir: join(outDir, norm === 'none' ? '' : `norm-${norm}`, dataset, `seed${seed}`, method),
    cacheDir, progress: false,
    ...(precisionArg !== undefined ? { precision: precisionArg } : {}),
  });
}

/** What --converge found for one run (also <runDir>/convergence.json). */
interface Convergence {
  epochs: number;
  knn: number[];
  /** The last epoch's probe correctness, one 0/1 per probe test image (the paired comparison needs it). */
  correct?: number[];
  /** Against the 1.5x run: its epochs and the gain's interval (absent until that run was compared). */
  longer?: { epochs: number; gain: number; lo: number; hi: number; noiseFloor: number };
  converged: boolean;
  rule: string;
}

/** Per-image kNN correctness of a live student on the probe sets (synchronous: it runs inside the trainer's epoch event). */
function probeCorrectness(model: tf.LayersModel, probe: { train: ImageSet; test: ImageSet }): number[] {
  const embed = (set: ImageSet) => {
    const values = tf.tidy(() => {
      const x = tf.tensor4d(set.pixels, [set.count, set.height, set.width, set.channels]);
      const y = model.predict(x);
      return (Array.isArray(y) ? y[0]! : y).dataSync() as Float32Array;
    });
    return embeddings(values, values.length / set.count);
  };
  const pred = knnClassify(embed(probe.train), probe.train.labels!, embed(probe.test)).predictions;
  return Array.from(pred, (p, i) => (p === probe.test.labels![i] ? 1 : 0));
}

const probes = new Map<DatasetKey, { train: ImageSet; test: ImageSet }>();
async function probeSets(dataset: DatasetKey) {
  if (!probes.has(dataset)) {
    const d = DATASETS[dataset];
    probes.set(dataset, { train: await loadDataset(d.train, { limit: probeTrain }), test: await loadDataset(d.test, { limit: probeTest }) });
  }
  return probes.get(dataset)!;
}

/** Trains unless the folder holds the same finished run; resumes an interrupted run of the same config. */
async function ensureRun(config: DistillConfig, dataset: DatasetKey): Promise<Convergence | undefined> {
  const { runDir } = config;
  const convergencePath = join(runDir, 'convergence.json');
  const same = runConfigIs(runDir, configToYaml(config));
  const stored = converge && existsSync(convergencePath) ? JSON.parse(readFileSync(convergencePath, 'utf8')) as Convergence : undefined;
  // Runs from before the paired rule have no per-image correctness: they are trained again under --converge.
  if (same && runState(runDir) === 'finished' && (!converge || stored?.correct)) {
    info(`  reusing ${runDir}`);
    return stored;
  }
  freshWork++;
  // A resumed run would miss the probe values of its earlier epochs, so --converge always trains from scratch.
  const resume = !converge && same && runState(runDir) === 'interrupted';
  if (!resume) rmSync(runDir, { recursive: true, force: true });
  const knn: number[] = [];
  let correct: number[] = [];
  const probe = converge ? await probeSets(dataset) : undefined;
  const t = performance.now();
  const onEpochEnd = probe ? (_e: number, model: tf.LayersModel) => { correct = probeCorrectness(model, probe); knn.push(correct.reduce((a, b) => a + b, 0) / correct.length); } : undefined;
  const r = await runDistill(config, { resume, onEpochEnd });
  if (r.interrupted) fail(`${runDir}: training was interrupted`);
  info(`  trained ${runDir} in ${((performance.now() - t) / 1000).toFixed(0)} s (train ${r.summary!.trainSeconds.toFixed(0)} s)`);
  if (!converge) return undefined;
  const result: Convergence = { epochs: config.epochs, knn, correct, converged: false, rule: CONVERGENCE_RULE };
  await writeFileAtomic(convergencePath, `${JSON.stringify(result)}\n`);
  return result;
}

/** --converge: trains with growing epoch counts until the run meets the rule (or --max-epochs); prints the outcome. */
async function ensureConvergedRun(norm: TeacherNormSetting, dataset: DatasetKey, seed: number, method: string): Promise<{ config: DistillConfig; convergence?: Convergence }> {
  let runEpochs = epochs;
  let config = runConfig(norm, dataset, seed, method, runEpochs);
  let convergence = await ensureRun(config, dataset);
  if (!convergence) return { config };
  // The rule (src/training/converge.ts): this run against a whole run --epoch-growth (1.5x) as long from the same
  // seed, paired over the probe images; schedule flatness and epoch-to-epoch noise cannot satisfy it.
  for (;;) {
    if (runEpochs >= maxEpochs) {
      process.stdout.write(`convergence ${norm}/${dataset}/seed${seed}/${method}: NOT converged (stopped at --max-epochs ${maxEpochs}) [rule: ${CONVERGENCE_RULE}]\n`);
      return { config, convergence };
    }
    const longerEpochs = Math.min(maxEpochs, Math.max(runEpochs + 1, Math.ceil(runEpochs * epochGrowth)));
    const longerConfig = runConfig(norm, dataset, seed, method, longerEpochs);
    const longer = (await ensureRun(longerConfig, dataset))!;
    const g = pairedGain(convergence.correct!, longer.correct!, seed);
    const verdict = g.converged ? `converged at ${runEpochs} epochs` : `not converged, comparing ${longerEpochs} with a longer run`;
    process.stdout.write(`convergence ${norm}/${dataset}/seed${seed}/${method}: ${runEpochs} vs ${longerEpochs} epochs, kNN gain ${(100 * g.gain).toFixed(1)} points `
      + `(95% ${(100 * g.lo).toFixed(1)}..${(100 * g.hi).toFixed(1)}, noise floor ±${(100 * g.noiseFloor).toFixed(1)}) -> ${verdict} [rule: ${CONVERGENCE_RULE}]\n`);
    convergence = { ...convergence, converged: g.converged, longer: { epochs: longerEpochs, gain: g.gain, lo: g.lo, hi: g.hi, noiseFloor: g.noiseFloor } };
    await writeFileAtomic(join(config.runDir, 'convergence.json'), `${JSON.stringify(convergence)}\n`);
    if (g.converged) return { config, convergence };
    runEpochs = longerEpochs;
    config = longerConfig;
    convergence = longer;
  }
}

// ---------- evaluation ----------

interface StoredEvaluation { key: string; scorecard: Scorecard; robustness?: RobustnessReport }

/** Evaluates the (dataset, seed) students together, or reuses a stored evaluation of the same runs and settings. */
async function evaluateSeed(dataset: DatasetKey, seed: number, configs: DistillConfig[], teacher: (grid: number) => Promise<Teacher>, evalDir: string): Promise<StoredEvaluation> {
  const d = DATASETS[dataset];
  const ood = [d.crossOod, 'photos', `noise:${oodLimit}`];
  const settings = { d, ood, trainLimit, testLimit, oodLimit, evalSeed, robustnessCount, severities, corruptions,
    runs: configs.map((c) => readRunSummary(c.runDir)) };
  const key = hashJson(settings);
  const path = join(evalDir, 'evaluation.json');
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as StoredEvaluation;
    if (stored.key === key) {
      info(`  reusing ${path}`);
      return stored;
    }
  }
  freshWork++;
  const runs: LoadedRun[] = [];
  try {
    for (const c of configs) runs.push(await loadRun(c.runDir, c.method.name));
    // The teacher grid the students were trained against (the cache keys include it).
    const studentGrid = Math.round(Math.sqrt(runs[0]!.model.outputs[1]?.shape[1] ?? 1));
    const grid = teacherGridFor(configs[0]!, studentGrid);
    const sets = await loadEvalSets({ train: d.train, test: d.test, ood, trainLimit, testLimit, oodLimit, seed: evalSeed });
    const ev = await evaluateRuns({
      teacher: await teacher(grid), runs, sets, cacheDir, seed: evalSeed, progress: false,
      robustness: robustnessCount > 0 ? { count: robustnessCount, corruptions, severities } : false,
    });
    const stored: StoredEvaluation = { key, scorecard: ev.scorecard, robustness: ev.robustness };
    await writeFileAtomic(path, `${JSON.stringify(stored)}\n`);
    return stored;
  } finally {
    for (const r of runs) r.dispose();
  }
}

/** A deep copy without the `roc` arrays (most of a scorecard's bytes). */
function withoutRoc<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v: unknown) => (k === 'roc' ? undefined : v))) as T;
}

// ---------- main ----------

const settings = {
  datasets, seeds, methods, trainLimit, testLimit, oodLimit, epochs, robustnessCount, severities, corruptions, teacher: teacherSpec, evalSeed,
  teacherNorms, ...(converge ? { converge: { maxEpochs, epochGrowth, probeTrain, probeTest, rule: CONVERGENCE_RULE } } : {}),
};
// Hours of results are not replaced by a run of other settings (e.g. `npm run bench -- paper-claim`, 3,000 images x 6
// epochs, over the converged grid) unless asked: --results-name keeps both, --replace overwrites.
if (!quick && existsSync(resultsPath) && !process.argv.includes('--replace')) {
  let prev: unknown;
  try { prev = (JSON.parse(readFileSync(resultsPath, 'utf8')) as { settings?: unknown }).settings; } catch { prev = undefined; }
  if (JSON.stringify(prev) !== JSON.stringify(settings)) {
    fail(`${resultsPath} holds results of other settings (see its "settings" and ${docPath}); pass --results-name <name> to write beside it, or --replace to overwrite it`);
  }
}

const started = performance.now();
// oneDNN on, as in demo: the graph-compiled training step and the evaluation gain the most from it (the user's TF_ENABLE_ONEDNN_OPTS wins).
const backend = await initBackend(undefined, { oneDnn: true });
info(`paper-claim: ${datasets.join(', ')} x seeds ${seeds.join(',')} x ${methods.join(', ')}; ${trainLimit} train images, ${epochs} epochs, teacher ${teacherSpec}, backend ${backend.name}`);
if (process.argv.includes('--fresh')) rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

// One lazily loaded teacher for all evaluations: it only loads when some set misses the embedding cache.
let liveTeacher: Teacher | undefined;
let teacherGrid = 0;
async function getTeacher(grid: number): Promise<Teacher> {
  if (liveTeacher && grid !== teacherGrid) { liveTeacher.dispose(); liveTeacher = undefined; }
  teacherGrid = grid;
  return (liveTeacher ??= await createTeacher(teacherSpec, { grid, lazy: true }));
}

const raw: Record<string, Array<{ seed: number; scorecard: Scorecard; robustness?: RobustnessReport; runs: Record<string, DistillSummary>; convergence?: Record<string, Convergence> }>> = {};
const results: DatasetResult[] = [];
const convergenceRows: ConvergenceRow[] = [];
let anySummary: DistillSummary | undefined;
let firstConfig: DistillConfig | undefined;
try {
  for (const norm of teacherNorms) for (const dataset of datasets) {
    const key = blockKey(norm, dataset);
    raw[key] = [];
    for (const seed of seeds) {
      info(`[${key} seed ${seed}] training ${methods.join(', ')}`);
      const trained = [];
      for (const m of methods) trained.push(await ensureConvergedRun(norm, dataset, seed, m));
      const configs = trained.map((t) => t.config);
      const convergence = converge ? Object.fromEntries(trained.map((t) => [t.config.method.name, t.convergence!])) : undefined;
      const summaries = Object.fromEntries(configs.map((c) => [c.method.name, readRunSummary(c.runDir)]));
      anySummary ??= summaries.tintem;
      firstConfig ??= configs[0];
      info(`[${key} seed ${seed}] evaluating`);
      const t = performance.now();
      const ev = await evaluateSeed(dataset, seed, configs, getTeacher, join(configs[0]!.runDir, '..'));
      info(`[${key} seed ${seed}] evaluated in ${((performance.now() - t) / 1000).toFixed(0)} s (elapsed ${((performance.now() - started) / 60000).toFixed(1)} min)`);
      raw[key]!.push({ seed, scorecard: ev.scorecard, robustness: ev.robustness, runs: summaries, convergence });
    }
    const evals: SeedEvaluation[] = raw[key]!;
    results.push(blockResult(norm, dataset, raw[key]!, aggregate(evals, methods), methods));
    convergenceRows.push(...blockConvergenceRows(key, raw[key]!));
  }
} finally {
  liveTeacher?.dispose();
}

let wallSeconds = (performance.now() - started) / 1000;
let runDate = new Date().toISOString();
// A re-run that only reused finished work keeps the wall time and date of the run that computed the numbers.
if (freshWork === 0 && existsSync(resultsPath)) {
  const prev = JSON.parse(readFileSync(resultsPath, 'utf8')) as { settings?: unknown; wallSeconds?: number; date?: string };
  if (JSON.stringify(prev.settings) === JSON.stringify(settings) && typeof prev.wallSeconds === 'number' && prev.date) {
    wallSeconds = prev.wallSeconds;
    runDate = prev.date;
  }
}
// The grid bench/README.md describes for the full experiment: both datasets, 3 seeds, all four methods, none + center.
const fullGrid = datasets.length === 2 && seeds.length >= 3 && methods.length === 4 && teacherNorms.includes('none') && teacherNorms.includes('center');
const s = anySummary!;
const spec = s.student.spec as unknown as Record<string, unknown>;
const doc: ResultsDoc = {
  command, date: runDate.slice(0, 10), wallSeconds, backend: backend.name,
  machine: `${cpus().length} CPU cores (${machineNote}), Node ${process.version}, TF_ENABLE_ONEDNN_OPTS=${process.env.TF_ENABLE_ONEDNN_OPTS ?? 'unset'}`,
  teacher: { spec: teacherSpec, id: s.teacher.id, embedDim: s.teacher.embedDim, tokenCount: s.teacher.tokenCount },
  student: {
    description: studentDescription(spec),
    params: s.student.params, embedDim: s.student.spec.embedDim,
  },
  methods, seeds, evalSeed, epochs, trainCount: s.data.count, outDir, batchSize: firstConfig!.batchSize, lr: firstConfig!.lr, weightDecay: firstConfig!.weightDecay,
  datasets: results, resultsPath,
  ...(converge ? { convergence: { rule: CONVERGENCE_RULE, probe: `the first ${probeTrain} training images (bank) and ${probeTest} test images (queries)`, rows: convergenceRows } } : {}),
  ...(fullGrid ? {} : { scope: `Part of the grid: ${datasets.map((d) => DATASETS[d].title).join(' and ')}, teacherNorm ${teacherNorms.join(' and ')}, seeds ${seeds.join(', ')}, methods ${methods.join(', ')}. The rest of the grid is run the same way with other --datasets / --teacher-norms / --results-name values.` }),
  notes: paperNotes({
    trainLimit, epochs, trainings: datasets.length * seeds.length * methods.length * teacherNorms.length, evaluations: datasets.length * seeds.length * teacherNorms.length,
    teacherNorms, quick, ...(converge ? { converge: { maxEpochs, epochGrowth, probeTrain, probeTest } } : {}),
  }),
};

const json = {
  bench: 'paper-claim', quick, date: runDate, command, wallSeconds, backend: backend.name, settings, doc: docPath,
  rule: 'win: TinTeM better in every seed AND |mean diff| > max(std_tintem, std_baseline, 0.001); loss: the mirror; else tie',
  aggregates: Object.fromEntries(results.map((r) => [r.key, r.metrics])),
  rawNote: `ROC curves are left out of raw to keep this file small; the full scorecards are in ${outDir}/<dataset>/seed<k>/evaluation.json`,
  raw: withoutRoc(raw),
};
mkdirSync(quick ? outDir : 'bench/results', { recursive: true });
await writeFileAtomic(resultsPath, `${JSON.stringify(json, null, 1)}\n`);
await writeFileAtomic(docPath, resultsMarkdown(doc));

// Console table: W/T/L per dataset and baseline.
const baselines = methods.filter((m) => m !== 'tintem');
const lines = [`paper-claim (${(wallSeconds / 60).toFixed(1)} min): TinTeM wins / ties / losses per baseline`, `${'dataset'.padEnd(15)}${baselines.map((b) => b.padStart(14)).join('')}`];
for (const r of results) {
  const cell = (b: string) => {
    const n = (o: string) => r.metrics.filter((m) => m.comparisons.some((c) => c.baseline === b && c.outcome === o)).length;
    return `${n('win')}/${n('tie')}/${n('loss')}`;
  };
  lines.push(`${r.title.padEnd(15)}${baselines.map((b) => cell(b).padStart(14)).join('')}`);
}
process.stdout.write(`${lines.join('\n')}\nresults: ${resultsPath}\ndoc: ${docPath}\n`);
