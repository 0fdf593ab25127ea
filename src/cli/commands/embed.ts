/** `tintem embed`: computes (or reads from the cache) teacher embeddings for a dataset and prints a summary. */
import type { Command } from 'commander';
import { extname } from 'node:path';
import type { CachedEmbeddings } from '../../cache/index.js';
import type { ViewSpec } from '../../data/index.js';
import { dataSpecHelp } from '../../data/registry.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { UserError } from '../../util/errors.js';
import { intOption, teacherOptionsFromFlags } from '../options.js';

import { DEFAULT_CACHE_DIR, DEFAULT_TEACHER } from '../../config/defaults.js';
import { parseTeacherSpec, teacherEntries } from '../../teachers/registry.js';
import { teacherOptionHelp, teacherPresetHelp } from '../../teachers/options.js';

export { DEFAULT_CACHE_DIR };

interface EmbedCliOptions {
  teacher: string;
  data: string;
  limit?: string;
  cacheDir: string;
  batchSize: string;
  fp16?: boolean;
  tokens: boolean;
  view: string;
  seed: string;
  cropScale: string;
  flip?: boolean;
  cut?: string;
  inputSize?: string;
  grid?: string;
  teacherOutput?: string;
  teacherPreset?: string;
  teacherOption: string[];
  out?: string;
  model?: string;
  strict?: boolean;
  progress: boolean;
  shard?: string;
  shardCount?: string;
  imagesPerFile?: string;
}


/** View id 0 is the identity; other ids are seeded random resized crops (and optional flips). */
export function viewFromOptions(id: number, seed: number, cropScale: string, flip: boolean): ViewSpec {
  if (id === 0) return { id: 0, seed };
  const scale = cropScale.split(',').map(Number);
  if (scale.length !== 2 || !scale.every(Number.isFinite)) throw new UserError(`--crop-scale: expected '<min>,<max>', got '${cropScale}'`);
  return { id, seed, crop: { scale: [scale[0]!, scale[1]!], ratio: [3 / 4, 4 / 3] }, flip };
}

async function writeExport(path: string, result: CachedEmbeddings, meta: Record<string, unknown>): Promise<void> {
  const count = result.pooled.length / result.dim;
  const header = { ...meta, count, dim: result.dim, tokenCount: result.tokens ? result.tokenCount : 0 };
  if (extname(path) === '.json') {
    const rows = (values: Float32Array, size: number) => Array.from({ length: values.length / size }, (_, i) => Array.from(values.subarray(i * size, (i + 1) * size)));
    await writeFileAtomic(path, JSON.stringify({
      ...header, pooled: rows(result.pooled, result.dim),
      tokens: result.tokens ? rows(result.tokens, result.tokenCount * result.dim) : undefined,
    }));
  } else if (extname(path) === '.bin') {
    // Raw little-endian float32: pooled (count x dim) then tokens (count x tokenCount x dim); layout in <out>.json.
    const parts = [result.pooled, ...(result.tokens ? [result.tokens] : [])].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    await writeFileAtomic(path, Buffer.concat(parts));
    await writeFileAtomic(`${path}.json`, JSON.stringify({ ...header, layout: 'float32 LE: pooled [count, dim] then tokens [count, tokenCount, dim]' }, null, 2));
  } else {
    throw new UserError(`--out: expected a path ending in .json or .bin, got '${path}'`);
  }
}

export function register(program: Command): void {
  program
    .command('embed')
    .description('compute teacher embeddings for a dataset into the on-disk cache (a second run is all cache hits)')
    .option('--teacher <spec>', teacherEntries().map((e) => e.usage).join(' | '), DEFAULT_TEACHER)
    .option('--data <spec>', dataSpecHelp(), 'mnist:train')
    .option('--limit <n>', 'use only the first n images')
    .option('--cache-dir <dir>', 'cache folder', DEFAULT_CACHE_DIR)
    .option('--batch-size <n>', 'images per teacher forward', '64')
    .option('--fp16', 'store embeddings as float16 (half the size)')
    .option('--no-tokens', 'cache only pooled embeddings, not the token grid')
    .option('--view <id>', 'augmentation view (0 = identity)', '0')
    .option('--seed <n>', 'augmentation seed', '0')
    .option('--crop-scale <min,max>', 'random resized crop area range for views > 0', '0.6,1')
    .option('--flip', 'horizontal flips for views > 0')
    .option('--cut <layer>', 'built-in teachers: layer to cut the trunk at')
    .option('--input-size <px>', "side the teacher resizes images to (default: the teacher's)")
    .option('--grid <n>', 'token grid side (tokens = n*n)')
    .option('--teacher-output <name>', 'tfjs/onnx teachers: output layer/node name')
    .option('--teacher-preset <name>', teacherPresetHelp())
    .option('--teacher-option <key=value>', teacherOptionHelp(), (v: string, p: string[]) => [...p, v], [])
    .option('--out <file>', 'also export the embeddings (.json or .bin)')
    .option('--model <dir>', 'embed with an exported student (`tintem export` folder) instead of the teacher; nothing is cached')
    .option('--strict', 'image folders: stop at the first unreadable file instead of skipping it')
    .option('--no-progress', 'no progress bar')
    .option('--shard <i/n|auto>', 'embed only shard i of n (0-based; split by image content), or auto: from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX')
    .option('--shard-count <n>', 'with --shard auto on a Kubernetes Indexed Job: the number of shards (or set TINTEM_SHARD_COUNT)')
    .option('--images-per-file <n>', 'images per cache shard file (default 512)')
    .action(async (o: EmbedCliOptions) => {
      if (o.out && !['.json', '.bin'].includes(extname(o.out))) throw new UserError(`--out: expected a path ending in .json or .bin, got '${o.out}'`);
      const limit = intOption('--limit', o.limit, 1);
      const batchSize = intOption('--batch-size', o.batchSize, 1, 4096)!; // a batch is resized to the teacher's input: bound it
      const viewId = intOption('--view', o.view, 0)!;
      const seed = intOption('--seed', o.seed, 0)!;
      const view = viewFromOptions(viewId, seed, o.cropScale, Boolean(o.flip));
      if (!o.model) parseTeacherSpec(o.teacher); // a bad spec fails before the dataset loads
      const { parseShard, formatShard } = await import('../../cache/shard-plan.js');
      if (o.shardCount !== undefined && o.shard !== 'auto') throw new UserError(`--shard-count: only applies with --shard auto (give --shard i/n otherwise)`);
      if (o.shard && o.model) throw new UserError('--shard: applies to teacher embeddings (the cache), not to --model');
      const shard = o.shard === undefined ? undefined : parseShard(o.shard, process.env, o.shardCount);
      const imagesPerFile = intOption('--images-per-file', o.imagesPerFile, 1);
      // Heavy modules load only when the command runs, so `tintem --help` stays fast.
      const [{ initBackend, backendInfo }, { embedWithCache }, { isRedecodable, loadDataset }, { createTeacher }] = await Promise.all([
        import('../../backend/index.js'), import('../../cache/index.js'), import('../../data/index.js'), import('../../teachers/index.js'),
      ]);
      // Built-in teachers load lazily, so an all-hit run on images loaded at their own size never starts the native backend (embedWithCache starts
      // it on the first miss); every other path needs it now.
      const builtin = /^(inception|mobilenet)(:|$)/.test(o.teacher) && !isRedecodable(o.data) && !o.model;
      if (!builtin) await initBackend();
      const teacherOptions = await teacherOptionsFromFlags(o.teacherPreset, o.teacherOption);
      if (o.model) {
        const set = await loadDataset(o.data, { limit, seed, strict: o.strict });
        const { loadStudent } = await import('../../export/index.js');
        const student = await loadStudent(o.model);
        try {
          const started = performance.now();
          const pooled = await student.embed(set, { batchSize });
          const seconds = (performance.now() - started) / 1000;
          const dim = student.meta.embedDim;
          process.stdout.write(`embedded ${set.count} images of ${o.data} with the student in ${o.model} on ${backendInfo()?.name}: dim ${dim} in ${seconds.toFixed(2)} s (${(set.count / seconds).toFixed(1)} img/s)\n`);
          if (o.out) {
            await writeExport(o.out, { pooled, dim, tokenCount: 0, hits: 0, misses: set.count, seconds }, { model: o.model, data: o.data });
            process.stdout.write(`wrote ${o.out}\n`);
          }
        } finally {
          student.dispose();
        }
        return;
      }
      const teacher = await createTeacher(o.teacher, {
        cut: o.cut, output: o.teacherOutput, inputSize: intOption('--input-size', o.inputSize, 8), grid: intOption('--grid', o.grid, 1), lazy: true,
        teacher: teacherOptions,
      });
      try {
        // Decoded at the teacher's own resolution where the source can be (image folders, photos); others keep their own size.
        const decode = teacher.decodeSize ?? teacher.inputSize;
        const set = await loadDataset(o.data, { limit, seed, strict: o.strict, size: isRedecodable(o.data) ? decode : undefined });
        const result = await embedWithCache(teacher, set, {
          cacheDir: o.cacheDir, view, batchSize, fp16: o.fp16, tokens: o.tokens, progress: o.progress && Boolean(process.stderr.isTTY), quiet: true,
          shard, shardSize: imagesPerFile,
        });
        const rows = result.indices ? result.indices.length : set.count;
        const which = shard ? `${rows} of ${set.count} images (shard ${formatShard(shard)})` : `${set.count} images`;
        const rate = result.misses > 0 ? `, ${(result.misses / result.seconds).toFixed(1)} img/s computed` : '';
        process.stdout.write(
          `embedded ${which} of ${o.data} with ${teacher.id} ${result.misses === 0 ? 'from the cache' : `on ${/^onnx:/.test(o.teacher) ? 'onnxruntime' : backendInfo()?.name ?? 'no backend'}`}: dim ${result.dim}, tokens ${result.tokens ? result.tokenCount : 0}; `
          + `${result.hits} hits, ${result.misses} misses in ${result.seconds.toFixed(2)} s${rate} (cache ${o.cacheDir})\n`,
        );
        if (o.out) {
          await writeExport(o.out, result, { teacher: teacher.id, data: o.data, view, ...(result.indices ? { shard: formatShard(shard!), indices: Array.from(result.indices) } : {}) });
          process.stdout.write(`wrote ${o.out}\n`);
        }
      } finally {
        teacher.dispose();
      }
    });
}
