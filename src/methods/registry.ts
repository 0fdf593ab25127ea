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
import { createRegistry } from '../util/registry.js';
import type { CachedTeacherEmbeddings, MethodContext, MethodEntry, MethodSettings } from './entry.js';
import { cosineMethod } from './entries/cosine.js';
import { proteusMethod } from './entries/proteus.js';
import { relationalMethod } from './entries/relational.js';
import { tintemMethod } from './entries/tintem.js';
import type { DistillMethod } from './types.js';

export type { CachedTeacherEmbeddings, MethodContext, MethodEntry, MethodSettings } from './entry.js';
export { defineMethod } from './entry.js';

// Entries of any option shape live in one map; each entry's own generic keeps its create/prepare typed.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyMethodEntry = MethodEntry<any>;

export { DEFAULT_METHOD };

const methods = createRegistry<AnyMethodEntry>('method', {
  check(entry) {
    for (const reserved of ['name', 'weights', 'tokens']) {
      if (reserved in entry.options) throw new Error(`registerMethod: option '${reserved}' of method '${entry.name}' is a common key`);
    }
  },
});

/** Adds a method (built-ins below; tests and plug-ins may add their own). Names are unique. */
export function registerMethod<S extends z.ZodRawShape>(entry: MethodEntry<S>): MethodEntry<S> {
  methods.register(entry);
  return entry;
}

/** Removes a method (tests that register an example method clean up after themselves). */
export function unregisterMethod(name: string): void {
  methods.unregister(name);
}

export function methodEntries(): AnyMethodEntry[] {
  return methods.entries();
}

export function methodNames(): string[] {
  return methods.names();
}

export function isMethodName(name: string): boolean {
  return methods.has(name);
}

export function getMethodEntry(name: string, where = 'method'): AnyMethodEntry {
  return methods.get(name, where);
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

// Built-in methods, one file each under ./entries/ (their implementations are imported only when built).
registerMethod(tintemMethod);
registerMethod(proteusMethod);
registerMethod(cosineMethod);
registerMethod(relationalMethod);
