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
 *
 * Writes bench/results/paper-claim.json (all raw scorecards + aggregates) and docs/results.md. --quick is a
 * smoke run (small sizes, 1 epoch, 2 seeds) that writes both files under runs/paper-claim-quick/ instead, so it
 * never replaces the real results. Finished training runs and evaluations are reused on a re-run.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { configToYaml } from '../src/config/load.js';
import type { DistillConfig } from '../src/config/schema.js';
import { DEFAULT_CACHE_DIR, DEFAULT_TEACHER } from '../src/config/defaults.js';
import { parseDistillConfig } from '../src/training/config.js';
import type { Scorecard } from '../src/evaluation/index.js';
import { evaluateRuns } from '../src/experiment/evaluate.js';
import { loadRun, type LoadedRun } from '../src/experiment/run.js';
import { loadEvalSets } from '../src/experiment/sets.js';
import { isMethodName } from '../src/methods/registry.js';
import { CORRUPTION_NAMES, isCorruptionName, type CorruptionName, type RobustnessReport } from '../src/robustness/index.js';
import { createTeacher } from '../src/teachers/index.js';
import type { Teacher } from '../src/teachers/types.js';
import { runDistill, teacherGridFor, type DistillSummary } from '../src/training/run-distill.js';
import { readRunSummary, runConfigIs, runState } from '../src/training/run-folder.js';
import { writeFileAtomic } from '../src/util/atomic.js';
import { hashJson } from '../src/util/hash.js';
import { info } from '../src/util/log.js';
import { aggregate, type SeedEvaluation } from './lib/paper-metrics.js';
import { resultsMarkdown, type DatasetResult, type ResultsDoc } from './lib/paper-markdown.js';

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

const DATASETS = {
  mnist: { title: 'MNIST', train: 'mnist:train', test: 'mnist:test', crossOod: 'fashion:test' },
  fashion: { title: 'Fashion-MNIST', train: 'fashion:train', test: 'fashion:test', crossOod: 'mnist:test' },
} as const;
type DatasetKey = keyof typeof DATASETS;

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
const evalSeed = intArg('--eval-seed', 0);
const outDir = arg('--out') ?? (quick ? 'runs/paper-claim-quick' : 'runs/paper-claim');
const cacheDir = arg('--cache') ?? DEFAULT_CACHE_DIR;
const resultsPath = quick ? join(outDir, 'paper-claim.json') : 'bench/results/paper-claim.json';
const docPath = quick ? join(outDir, 'results.md') : 'docs/results.md';
const command = `npx tsx bench/paper-claim.ts ${process.argv.slice(2).join(' ')}`.trim();

// ---------- training ----------

/** Trainings and evaluations this invocation computed (0: every number was reused from an earlier run). */
let freshWork = 0;

function runConfig(dataset: DatasetKey, seed: number, method: string): DistillConfig {
  return parseDistillConfig({
    teacher: teacherSpec,
    data: { train: DATASETS[dataset].train, limit: trainLimit },
    method: { name: method },
    epochs, seed,
    runDir: join(outDir, dataset, `seed${seed}`, method),
    cacheDir, progress: false,
  });
}

/** Trains unless the folder holds the same finished run; resumes an interrupted run of the same config. */
async function ensureRun(config: DistillConfig): Promise<void> {
  const { runDir } = config;
  const same = runConfigIs(runDir, configToYaml(config));
  if (same && runState(runDir) === 'finished') {
    info(`  reusing ${runDir}`);
    return;
  }
  freshWork++;
  const resume = same && runState(runDir) === 'interrupted';
  if (!resume) rmSync(runDir, { recursive: true, force: true });
  const t = performance.now();
  const r = await runDistill(config, { resume });
  if (r.interrupted) fail(`${runDir}: training was interrupted`);
  info(`  trained ${runDir} in ${((performance.now() - t) / 1000).toFixed(0)} s (train ${r.summary!.trainSeconds.toFixed(0)} s)`);
}

// ---------- evaluation ----------

interface StoredEvaluation { key: string; scorecard: Scorecard; robustness?: RobustnessReport }

/** Evaluates the (dataset, seed) students together, or reuses a stored evaluation of the same runs and settings. */
async function evaluateSeed(dataset: DatasetKey, seed: number, configs: DistillConfig[], teacher: (grid: number) => Promise<Teacher>): Promise<StoredEvaluation> {
  const d = DATASETS[dataset];
  const ood = [d.crossOod, 'photos', `noise:${oodLimit}`];
  const settings = { d, ood, trainLimit, testLimit, oodLimit, evalSeed, robustnessCount, severities, corruptions,
    runs: configs.map((c) => readRunSummary(c.runDir)) };
  const key = hashJson(settings);
  const path = join(outDir, dataset, `seed${seed}`, 'evaluation.json');
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

const started = performance.now();
const backend = await initBackend();
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

const raw: Record<string, Array<{ seed: number; scorecard: Scorecard; robustness?: RobustnessReport; runs: Record<string, DistillSummary> }>> = {};
const results: DatasetResult[] = [];
let anySummary: DistillSummary | undefined;
let firstConfig: DistillConfig | undefined;
try {
  for (const dataset of datasets) {
    raw[dataset] = [];
    for (const seed of seeds) {
      info(`[${dataset} seed ${seed}] training ${methods.join(', ')}`);
      const configs = methods.map((m) => runConfig(dataset, seed, m));
      for (const c of configs) await ensureRun(c);
      const summaries = Object.fromEntries(configs.map((c) => [c.method.name, readRunSummary(c.runDir)]));
      anySummary ??= summaries.tintem;
      firstConfig ??= configs[0];
      info(`[${dataset} seed ${seed}] evaluating`);
      const t = performance.now();
      const ev = await evaluateSeed(dataset, seed, configs, getTeacher);
      info(`[${dataset} seed ${seed}] evaluated in ${((performance.now() - t) / 1000).toFixed(0)} s (elapsed ${((performance.now() - started) / 60000).toFixed(1)} min)`);
      raw[dataset]!.push({ seed, scorecard: ev.scorecard, robustness: ev.robustness, runs: summaries });
    }
    const evals: SeedEvaluation[] = raw[dataset]!;
    const first = raw[dataset]![0]!;
    const d = DATASETS[dataset];
    results.push({
      key: dataset, title: d.title, train: d.train, test: d.test, ood: Object.keys(first.scorecard.counts.ood),
      trainCount: first.scorecard.counts.train, testCount: first.scorecard.counts.test, oodCounts: first.scorecard.counts.ood,
      robustness: first.robustness ? { count: first.robustness.count, corruptions: first.robustness.corruptions.length, severities: first.robustness.severities } : undefined,
      metrics: aggregate(evals, methods),
      trainSeconds: Object.fromEntries(methods.map((m) => [m, raw[dataset]!.reduce((s, r) => s + (r.runs[m]?.trainSeconds ?? 0), 0) / raw[dataset]!.length])),
    });
  }
} finally {
  liveTeacher?.dispose();
}

const settings = { datasets, seeds, methods, trainLimit, testLimit, oodLimit, epochs, robustnessCount, severities, corruptions, teacher: teacherSpec, evalSeed };
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
const s = anySummary!;
const spec = s.student.spec as unknown as Record<string, unknown>;
const doc: ResultsDoc = {
  command, date: runDate.slice(0, 10), wallSeconds, backend: backend.name,
  machine: `${cpus().length} CPU cores (shared with other jobs while it ran), Node ${process.version}`,
  teacher: { spec: teacherSpec, id: s.teacher.id, embedDim: s.teacher.embedDim, tokenCount: s.teacher.tokenCount },
  student: {
    description: spec.kind === 'cnn' ? `the default ResNet-style CNN (${spec.inputSize} px, ${spec.channels} channel, stem ${spec.stemWidth}, widths ×${(spec.widthMultipliers as number[]).join('/×')})` : `the default ${String(spec.kind)}`,
    params: s.student.params, embedDim: s.student.spec.embedDim,
  },
  methods, seeds, evalSeed, epochs, trainCount: s.data.count, outDir, batchSize: firstConfig!.batchSize, lr: firstConfig!.lr, weightDecay: firstConfig!.weightDecay,
  datasets: results,
  notes: [
    `Budget: ${trainLimit} training images × ${epochs} epoch${epochs === 1 ? '' : 's'} per student for all ${datasets.length * seeds.length * methods.length} trainings and ${datasets.length * seeds.length} evaluations${quick ? ' (a --quick smoke run: these numbers mean nothing)' : ', sized so the whole run fits in about half an hour on a quiet 2-core CPU machine (under heavy contention from other jobs one (dataset, seed) took 8 min instead of about 3)'}. The paper trains far larger students for far longer on ImageNet-scale data; absolute numbers here are not comparable to it, only the ranking of methods at an equal, small budget.`,
    'relational (PKT) optimises the student\'s own pairwise-similarity distribution towards the teacher\'s, which is close to what the similarity, neighbour-agreement and OOD-score-Spearman figures measure; TinTeM applies a similar KL only to its teacher head and then asks the student to match h(t) pointwise.',
    'The teacher row is identical for every seed (same images, frozen teacher, same evaluation seed), so its std is 0.',
    'OOD AUROC/FPR/AUPR are ranked "higher AUROC is better" as in the scorecard; for faithfulness the closer figure is the score Spearman vs teacher, and the teacher row shows the target.',
    'Where every model sits at the ceiling (e.g. AUROC 100% against photos or noise), a figure can only tie.',
    'Pairwise-cosine mean |diff| compares raw cosine values, not their ranking: a student can follow the teacher\'s similarity ranking closely (high Pearson/Spearman) yet sit at a different cosine scale, which this figure penalises.',
    'mCE is relative to the teacher (CE = student error / teacher error, summed over severities), so the teacher has no mCE row.',
  ],
};

const json = {
  bench: 'paper-claim', quick, date: runDate, command, wallSeconds, backend: backend.name, settings,
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
