/** Defaults that several commands share, defined once (this file, like all of config/, imports no pipeline stage). */

/** The teacher a distill, embed, eval or demo uses when none is given. */
export const DEFAULT_TEACHER = 'inception';
/** Where teacher embeddings are cached. */
export const DEFAULT_CACHE_DIR = '.cache/tintem';
/** The distillation method when none is given: the paper's. */
export const DEFAULT_METHOD = 'tintem';
/**
 * Teacher token grid side (tokens = grid^2) when the config sets none: 2x2. Few tokens keep the cache small
 * (4 tokens x 768-d is 12 KB an image instead of 150 KB at 7x7); the student's finer map is pooled to it.
 */
export const DEFAULT_TEACHER_GRID = 2;
