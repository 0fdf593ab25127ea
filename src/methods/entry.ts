/**
 * What a distillation method's registry entry is (src/methods/registry.ts): its name, summary, loss terms with their
 * default weights, its own zod options, a lazy constructor and an optional preparation step. Each built-in entry
 * lives in its own file under ./entries/. Loads no TensorFlow.
 */
import type { z } from 'zod';
import type { DistillMethod } from './types.js';

/** What a method is built for: the widths it bridges and what the teacher provides. */
export interface MethodContext {
  teacherDim: number;
  studentDim: number;
  /** Whether the teacher's token map is used (the cache holds tokens and `tokens` is on). */
  teacherTokens: boolean;
  seed: number;
}

/** A method's config section as validated: the common keys plus the method's own options (defaults filled in). */
export type MethodSettings<S extends z.ZodRawShape = z.ZodRawShape> = {
  name: string;
  weights: Record<string, number>;
  tokens: boolean;
} & z.output<z.ZodObject<S>>;

/** Cached identity-view teacher embeddings, for methods that initialise from them before step 0. */
export interface CachedTeacherEmbeddings {
  /** count x D, row-major. */
  pooled: Float32Array;
  /** count x T x D, when the teacher has tokens. */
  tokens?: Float32Array;
  count: number;
  seed: number;
}

export interface MethodEntry<S extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  /** One line for help texts and the docs table. */
  summary: string;
  /** Loss terms by name: default weight and what the term measures. */
  terms: Record<string, { weight: number; help: string }>;
  /** The method's own options (besides name, weights and tokens); each with `.default()` and `.describe()`. */
  options: S;
  create(ctx: MethodContext, settings: MethodSettings<S>): Promise<DistillMethod>;
  /** Optional initialisation from the cached teacher embeddings before training starts (not on resume). */
  prepare?(method: DistillMethod, embeddings: CachedTeacherEmbeddings, settings: MethodSettings<S>): Promise<void>;
}

/** Types an entry in its own file (the option shape is inferred, so `create` and `prepare` see typed settings). */
export function defineMethod<S extends z.ZodRawShape>(entry: MethodEntry<S>): MethodEntry<S> {
  return entry;
}
