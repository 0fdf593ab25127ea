/**
 * `tintem distill`: train a student from a teacher (TinTeM by default). Config file + flags + `--set`,
 * `--dry-run` for a cost estimate, `--resume` to continue a run, Ctrl-C to stop cleanly at a checkpoint.
 */
import type { Command } from 'commander';
import { baseConfigRows, formatRows, methodConfigRows } from '../../config/describe.js';
import type { DistillConfig } from '../../config/schema.js';
import { dataSpecHelp } from '../../data/registry.js';
import { methodEntries } from '../../methods/registry.js';
import { teacherEntries } from '../../teachers/registry.js';
import { distillRegistries } from '../../training/config.js';
import type { DistillSummary } from '../../experiment/distill.js';
import { UserError } from '../../util/errors.js';
import { info } from '../../util/log.js';
import { stopAfterStepOnSignals } from '../signals.js';
import { intArg, numberArg, studentOptionHelp, teacherOptionsFromFlags } from '../options.js';
import { teacherOptionHelp, teacherPresetHelp } from '../../teachers/options.js';

export interface DistillFlags {
  config?: string;
  teacher?: string;
  data?: string;
  limit?: number;
  method?: string;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
  views?: number;
  runDir?: string;
  cacheDir?: string;
  student?: string;
  studentWidth?: number;
  studentDim?: number;
  fp16?: boolean;
  pcaInit?: boolean;
  set: string[];
  teacherPreset?: string;
  teacherOption?: string[];
  teacherPrecision?: string;
  teacherMinCosine?: number;
  resume?: boolean;
  monitor?: number;
  converge?: boolean;
  dryRun?: boolean;
  strict?: boolean;
  progress: boolean;
  backend?: string;
  trainStep?: string;
  precision?: string;
  embedOnly?: boolean;
  shard?: string;
  shardCount?: string;
  cacheOnly?: boolean;
  init?: string;
}

const number = (flag: string, integer = false) => (integer ? intArg(flag, -Infinity) : numberArg(flag));

const collect = (value: string, previous: string[]) => [...previous, value];

/** Flags as dotted config keys (undefined = not given). */
function flagValues(f: DistillFlags): Record<string, unknown> {
  return {
    teacher: f.teacher, 'data.train': f.data, 'data.limit': f.limit, 'method.name': f.method, epochs: f.epochs,
    batchSize: f.batchSize, lr: f.lr, weightDecay: f.weightDecay, seed: f.seed, views: f.views, runDir: f.runDir,
    cacheDir: f.cacheDir, 'student.preset': f.student, 'student.embedDim': f.studentDim, fp16: f.fp16 || undefined, 'method.pcaInit': f.pcaInit || undefined,
    progress: f.progress === false ? false : undefined, trainStep: f.trainStep, precision: f.precision, cacheOnly: f.cacheOnly || undefined,
    init: f.init, teacherPrecision: f.teacherPrecision, 'teacherFidelity.minCosine': f.teacherMinCosine,
  };
}

export async function resolveDistillConfig(f: DistillFlags): Promise<DistillConfig> {
  // Validates everything (method options, loss-weight names, teacher spec) before any data is read.
  const { loadDistillConfig } = await import('../../training/config.js');
  const config = await loadDistillConfig(f.config, { values: flagValues(f), set: f.set });
  const teacherFlags = await teacherOptionsFromFlags(f.teacherPreset, f.teacherOption);
  if (teacherFlags) {
    const { teacherOptionsSchema } = await import('../../teachers/options.js');
    const { describeError } = await import('../../util/zod-issue.js');
    const merged = { ...config.teacherOptions, ...teacherFlags };
    const r = teacherOptionsSchema.safeParse(merged);
    if (!r.success) throw new UserError(`command line: ${describeError(r.error, { input: merged, prefix: ['teacherOptions'] })}`);
    config.teacherOptions = r.data as Record<string, unknown>;
  }
  if (f.studentWidth !== undefined) {
    // The CNN's width is its stem width (stages scale from it); the ViT's is its token width.
    const { studentWidthKey } = await import('../../students/registry.js');
    config.student = { ...config.student, [studentWidthKey(config.student)]: f.studentWidth };
  }
  return config;
}

const bytes = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`);
const duration = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`);

function printTerms(summary: DistillSummary): void {
  const names = Object.keys(summary.finalTerms);
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = [`${'term'.padEnd(width)}  first epoch  last epoch`];
  for (const k of names) {
    lines.push(`${k.padEnd(width)}  ${(summary.firstEpochTerms[k] ?? NaN).toFixed(5).padStart(11)}  ${summary.finalTerms[k]!.toFixed(5).padStart(10)}`);
  }
  lines.push(`${summary.steps} steps, ${summary.imagesPerSec.toFixed(0)} images/s, ${duration(summary.trainSeconds)} training`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The command line to continue an interrupted run. */
function resumeCommand(): string {
  const args = process.argv.slice(2).filter((a) => a !== '--resume');
  const quoted = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  return `tintem ${[...quoted, '--resume'].join(' ')}`;
}

/** Every config key with its default and meaning, from the schema and the registries (never out of date). */
function configHelp(): string {
  const methods = methodEntries().map((m) => `\n  ${m.name}: ${m.summary}\n${formatRows(methodConfigRows(distillRegistries, m.name), '    ')}`);
  const teachers = teacherEntries().map((t) => `  ${t.usage.padEnd(22)}  ${t.summary}`);
  return [
    '', 'Config keys (config file, or --set key=value), with defaults:', formatRows(baseConfigRows(distillRegistries)),
    '', 'Methods (method.name) and their keys:', ...methods,
    '', 'Teachers (teacher / --teacher):', ...teachers, '',
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('distill')
    .description('distil a teacher into a small student (TinTeM by default); resumable; Ctrl-C, SIGTERM and SIGHUP save a checkpoint')
    .option('-c, --config <file>', 'YAML or JSON config file (flags and --set override it)')
    .option('--teacher <spec>', `teacher: ${teacherEntries().map((e) => e.usage).join(', ')}`)
    .option('--teacher-preset <name>', teacherPresetHelp())
    .option('--teacher-option <key=value>', teacherOptionHelp(), collect, [])
    .option('--data <spec>', `training images: ${dataSpecHelp()}`)
    .option('--limit <n>', 'use only the first n training images', number('--limit', true))
    .option('--method <name>', `distillation method: ${methodEntries().map((e) => e.name).join(', ')}`)
    .option('--epochs <n>', 'training epochs', number('--epochs', true))
    .option('--batch-size <n>', 'images per step', number('--batch-size', true))
    .option('--lr <x>', 'peak learning rate (AdamW)', number('--lr'))
    .option('--weight-decay <x>', 'decoupled weight decay', number('--weight-decay'))
    .option('--seed <n>', 'seed for initialisation, shuffling and augmentation', number('--seed', true))
    .option('--views <n>', 'cached augmented views per image besides the original', number('--views', true))
    .option('--run-dir <dir>', 'where checkpoints, logs and the trained student go')
    .option('--cache-dir <dir>', 'teacher-embedding cache')
    .option('--teacher-precision <p>', 'teacher pass precision: fp32 (default), int8 (ONNX teachers) or bf16; checked against fp32 first')
    .option('--teacher-min-cosine <x>', 'fidelity check: smallest token cosine a quantised teacher must reach (default 0.995)', number('--teacher-min-cosine'))
    .option('--student <name>', studentOptionHelp())
    .option('--student-width <n>', 'student width (CNN stem channels / ViT width)', number('--student-width', true))
    .option('--student-dim <n>', 'student embedding dimension d', number('--student-dim', true))
    .option('--fp16', 'store cached teacher embeddings as float16')
    .option('--pca-init', 'initialise the TinTeM head from principal directions of the teacher embeddings')
    .option('--set <key=value>', 'set any config key, e.g. --set method.weights.headLocal=0.5 (repeatable)', collect, [])
    .option('--init <dir>', 'start the student from an earlier one: a run folder (student + head) or an export folder (student; fresh head); same architecture')
    .option('--resume', 'continue the run in --run-dir from its checkpoint')
    .option('--dry-run', 'print the resolved config and cost estimates, then exit')
    .option('--strict', 'image folders: stop at the first unreadable file instead of skipping it')
    .option('--no-progress', 'no progress bar')
    .option('--backend <name>', 'tensorflow (native), wasm or cpu')
    .option('--train-step <path>', 'auto, graph (each step one TensorFlow graph) or eager')
    .option('--precision <p>', 'training precision: auto (bf16 where the CPU has amx_bf16 / avx512_bf16), fp32 or bf16')
    .option('--embed-only', "only fill the teacher cache with every view this run needs, then exit (no training)")
    .option('--shard <i/n|auto>', 'with --embed-only: fill only shard i of n (0-based), or auto from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX')
    .option('--shard-count <n>', 'with --shard auto on a Kubernetes Indexed Job: the number of shards (or set TINTEM_SHARD_COUNT)')
    .option('--cache-only', 'train only from the cache: refuse to start if it lacks any entry the run needs; never load the teacher')
    .option('--monitor <n>', 'hold n training images out of training and log label-free faithfulness on them every epoch (CKA, mutual kNN, RankMe)', intArg('--monitor', 1))
    .option('--converge', 'train the budget, then a run 1.5x as long from the same seed, and so on, until a held-out comparison shows no gain beyond its noise floor (runs in <run-dir>/e<epochs>; docs/convergence.md)')
    .addHelpText('after', configHelp)
    .action(async (flags: DistillFlags) => {
      if (flags.shard !== undefined && !flags.embedOnly) throw new UserError('--shard: only applies with --embed-only (training uses the whole cache)');
      if (flags.shardCount !== undefined && flags.shard !== 'auto') throw new UserError('--shard-count: only applies with --shard auto');
      if (flags.embedOnly && (flags.dryRun || flags.resume)) throw new UserError(`--embed-only: cannot be combined with ${flags.dryRun ? '--dry-run' : '--resume'}`);
      const config = await resolveDistillConfig(flags);
      const { initBackend } = await import('../../backend/index.js');
      const { configToYaml } = await import('../../config/load.js');
      const { estimateDistill, runDistill } = await import('../../experiment/distill.js');
      if (flags.embedOnly) {
        await initBackend(flags.backend);
        const { parseShard, formatShard } = await import('../../cache/shard-plan.js');
        const { fillDistillCache } = await import('../../experiment/cache-plan.js');
        const shard = flags.shard === undefined ? undefined : parseShard(flags.shard, process.env, flags.shardCount);
        const r = await fillDistillCache(config, { shard });
        process.stdout.write(`filled ${config.cacheDir}${shard ? ` shard ${formatShard(shard)}` : ''}: ${r.images} images x ${r.views} view(s), `
          + `${r.hits} cached, ${r.misses} computed in ${duration(r.seconds)}\n`);
        return;
      }
      const { trainingOneDnn } = await import('../../config/resolve.js');
      await initBackend(flags.backend, { oneDnn: trainingOneDnn(config) });
      // --init <export> is read through the export stage's verifying open, which registers itself on load.
      if (config.init !== undefined) await import('../../export/verify.js');
      if (flags.dryRun) {
        process.stdout.write(configToYaml(config));
        const e = await estimateDistill(config, { strict: flags.strict });
        const { formatFitRows } = await import('../../methods/student-fit.js');
        process.stdout.write([
          '',
          `images                 ${e.images} x ${e.views + 1} view(s)`,
          `teacher                ${e.teacherId} (${e.teacherDim}-d${e.tokenCount ? `, ${e.tokenCount} tokens` : ''})`,
          `teacher forwards       ${e.teacherForwards} (at most; cached images are reused)`,
          `cache size             ${bytes(e.cacheBytes)} (${e.cacheBytes} bytes)`,
          `teacher time           ${duration(e.embedSeconds)} (${(e.teacherSecondsPerImage * 1000).toFixed(2)} ms/image)`,
          `training               ${e.totalSteps} steps (${e.stepsPerEpoch}/epoch), ${duration(e.trainSeconds)} (${(e.trainSecondsPerStep * 1000).toFixed(0)} ms/step)`,
          `training memory        ${bytes(e.trainBytes)} predicted (${bytes(e.availableBytes)} available)`,
          ...formatFitRows(e.studentRows),
          `estimated total        ${duration(e.embedSeconds + e.trainSeconds)}`,
          ...(e.fewSteps ? [`warning                ${e.fewSteps}`] : []),
          '',
        ].join('\n'));
        return;
      }

      // Ctrl-C, SIGTERM and SIGHUP stop after the current step with a checkpoint (signals.ts).
      const stop = stopAfterStepOnSignals();
      try {
        if (flags.converge) {
          if (flags.resume) throw new UserError('--converge: cannot be combined with --resume (each budget is its own run folder under --run-dir)');
          const { runConverge } = await import('../../experiment/converge-run.js');
          const c = await runConverge(config, { monitor: flags.monitor ?? 'auto', strict: flags.strict, signal: stop.signal });
          if (c.interrupted) {
            info(`tintem: interrupted after step ${c.interrupted.step}; the finished budgets are kept in ${config.runDir}`);
            process.exitCode = stop.exitCode();
            return;
          }
          process.stdout.write(`${c.converged ? `converged at ${c.epochs} epochs` : `not converged after ${c.runs.length} runs (up to ${c.epochs} epochs)`}: use ${c.runDir} (comparisons in ${config.runDir}/converge.json)\n`);
          return;
        }
        const r = await runDistill(config, { resume: flags.resume, strict: flags.strict, signal: stop.signal, monitor: flags.monitor });
        if (r.interrupted) {
          info(`tintem: interrupted after step ${r.step}; checkpoint saved to ${r.checkpointPath}`);
          info(`tintem: resume with: ${resumeCommand()}`);
          process.exitCode = stop.exitCode();
          return;
        }
        printTerms(r.summary!);
        info(`student saved to ${r.runDir}/student, summary in ${r.runDir}/summary.json`);
      } catch (e) {
        if (stop.signal.aborted && (e as Error).name === 'AbortError') {
          info('tintem: interrupted while filling the teacher cache; finished shards are kept, run the same command again to continue');
          process.exitCode = stop.exitCode();
          return;
        }
        throw e;
      } finally {
        stop.release();
      }
    });
}
