/**
 * Teacher-feature normalisation (config `teacherNorm`): 'none' (default: the reference's teacher output is used
 * as is), 'center' (subtract the per-dimension mean) or 'standardize' (also divide by the per-dimension std).
 * The statistics are taken once from the cached identity view of the training set (pooled and tokens
 * separately), stored in the run folder as teacher-norm.json, and applied wherever the run's teacher features are
 * used: the training targets and the teacher column of the evaluation. Why it is an option: some teachers'
 * features sit in a narrow cone (InceptionV3 mixed5: mean pairwise cosine about 0.9), where cosine structure is
 * dominated by the shared mean direction.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { sha256 } from '../util/hash.js';
import { quoteName } from '../util/quote.js';
import { MiB, readTextChecked } from '../util/safe-read.js';
import type { CachedView } from './teacher-source.js';

export const TEACHER_NORM_MODES = ['none', 'center', 'standardize'] as const;
export type TeacherNormMode = (typeof TEACHER_NORM_MODES)[number];
export const TEACHER_NORM_FILE = 'teacher-norm.json';

const momentsSchema = z.strictObject({ mean: z.array(z.number()), std: z.array(z.number().nonnegative()) });
const statsSchema = z.strictObject({
  mode: z.enum(TEACHER_NORM_MODES),
  dim: z.number().int().positive(),
  /** Rows the statistics were taken from (images; tokens: images x tokens). */
  count: z.number().int().positive(),
  pooled: momentsSchema,
  tokens: momentsSchema.optional(),
});
export type TeacherNormStats = z.output<typeof statsSchema>;
export type FeatureMoments = z.output<typeof momentsSchema>;

/** Per-dimension mean and (population) std of `rows` x `dim` row-major values, accumulated in float64. */
export function featureMoments(values: Float32Array, dim: number): FeatureMoments {
  const rows = values.length / dim;
  const sum = new Float64Array(dim), sq = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < dim; k++) { const v = values[r * dim + k]!; sum[k]! += v; sq[k]! += v * v; }
  }
  const mean = Array.from(sum, (s) => s / rows);
  const std = Array.from(sq, (s, k) => Math.sqrt(Math.max(0, s / rows - mean[k]! ** 2)));
  return { mean, std };
}

/** Statistics of the identity view (undefined for 'none'). */
export function computeTeacherNorm(mode: TeacherNormMode, view: CachedView): TeacherNormStats | undefined {
  if (mode === 'none') return undefined;
  return {
    mode, dim: view.dim, count: view.pooled.length / view.dim,
    pooled: featureMoments(view.pooled, view.dim),
    tokens: view.tokens && view.tokenCount > 0 ? featureMoments(view.tokens, view.dim) : undefined,
  };
}

/** (x - mean) or (x - mean) / std per dimension, as a new array; a constant dimension (std 0) is only centred. */
export function normalizeFeatures(values: Float32Array, dim: number, moments: FeatureMoments, mode: TeacherNormMode): Float32Array {
  if (mode === 'none') return values;
  if (moments.mean.length !== dim) throw new UserError(`teacherNorm: statistics are for width ${moments.mean.length}, the teacher features have width ${dim}`);
  const scale = moments.std.map((s) => (mode === 'standardize' && s > 1e-12 ? 1 / s : 1));
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) { const k = i % dim; out[i] = (values[i]! - moments.mean[k]!) * scale[k]!; }
  return out;
}

/** A cached view with the run's normalisation applied to pooled and tokens. */
export function normalizeView(view: CachedView, stats: TeacherNormStats | undefined): CachedView {
  if (!stats) return view;
  return {
    ...view,
    pooled: normalizeFeatures(view.pooled, view.dim, stats.pooled, stats.mode),
    tokens: view.tokens && stats.tokens ? normalizeFeatures(view.tokens, view.dim, stats.tokens, stats.mode) : view.tokens,
  };
}

/** The largest teacher-norm.json read (two float arrays of the teacher width, pooled and tokens). */
const MAX_NORM_BYTES = 64 * MiB;

/**
 * teacher-norm.json is sealed: its last key, `sha256`, is the SHA-256 of the JSON of the statistics before it,
 * so an edited file (which would change every evaluation and a resumed run's targets) is refused on read.
 */
export function teacherNormText(stats: TeacherNormStats): string {
  const body = JSON.stringify(stats);
  return `${JSON.stringify({ ...stats, sha256: sha256(body) })}\n`;
}

export async function saveTeacherNorm(runDir: string, stats: TeacherNormStats): Promise<void> {
  await writeFileAtomic(join(runDir, TEACHER_NORM_FILE), teacherNormText(stats));
}

/** The run's stored statistics; a run configured with a teacherNorm other than 'none' must have them. */
export function loadTeacherNorm(runDir: string, mode: TeacherNormMode): TeacherNormStats | undefined {
  if (mode === 'none') return undefined;
  const path = join(runDir, TEACHER_NORM_FILE);
  if (!existsSync(path)) throw new UserError(`${quoteName(path)}: not found (the run was configured with teacherNorm: ${mode}, whose statistics live there)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readTextChecked(path, { what: 'teacher-normalisation statistics', maxBytes: MAX_NORM_BYTES }));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${quoteName(path)}: not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const { sha256: seal, ...body } = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  if (typeof seal !== 'string') throw new UserError(`${quoteName(path)}: has no sha256 seal (written by an older tintem, or edited); re-run distill in a fresh --run-dir`);
  if (sha256(JSON.stringify(body)) !== seal) throw new UserError(`${quoteName(path)}: SHA-256 mismatch with its seal: the statistics were edited or damaged; restore the file, or re-run distill in a fresh --run-dir`);
  const parsed = statsSchema.safeParse(body);
  if (!parsed.success) throw new UserError(`${quoteName(path)}: not teacher-normalisation statistics (${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message})`);
  const s = parsed.data;
  if (s.mode !== mode) throw new UserError(`${quoteName(path)}: holds teacherNorm ${s.mode} statistics, the run's config says ${mode}`);
  for (const m of [s.pooled, ...(s.tokens ? [s.tokens] : [])]) {
    if (m.mean.length !== s.dim || m.std.length !== s.dim) throw new UserError(`${quoteName(path)}: statistics of width ${m.mean.length}, expected ${s.dim}`);
  }
  return s;
}
