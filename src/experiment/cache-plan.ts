/**
 * The cache entries a `tintem distill` config needs (its dataset x teacher x views, at its token grid and
 * precision), for filling them ahead of training (`distill --embed-only --shard i/n` on a job array), checking
 * them (`cache verify --config`); runDistill's `cacheOnly` check uses the same views (requireCoverage).
 */
import { embedWithCache } from '../cache/index.js';
import type { CoverageRequest } from '../cache/maintenance.js';
import type { ShardSpec } from '../cache/shard-plan.js';
import type { DistillConfig } from '../config/schema.js';
import type { ImageSet } from '../data/types.js';
import { createStudent } from '../students/index.js';
import { checkTeacherFidelity, teacherPrecisionOptions } from '../teachers/fidelity.js';
import { createTeacher } from '../teachers/index.js';
import { teacherOptionsOf } from '../teachers/options.js';
import type { Teacher } from '../teachers/types.js';
import { checkTeacherGrid, loadTeacherData, loadTrainingData, resolveStudentSpec, teacherGridFor, viewSpecs } from './distill.js';

export interface DistillCachePlan extends CoverageRequest {
  /** Lazy: loads its weights only when an entry has to be computed. The caller disposes it. */
  teacher: Teacher;
  set: ImageSet;
}

/** Dataset, (lazy) teacher at the run's token grid, and views of a distill config, exactly as runDistill builds them. */
export async function distillCachePlan(config: DistillConfig): Promise<DistillCachePlan> {
  const studentSet = await loadTrainingData(config);
  const spec = resolveStudentSpec(config, studentSet);
  // The teacher's grid follows the student's token map; building the student is the one way to know it.
  const student = createStudent(spec, config.seed);
  const grid = teacherGridFor(config, student.tokenGrid);
  const studentGrid = student.tokenGrid;
  student.dispose();
  const teacher = await createTeacher(config.teacher, { grid, lazy: true, teacher: teacherOptionsOf(config.teacherOptions), ...teacherPrecisionOptions(config) });
  // The images as runDistill hands them to the teacher (decoded again at its resolution where the source allows):
  // the entries' keys hash those pixels, so filling or checking the student-resolution ones would miss every entry.
  let set: ImageSet;
  try {
    if (config.method.tokens) checkTeacherGrid(config, teacher, studentGrid);
    set = await loadTeacherData(config, studentSet, teacher);
    await checkTeacherFidelity(teacher, set, config);
  } catch (e) {
    teacher.dispose();
    throw e;
  }
  return { teacher, set, views: viewSpecs(config, studentSet.channels), tokens: config.method.tokens, fp16: config.fp16 };
}

export interface FillSummary { images: number; views: number; hits: number; misses: number; seconds: number }

/** Fills the cache for every view of the config, for all images or only shard i/n's; trains nothing. */
export async function fillDistillCache(config: DistillConfig, opts: { shard?: ShardSpec; signal?: AbortSignal } = {}): Promise<FillSummary> {
  const plan = await distillCachePlan(config);
  const total: FillSummary = { images: 0, views: plan.views.length, hits: 0, misses: 0, seconds: 0 };
  try {
    for (const view of plan.views) {
      const r = await embedWithCache(plan.teacher, plan.set, {
        cacheDir: config.cacheDir, view, batchSize: config.teacherBatchSize, fp16: config.fp16, tokens: config.method.tokens,
        progress: config.progress && Boolean(process.stderr.isTTY), signal: opts.signal, shard: opts.shard,
      });
      total.images = r.pooled.length / Math.max(1, r.dim);
      total.hits += r.hits; total.misses += r.misses; total.seconds += r.seconds;
    }
  } finally {
    plan.teacher.dispose();
  }
  return total;
}

