/**
 * `tintem eval`: faithfulness scorecard of one or more trained students (distill run folders) against their
 * teacher: task quality, agreement, representation similarity, OOD detection, and optionally robustness.
 */
import { Command, Option } from 'commander';
import { DEFAULT_CACHE_DIR } from '../../config/defaults.js';
import { DEFAULT_OOD, dataSpecHelp } from '../../data/registry.js';
import { parseTeacherSpec } from '../../teachers/registry.js';
import { UserError } from '../../util/errors.js';
import { intArg, parseCorruptionList, parseList, parseSeverityList, teacherOptionsFromFlags } from '../options.js';
import { teacherPresetHelp } from '../../teachers/options.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command): void {
  program
    .command('eval')
    .description('score trained students against their teacher (kNN/probe accuracy, agreement, CKA, mutual kNN, OOD, robustness)')
    .option('--run <dir>', 'a finished `tintem distill` run folder (repeat for several students)', collect, [])
    .option('--model <export[:form]>', 'an exported student scored as it runs after export, against the teacher and its fp32 student (the run its tintem.json names, found among --run or next to the export); form: tfjs, onnx or onnx-int8 (default: every form the export holds); repeatable', collect, [])
    .option('--teacher <spec>', "teacher to compare with (default: the one the runs were distilled from; needed when they differ)")
    .option('--teacher-preset <name>', teacherPresetHelp())
    .option('--teacher-option <key=value>', 'model-file teachers: a teacher option over the run\'s (see distill --help; repeatable)', collect, [])
    .option('--train <spec>', "ID train set: the kNN bank and probe training data (default: the run's training images)")
    .option('--test <spec>', "ID test set, the queries (default: the run's data.test, the training set's test split where its data source has one (mnist:train -> mnist:test), or a held-out 20% of the bank)")
    .option('--train-limit <n>', 'use only the first N training images', intArg('--train-limit', 1))
    .option('--test-limit <n>', 'use only the first N test images', intArg('--test-limit', 1))
    .option('--ood <specs>', `comma-separated OOD sets, each one of ${dataSpecHelp()} (default: the training source's own (MNIST-family runs: fashion:test (mnist:test for a Fashion-MNIST run), photos, noise:500); for any other run: ${DEFAULT_OOD.join(', ')}, synthetic, so they cannot overlap your images)`)
    .option('--ood-limit <n>', 'images per OOD set', intArg('--ood-limit', 1), 2000)
    .option('--id-classes <list>', "near-OOD class split: keep these classes (e.g. 0-4) as ID; the others' test images become the 'held-out-classes' OOD set")
    .option('--robustness <n>', 'test images to corrupt for robustness (0 = skip)', intArg('--robustness', 0), 0)
    .option('--severities <list>', 'corruption severities (1-5)', '1,2,3,4,5')
    .option('--corruptions <list>', 'corruptions (default: all implemented)')
    .option('--seed <n>', 'seed for bootstrap, subsampling and corruption', intArg('--seed', 0), 0)
    .option('--cache-dir <dir>', 'teacher-embedding cache', DEFAULT_CACHE_DIR)
    .option('--out <dir>', 'where scorecard.json (and report/) go (default: <first run>/eval)')
    .option('--overwrite', 'replace an earlier evaluation in the --out folder')
    .option('--report', 'also write the HTML/Markdown report', false)
    .option('--strict', 'image folders: stop at the first unreadable file instead of skipping it')
    .addOption(new Option('--no-progress', 'no progress bars'))
    .action(async (flags) => {
      if (flags.teacher !== undefined) parseTeacherSpec(String(flags.teacher)); // a bad spec fails before any run or data loads
      const { join } = await import('node:path');
      const { existsSync } = await import('node:fs');
      const { initBackend } = await import('../../backend/index.js');
      const { loadRun, teacherForRun } = await import('../../experiment/load-run.js');
      const { evaluateRuns } = await import('../../experiment/evaluate.js');
      const { describeEvalSets, evalSpecsForRun, loadEvalSets, parseClassList, largestRunShape, sharedRunData } = await import('../../experiment/sets.js');
      const { info } = await import('../../util/log.js');
      const { publishEvaluation } = await import('../../experiment/publish.js');
      const { shortSpec } = await import('../../experiment/report-verdict.js');

      const runDirs: string[] = [...flags.run];
      const modelSpecs: string[] = flags.model;
      if (runDirs.length === 0 && modelSpecs.length === 0) throw new UserError('--run: give at least one distill run folder (or --model <export>)');
      // Exported students: their forms and the run folder of the fp32 student each came from, before anything slow.
      const { resolveExportedModels } = await import('../../experiment/exported-cli.js');
      const models = await resolveExportedModels(modelSpecs, runDirs);
      const severities = parseSeverityList(String(flags.severities));
      const corruptions = flags.corruptions ? parseCorruptionList(String(flags.corruptions)) : undefined;
      const idClasses = flags.idClasses ? parseClassList(flags.idClasses) : undefined;
      // Two evaluations never share a folder silently: checked before anything slow runs.
      const outDir: string = flags.out ?? join(runDirs[0]!, 'eval');
      if (existsSync(join(outDir, 'scorecard.json')) && !flags.overwrite) {
        throw new UserError(`${outDir}: already holds an evaluation (scorecard.json); pass --out <another folder>, or --overwrite to replace it`);
      }
      // Evaluation is dominated by large matrix products, which oneDNN makes about 3x faster.
      await initBackend(undefined, { oneDnn: true });

      const runs = [];
      const embedders: Array<{ dispose(): void }> = [];
      try {
        const names = new Set<string>();
        for (const dir of runDirs) {
          const run = await loadRun(dir);
          // Two runs of the same method get their folder names to tell them apart.
          if (names.has(run.name)) run.name = `${run.name}:${dir.split('/').filter(Boolean).pop()}`;
          names.add(run.name);
          runs.push(run);
        }
        const first = runs[0]!;
        // Students distilled from different teachers are only comparable against one teacher the user chooses.
        const other = runs.find((r) => r.summary.teacher.id !== first.summary.teacher.id);
        if (other && !flags.teacher) {
          throw new UserError(`--run: ${first.runDir} was distilled from ${first.summary.teacher.id} but ${other.runDir} from ${other.summary.teacher.id}; pass --teacher <spec> to score every student against that teacher`);
        }
        // Evaluation data follows the runs unless named; runs trained on different images need it named.
        const shape = flags.train ? largestRunShape(runs) : sharedRunData(runs);
        const teacherSpec: string = flags.teacher ?? first.config.teacher;
        const teacher = await teacherForRun(first, teacherSpec, await teacherOptionsFromFlags(flags.teacherPreset, flags.teacherOption));
        try {
          const specs = evalSpecsForRun(first.config, { train: flags.train, test: flags.test, ood: flags.ood ? parseList(String(flags.ood)) : undefined });
          const sets = await loadEvalSets({
            ...specs, ...shape, strict: flags.strict, teacherSize: teacher.decodeSize ?? teacher.inputSize,
            trainLimit: flags.trainLimit, testLimit: flags.testLimit, oodLimit: flags.oodLimit, idClasses, seed: flags.seed,
          });
          info(`teacher: ${teacherSpec}${flags.teacher && other === undefined && flags.teacher !== first.config.teacher ? ` (the runs were distilled from ${first.summary.teacher.id})` : ''}\n${describeEvalSets(sets.records!)}`);
          const { openExportedModels } = await import('../../experiment/exported-cli.js');
          const exported = await openExportedModels(models, runs, embedders);
          const evaluation = await evaluateRuns({
            teacher, runs, sets, cacheDir: flags.cacheDir, seed: flags.seed, progress: flags.progress,
            robustness: flags.robustness > 0 ? { count: flags.robustness, corruptions, severities } : false, exported,
          });
          const { publishExported } = await import('../../experiment/exported-cli.js');
          const preface = await publishExported(outDir, evaluation.exported);
          await publishEvaluation({
            outDir, preface,
            title: `tintem eval: ${shortSpec(teacherSpec)} teacher vs ${[...runs.map((r) => r.name), ...exported.map((e) => e.model)].join(', ')}`,
            config: { eval: { ...flags }, runs: runs.map((r) => ({ name: r.name, runDir: r.runDir, config: r.config })) },
            runs, teacherLabel: `teacher (${shortSpec(teacherSpec)})`, evaluation, sets, report: flags.report,
          });
        } finally {
          teacher.dispose();
        }
      } finally {
        for (const e of embedders) e.dispose();
        for (const r of runs) r.dispose();
      }
    });
}
