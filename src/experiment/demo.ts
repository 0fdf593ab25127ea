/**
 * The main job, `tintem demo`: with the built-in teacher and MNIST, distil the same student with TinTeM and
 * with Proteus-style feature distillation (same budget and seed), evaluate both and the teacher for quality,
 * agreement, representation similarity, OOD detection and robustness, and write the report.
 * Re-running reuses the embedding cache and any finished (or interrupted: resumed) training run.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../backend/index.js';
import { configToYaml } from '../config/load.js';
import { DEFAULT_CACHE_DIR, DEFAULT_TEACHER } from '../config/defaults.js';
import type { DistillConfig } from '../config/schema.js';
import { parseDistillConfig } from '../training/config.js';
import { fashionMnistDir } from '../data/index.js';
import type { CorruptionName } from '../robustness/index.js';
import { runDistill } from '../training/run-distill.js';
import { runConfigIs, runState } from '../training/run-folder.js';
import { UserError } from '../util/errors.js';
import { info } from '../util/log.js';
import { evaluateRuns, type EvalSets } from './evaluate.js';
import { exportRun } from '../export/run.js';
import { publishEvaluation } from './publish.js';
import { loadEvalSets } from './sets.js';
import { loadRun, teacherForRun, type LoadedRun } from './run.js';

export interface DemoOptions {
  teacher: string;
  trainLimit: number;
  testLimit: number;
  oodLimit: number;
  epochs: number;
  methods: string[];
  seed: number;
  outDir: string;
  cacheDir: string;
  robustnessCount: number;
  corruptions?: CorruptionName[];
  severities: number[];
  fresh: boolean;
  progress: boolean;
  signal?: AbortSignal;
}

export const DEMO_DEFAULTS: DemoOptions = {
  teacher: DEFAULT_TEACHER,
  trainLimit: 5000,
  testLimit: 2000,
  oodLimit: 1000,
  epochs: 10,
  methods: ['tintem', 'proteus'],
  seed: 0,
  outDir: 'runs/demo',
  cacheDir: DEFAULT_CACHE_DIR,
  robustnessCount: 300,
  severities: [1, 3, 5],
  fresh: false,
  progress: true,
};

export function demoConfig(opts: DemoOptions, method: string): DistillConfig {
  return parseDistillConfig({
    teacher: opts.teacher,
    data: { train: 'mnist:train', limit: opts.trainLimit },
    method: { name: method },
    epochs: opts.epochs,
    seed: opts.seed,
    runDir: join(opts.outDir, method),
    cacheDir: opts.cacheDir,
    progress: opts.progress,
  }, `--methods ${method}`);
}

/** Trains one method unless its run folder already holds the same finished run; resumes an interrupted one. */
async function ensureRun(config: DistillConfig, signal?: AbortSignal): Promise<'trained' | 'reused' | 'interrupted'> {
  const runDir = config.runDir;
  const sameConfig = runConfigIs(runDir, configToYaml(config));
  const state = runState(runDir);
  if (state === 'finished' && sameConfig) {
    info(`${config.method.name}: reusing the finished run in ${runDir}`);
    return 'reused';
  }
  if (!sameConfig && state === 'interrupted') {
    throw new UserError(`${runDir}: holds a run with a different config; pass --fresh to replace it or choose another --out`);
  }
  const resume = state === 'interrupted';
  if (resume) info(`${config.method.name}: resuming the interrupted run in ${runDir}`);
  else rmSync(runDir, { recursive: true, force: true });
  const r = await runDistill(config, { resume, signal });
  return r.interrupted ? 'interrupted' : 'trained';
}

/** MNIST as ID; Fashion-MNIST (when installed), photo crops and noise as OOD. */
function loadSets(opts: DemoOptions): Promise<EvalSets> {
  const fashion = existsSync(fashionMnistDir());
  if (!fashion) info(`skipping the Fashion-MNIST OOD set: not found in ${fashionMnistDir()} (apt-get install dataset-fashion-mnist)`);
  return loadEvalSets({
    train: 'mnist:train', test: 'mnist:test', ood: [...(fashion ? ['fashion:test'] : []), 'photos', `noise:${Math.min(500, opts.oodLimit)}`],
    trainLimit: opts.trainLimit, testLimit: opts.testLimit, oodLimit: opts.oodLimit, seed: opts.seed,
  });
}

export interface DemoResult {
  interrupted: boolean;
  reportDir?: string;
  seconds: number;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const backend = await initBackend();
  info(`tintem demo: teacher ${opts.teacher}, ${opts.trainLimit} MNIST training images, methods ${opts.methods.join(' + ')}, backend ${backend.name}`);
  if (opts.fresh) rmSync(opts.outDir, { recursive: true, force: true });
  const configs = opts.methods.map((m) => demoConfig(opts, m));
  for (const [i, config] of configs.entries()) {
    info(`[${i + 1}/${configs.length + 1}] distilling with ${config.method.name} into ${config.runDir}`);
    if ((await ensureRun(config, opts.signal)) === 'interrupted') {
      return { interrupted: true, seconds: (Date.now() - started) / 1000 };
    }
  }
  info(`[${configs.length + 1}/${configs.length + 1}] evaluating teacher and students`);
  const runs: LoadedRun[] = [];
  try {
    for (const config of configs) runs.push(await loadRun(config.runDir, config.method.name));
    const teacher = await teacherForRun(runs[0]!, opts.teacher);
    try {
      const sets = await loadSets(opts);
      const evaluation = await evaluateRuns({
        teacher, runs, sets, cacheDir: opts.cacheDir, seed: opts.seed, progress: opts.progress,
        robustness: opts.robustnessCount > 0 ? { count: opts.robustnessCount, corruptions: opts.corruptions, severities: opts.severities } : false,
      });
      await publishEvaluation({
        outDir: opts.outDir,
        title: `tintem demo: ${opts.teacher} teacher -> ${runs.map((r) => r.name).join(' / ')} students on MNIST`,
        config: { demo: { ...opts, signal: undefined }, distill: configs[0] },
        runs, teacherLabel: `teacher (${opts.teacher})`, evaluation, sets, report: true,
      });
      const reportDir = join(opts.outDir, 'report');
      // The first method's student, exported with a gallery for the in-browser check (`npm run web`).
      const exportDir = join(opts.outDir, 'export');
      await exportRun({ runDir: runs[0]!.runDir, outDir: exportDir, seed: opts.seed, gallerySize: 300 });
      process.stdout.write(`exported ${runs[0]!.name} student: ${exportDir} (try: npx tintem serve --model ${exportDir})\n`);
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(`(demo took ${(seconds / 60).toFixed(1)} min)\n`);
      return { interrupted: false, reportDir, seconds };
    } finally {
      teacher.dispose();
    }
  } finally {
    for (const r of runs) r.dispose();
  }
}
