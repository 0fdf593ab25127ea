/**
 * The config's keys as rows (key, default, description), read from the schema and the method schemas, for
 * `tintem distill --help` and docs/config.md: the help can never disagree with the defaults actually used.
 */
import { z } from 'zod';
import { baseConfigSchema, type ConfigRegistries } from './schema.js';

export interface ConfigKeyRow {
  key: string;
  /** The default as YAML-ish text ('' when the key has none). */
  default: string;
  help: string;
}

function inner(s: z.ZodType): z.ZodType {
  let t = s;
  for (let i = 0; i < 8; i++) {
    if (t instanceof z.ZodDefault || t instanceof z.ZodPrefault || t instanceof z.ZodOptional) t = t.unwrap() as z.ZodType;
    else break;
  }
  return t;
}

const show = (v: unknown): string => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v).replace(/,/g, ', '));

function rows(schema: z.ZodObject, defaults: Record<string, unknown>, prefix: string, skip: Set<string>): ConfigKeyRow[] {
  const out: ConfigKeyRow[] = [];
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const path = `${prefix}${key}`;
    if (skip.has(path)) continue;
    const body = inner(field);
    if (body instanceof z.ZodObject && !field.description) {
      out.push(...rows(body, (defaults[key] ?? {}) as Record<string, unknown>, `${path}.`, skip));
    } else {
      out.push({ key: path, default: show(defaults[key]), help: field.description ?? body.description ?? '' });
    }
  }
  return out;
}

/** Every config key outside `method`, with its default and description (`teacherOptions.*` from the teacher registry's schema). */
export function baseConfigRows(registries: ConfigRegistries): ConfigKeyRow[] {
  const defaults = baseConfigSchema.parse({}) as Record<string, unknown>;
  return rows(baseConfigSchema, defaults, '', new Set(['method'])).flatMap((row) =>
    row.key === 'teacherOptions' ? rows(registries.teacherOptionsSchema(), {}, 'teacherOptions.', new Set()) : [row]);
}

/** The keys of one method's section (method.name, method.weights.*, method.tokens, its options). */
export function methodConfigRows(registries: ConfigRegistries, name: string): ConfigKeyRow[] {
  const schema = registries.methodSchema(name);
  if (!schema) return [];
  const defaults = schema.parse({ name }) as Record<string, unknown>;
  return rows(schema, defaults, 'method.', new Set(['method.name']));
}

/** Rows as aligned text lines (for --help). */
export function formatRows(list: ConfigKeyRow[], indent = '  '): string {
  const width = Math.max(...list.map((r) => r.key.length));
  const dwidth = Math.min(24, Math.max(...list.map((r) => r.default.length)));
  return list.map((r) => `${indent}${r.key.padEnd(width)}  ${r.default.padEnd(dwidth)}  ${r.help}`.trimEnd()).join('\n');
}
