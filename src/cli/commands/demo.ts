/**
 * `tintem demo`: the main job on the embedded defaults (built-in teacher, MNIST): distil with TinTeM and
 * Proteus, evaluate against the teacher, write the report. Heavy modules load only when it runs.
 */
import { Command, Option } from 'commander';
import { DEFAULT_CACHE_DIR } from '../../config/defaults.js';
import { teacherEntries } from '../../teachers/registry.js';
import { UserError } from '../../util/errors.js';
import { info } from '../../util/log.js';
import { stopAfterStepOnSignals } from '../signals.js';
import { intArg, parseCorruptionList, parseList, parseSeverityList, studentOptionHelp } from '../options.js';


export function register(program: Command): void {
  program
    .command('demo')
    .description('distil the built-in teacher into a small student with TinTeM and Proteus on MNIST, evaluate faithfulness and write the HTML report')
    .option('--preset <name>', "mnist (default): MNIST digits; photos: colour crops of the bundled natural photos into a 96 px student (teacher at 128 px)", 'mnist')
    .option('--teacher <spec>', `teacher (default inception; photos preset: mobilenet): ${teacherEntries().map((e) => e.usage).join(', ')}`)
    .option('--student <name>', studentOptionHelp("; at the demo's 28 px / 96 px input"))
    .option('--train-limit <n>', 'training images (default: 5000 MNIST / 1024 photo crops)', intArg('--train-limit', 1))
    .option('--test-limit <n>', 'test images for evaluation (default: 2000 / 512)', intArg('--test-limit', 1))
    .option('--ood-limit <n>', 'images per OOD set (default: 1000 / 300)', intArg('--ood-limit', 1))
    .option('--epochs <n>', 'training epochs per method (default: 10 / 8)', intArg('--epochs', 1))
    .option('--methods <list>', 'comma-separated methods to compare (first is the one the verdict is about)', 'tintem,proteus')
    .option('--robustness <n>', 'test images to corrupt for the robustness curves (0 = skip; default 300 / 100)', intArg('--robustness', 0))
    .option('--severities <list>', 'corruption severities (1-5)', '1,3,5')
    .option('--corruptions <list>', 'corruptions to apply (default: all implemented)')
    .option('--seed <n>', 'seed for every random choice', intArg('--seed', 0), 0)
    .option('--out <dir>', 'output folder (runs, scorecard, report)', 'runs/demo')
    .option('--cache-dir <dir>', 'teacher-embedding cache', DEFAULT_CACHE_DIR)
    .option('--fresh', 'discard earlier runs in --out and retrain (the embedding cache is kept)', false)
    .addOption(new Option('--no-progress', 'no progress bars'))
    .action(async (flags) => {
      const { runDemo } = await import('../../experiment/demo.js');
      const { methodNames, isMethodName } = await import('../../methods/registry.js');
      const methods = parseList(String(flags.methods));
      for (const m of methods) if (!isMethodName(m)) throw new UserError(`--methods: unknown method '${m}' (expected ${methodNames().join(', ')})`);
      if (new Set(methods).size !== methods.length || methods.length === 0) throw new UserError('--methods: expected one or more distinct method names');
      const severities = parseSeverityList(String(flags.severities));
      const corruptions = flags.corruptions ? parseCorruptionList(String(flags.corruptions)) : undefined;

      if (flags.preset !== 'mnist' && flags.preset !== 'photos') throw new UserError(`--preset: expected mnist or photos, got '${flags.preset}'`);
      const { DEMO_DEFAULTS, PHOTO_DEMO } = await import('../../experiment/demo.js');
      const base = flags.preset === 'photos' ? { ...DEMO_DEFAULTS, ...PHOTO_DEMO } : DEMO_DEFAULTS;
      const stop = stopAfterStepOnSignals();
      try {
        const r = await runDemo({
          preset: flags.preset, teacher: flags.teacher ?? base.teacher, student: flags.student, trainLimit: flags.trainLimit ?? base.trainLimit,
          testLimit: flags.testLimit ?? base.testLimit, oodLimit: flags.oodLimit ?? base.oodLimit, epochs: flags.epochs ?? base.epochs, methods: methods as never, seed: flags.seed, outDir: flags.out, cacheDir: flags.cacheDir,
          robustnessCount: flags.robustness ?? base.robustnessCount, corruptions, severities, fresh: flags.fresh, progress: flags.progress,
          signal: stop.signal,
        });
        if (r.interrupted) {
          info('tintem: demo interrupted; run the same command again to resume where it stopped');
          process.exitCode = stop.exitCode();
        }
      } finally {
        stop.release();
      }
    });
}
