/**
 * Where the trainer gets teacher features for a batch: rows of cached embeddings when that augmented view
 * was cached, otherwise a live forward of the teacher on the very pixels the student sees.
 */
import { tf } from '../backend/index.js';
import type { Teacher } from '../teachers/types.js';
import { forwardTeacher } from '../teachers/asyncTeacher.js';
import type { TeacherFeatures } from '../methods/types.js';

/** Cached teacher outputs for every image of the training set in one view. */
export interface CachedView {
  /** count x dim, row i = image i. */
  pooled: Float32Array;
  dim: number;
  /** count x tokenCount x dim, when tokens were cached. */
  tokens?: Float32Array;
  tokenCount: number;
}

export interface TeacherSource {
  readonly dim: number;
  /** Whether features include a token map. */
  readonly hasTokens: boolean;
  /**
   * Teacher features (new tensors; the caller disposes) for images `indices` of the training set in view
   * `viewId`; `pixels` is the batch exactly as the student receives it.
   */
  features(indices: Int32Array, viewId: number, pixels: tf.Tensor4D): Promise<TeacherFeatures>;
  /** Whether view `viewId` comes from the cache (no teacher forward needed). */
  isCached(viewId: number): boolean;
}

/** Copies rows `indices` of a row-major matrix with `rowSize` values per row. */
export function gatherRows(values: Float32Array, rowSize: number, indices: Int32Array): Float32Array {
  const out = new Float32Array(indices.length * rowSize);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    out.set(values.subarray(r * rowSize, (r + 1) * rowSize), i * rowSize);
  }
  return out;
}

export interface TeacherSourceOptions {
  /** Cached views by view id (0 = identity). */
  cached?: Map<number, CachedView>;
  /** Live teacher for views not in the cache. */
  teacher?: Teacher;
  /** Whether to pass the teacher's token map on (TinTeM's local and token losses need it). */
  tokens?: boolean;
}

export function createTeacherSource(opts: TeacherSourceOptions): TeacherSource {
  const cached = opts.cached ?? new Map<number, CachedView>();
  const first = cached.values().next().value as CachedView | undefined;
  const dim = first?.dim ?? opts.teacher?.embedDim;
  if (dim === undefined) throw new Error('createTeacherSource: needs cached views or a live teacher');
  for (const [id, v] of cached) {
    if (v.dim !== dim) throw new Error(`createTeacherSource: cached view ${id} has dim ${v.dim}, expected ${dim}`);
  }
  const wantTokens = opts.tokens ?? true;
  const hasTokens = wantTokens && (first ? first.tokens !== undefined && first.tokenCount > 0 : opts.teacher?.tokenGrid !== undefined);
  return {
    dim,
    hasTokens,
    isCached: (viewId) => cached.has(viewId),
    async features(indices, viewId, pixels) {
      const view = cached.get(viewId);
      if (view) {
        const n = indices.length;
        const pooled = tf.tensor2d(gatherRows(view.pooled, dim, indices), [n, dim]);
        const tokens = hasTokens && view.tokens
          ? tf.tensor3d(gatherRows(view.tokens, view.tokenCount * dim, indices), [n, view.tokenCount, dim])
          : undefined;
        return { pooled, tokens };
      }
      if (!opts.teacher) throw new Error(`teacher features for view ${viewId} are not cached and no live teacher was given`);
      const out = await forwardTeacher(opts.teacher, pixels);
      if (!hasTokens && out.tokens) { out.tokens.dispose(); return { pooled: out.pooled, logits: out.logits }; }
      return out;
    },
  };
}
