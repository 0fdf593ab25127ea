/**
 * The distillation methods, one registry entry each: name, a one-line summary, the loss terms with their default
 * weights, the method's own options (a zod shape: every option has a default and a description) and a
 * constructor. The config schema, `tintem distill --help`, the demo's method list and docs/config.md are all
 * derived from these entries, so a new method is one `registerMethod` call plus its implementation file.
 *
 * This module loads no TensorFlow: constructors import their implementation lazily, so validating a config
 * (and printing help) stays fast and happens before any data is read.
 */
import { z } from 'zod';
import { DEFAULT_METHOD } from '../config/defaults.js';
import { UserError } from '../util/errors.js';
import { describeError } from '../util/zod-issue.js';
import { keysIn } from '../util/zod-keys.js';
import { DEFAULT_TAUS } from './defaults.js';
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

// Entries of any option shape live in one map; each entry's own generic keeps its create/prepare typed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMethodEntry = MethodEntry<any>;

export { DEFAULT_METHOD };

const entries = new Map<string, AnyMethodEntry>();

/** Adds a method (built-ins below; tests and plug-ins may add their own). Names are unique. */
export function registerMethod<S extends z.ZodRawShape>(entry: MethodEntry<S>): MethodEntry<S> {
  if (!/^[a-z][a-z0-9-]*$/.test(entry.name)) throw new Error(`registerMethod: name '${entry.name}' must be lower-case letters, digits and '-'`);
  if (entries.has(entry.name)) throw new Error(`registerMethod: method '${entry.name}' is already registered`);
  for (const reserved of ['name', 'weights', 'tokens']) {
    if (reserved in entry.options) throw new Error(`registerMethod: option '${reserved}' of method '${entry.name}' is a common key`);
  }
  entries.set(entry.name, entry);
  return entry;
}

/** Removes a method (tests that register an example method clean up after themselves). */
export function unregisterMethod(name: string): void {
  entries.delete(name);
}

export function methodEntries(): AnyMethodEntry[] {
  return [...entries.values()];
}

export function methodNames(): string[] {
  return [...entries.keys()];
}

export function isMethodName(name: string): boolean {
  return entries.has(name);
}

export function getMethodEntry(name: string, where = 'method'): AnyMethodEntry {
  const entry = entries.get(name);
  if (!entry) throw new UserError(`${where}: unknown method '${name}' (expected one of ${methodNames().join(', ')})`);
  return entry;
}

/** The full, strict schema of one method's config section: name, weights (by term), tokens and its options. */
export function methodSettingsSchema(entry: AnyMethodEntry): z.ZodObject {
  const weights = Object.fromEntries(Object.entries(entry.terms).map(([k, t]) => [k, z.number().min(0).default(t.weight).describe(t.help)]));
  return z.strictObject({
    name: z.literal(entry.name).describe(entry.summary),
    weights: z.strictObject(weights).prefault({}),
    tokens: z.boolean().default(true).describe("use the teacher's token map (the token terms; the cache stores tokens)"),
    ...entry.options,
  });
}

/** Validates a method's settings (filling in defaults); errors name `source` and the key path under `method`. */
export function parseMethodSettings(settings: { name?: unknown } & Record<string, unknown>, source = 'method'): MethodSettings {
  const name = settings.name ?? DEFAULT_METHOD;
  if (typeof name !== 'string') throw new UserError(`${source}: method.name: expected a method name, got ${JSON.stringify(name)}`);
  const entry = getMethodEntry(name, `${source}: method.name`);
  const schema = methodSettingsSchema(entry);
  const input = { ...settings, name };
  const r = schema.safeParse(input);
  if (!r.success) throw new UserError(`${source}: ${describeError(r.error, { input, keysAt: keysIn(schema), prefix: ['method'] })}`);
  return r.data as MethodSettings;
}

/** Builds a method from (possibly partial) settings: `{ name: 'tintem' }` gives the paper's defaults. */
export async function createMethod(settings: { name: string } & Record<string, unknown>, ctx: MethodContext): Promise<DistillMethod> {
  const parsed = parseMethodSettings(settings);
  return getMethodEntry(parsed.name).create(ctx, parsed);
}

/** Runs the method's optional initialisation from cached teacher embeddings. */
export async function prepareMethod(method: DistillMethod, settings: MethodSettings, embeddings: CachedTeacherEmbeddings): Promise<void> {
  await getMethodEntry(settings.name).prepare?.(method, embeddings, settings);
}

// ---------------------------------------------------------------------------------------------------------
// Built-in methods. Each implementation file is imported only when the method is built.

const prefitSchema = z.strictObject({
  epochs: z.number().int().positive().default(5).describe('pre-fit epochs'),
  batchSize: z.number().int().min(2).default(256).describe('pre-fit batch size'),
  lr: z.number().positive().default(1e-3).describe('pre-fit learning rate (Adam)'),
});

registerMethod({
  name: 'tintem',
  summary: 'Teacher in the Middle: a teacher head h compresses the teacher, the student learns h(teacher(x)) (the paper)',
  terms: {
    headGlobal: { weight: 1, help: "head: affinity KL between h(teacher) and the teacher across the batch" },
    headLocal: { weight: 1, help: "head: affinity KL within each image's tokens" },
    studentPooled: { weight: 1, help: 'student pooled vs h(teacher pooled)' },
    studentTokens: { weight: 1, help: 'student tokens vs h(teacher tokens)' },
  },
  options: {
    taus: z.array(z.number().positive()).min(1).default([...DEFAULT_TAUS]).describe('temperatures the head losses average over'),
    prefitHead: z.union([prefitSchema, z.literal(false)]).default(false)
      .describe('pre-fit the teacher head on cached embeddings before training (the paper trains all jointly: off)'),
    pcaInit: z.boolean().default(false).describe("initialise the head's Linear from the top principal directions of the teacher embeddings"),
  },
  async create(ctx, s) {
    const { createTintem } = await import('./tintem.js');
    return createTintem({ teacherDim: ctx.teacherDim, studentDim: ctx.studentDim, seed: ctx.seed, weights: s.weights, taus: s.taus, local: ctx.teacherTokens });
  },
  async prepare(method, e, s) {
    if (!s.pcaInit && !s.prefitHead) return;
    const { pcaInitHead, prefitHead } = await import('./tintem.js');
    const { info } = await import('../util/log.js');
    const tintem = method as import('./tintem.js').TintemMethod;
    if (s.pcaInit) pcaInitHead(tintem, e.pooled, e.count);
    if (s.prefitHead) {
      const r = prefitHead(tintem, e.pooled, e.tokens, { ...s.prefitHead, seed: e.seed });
      info(`prefit head: loss ${r.epochLosses.map((l) => l.toFixed(4)).join(' -> ')}`);
    }
  },
});

const projectorTerms = {
  pooled: { weight: 1, help: 'projected student pooled vs teacher pooled' },
  tokens: { weight: 1, help: 'projected student tokens vs teacher tokens' },
};

registerMethod({
  name: 'proteus',
  summary: 'Proteus-style feature matching: a student projector (LN + Linear) trained by MSE to the teacher',
  terms: projectorTerms,
  options: {},
  async create(ctx, s) {
    const { createProteus } = await import('./proteus.js');
    return createProteus({ teacherDim: ctx.teacherDim, studentDim: ctx.studentDim, seed: ctx.seed, weights: s.weights });
  },
});

registerMethod({
  name: 'cosine',
  summary: 'cosine projector: a student projector trained to maximise cosine similarity to the teacher',
  terms: projectorTerms,
  options: {},
  async create(ctx, s) {
    const { createCosine } = await import('./cosine.js');
    return createCosine({ teacherDim: ctx.teacherDim, studentDim: ctx.studentDim, seed: ctx.seed, weights: s.weights });
  },
});

registerMethod({
  name: 'relational',
  summary: "PKT-style relational distillation: match the batch's cosine-similarity distributions",
  terms: { relational: { weight: 1, help: 'KL between teacher and student similarity distributions' } },
  options: {},
  async create(ctx, s) {
    const { createRelational } = await import('./relational.js');
    return createRelational({ teacherDim: ctx.teacherDim, studentDim: ctx.studentDim, weights: s.weights });
  },
});
