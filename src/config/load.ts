/**
 * Loads the distill config: a YAML or JSON file (optional), then command-line overrides (flags and
 * `--set key.path=value`), validated by the strict schema. Any problem is one UserError line naming the
 * source and key path, e.g. "config.yaml: method.weights.headGlobal: expected number, got string".
 */
import YAML from 'yaml';
import type { z } from 'zod';
import { UserError } from '../util/errors.js';
import { quoteName } from '../util/quote.js';
import { MiB, readFileChecked } from '../util/safe-read.js';
import { distillConfigSchema, type DistillConfig } from './schema.js';

export interface ConfigOverrides {
  /** Values by dotted key path (what the CLI flags set), applied first. */
  values?: Record<string, unknown>;
  /** 'key.path=value' strings; the value is parsed as YAML (numbers, booleans, lists), applied last. */
  set?: string[];
}

const COMMAND_LINE = 'command line';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);

function typeName(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  // NaN and Infinity are numbers to JavaScript, but "expected number, got number" helps nobody.
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}

function at(root: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((x, k) => (isObj(x) || Array.isArray(x) ? (x as Obj)[k as string] : undefined), root);
}

/** Keys an object schema accepts at `path` (unwrapping defaults/optionals), for "unknown key" messages. */
function knownKeys(path: PropertyKey[]): string[] {
  // zod's public types do not expose def internals uniformly; walk them structurally.
  type Def = { type: string; innerType?: { def: Def }; shape?: Record<string, { def: Def }>; options?: Array<{ def: Def }> };
  let def: Def | undefined = (distillConfigSchema as unknown as { def: Def }).def;
  const unwrap = (d: Def | undefined): Def | undefined => {
    while (d && d.innerType) d = d.innerType.def;
    if (d?.type === 'union') return d.options?.map((o) => unwrap(o.def)).find((o) => o?.type === 'object');
    return d;
  };
  for (const key of path) {
    def = unwrap(def);
    def = def?.shape?.[key as string]?.def;
  }
  def = unwrap(def);
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** The first issue as one line: '<source>: <key.path>: <what was expected>'. */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown, source: string): string {
  const path = issue.path.map(String).join('.');
  const where = (p: string) => `${source}: ${p || '(top level)'}`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      const known = knownKeys(issue.path);
      const hint = known.length ? ` (expected one of: ${known.join(', ')})` : '';
      return `${where(path ? `${path}.${key}` : key)}: unknown key${hint}`;
    }
    case 'invalid_type':
      return `${where(path)}: expected ${issue.expected}, got ${typeName(at(input, issue.path))}`;
    case 'invalid_union':
      return `${where(path)}: unexpected value ${JSON.stringify(at(input, issue.path))}`;
    default: {
      const msg = issue.message.replace(/^Invalid input: /, '').replace(/, received /, ', got ');
      return `${where(path)}: ${msg.charAt(0).toLowerCase()}${msg.slice(1)}`;
    }
  }
}

/** A config is a page of settings: caps that keep a stray 50 MB value out of config.yaml, checkpoints and summaries. */
export const CONFIG_LIMITS = { fileBytes: 1 * MiB, stringChars: 4096, arrayItems: 1024, objectKeys: 1024, depth: 16 } as const;

/** Throws a one-line UserError naming the first value over {@link CONFIG_LIMITS}. */
export function checkConfigBounds(value: unknown, source: string, path: string[] = []): void {
  const where = () => `${source}: ${path.join('.') || '(top level)'}`;
  if (path.length > CONFIG_LIMITS.depth) throw new UserError(`${where()}: nested deeper than ${CONFIG_LIMITS.depth} levels`);
  if (typeof value === 'string' && value.length > CONFIG_LIMITS.stringChars) {
    throw new UserError(`${where()}: a ${value.length}-character value is longer than the ${CONFIG_LIMITS.stringChars}-character limit`);
  }
  if (Array.isArray(value)) {
    if (value.length > CONFIG_LIMITS.arrayItems) throw new UserError(`${where()}: a list of ${value.length} items is longer than the ${CONFIG_LIMITS.arrayItems}-item limit`);
    value.forEach((v, i) => checkConfigBounds(v, source, [...path, String(i)]));
  } else if (isObj(value)) {
    const keys = Object.keys(value);
    if (keys.length > CONFIG_LIMITS.objectKeys) throw new UserError(`${where()}: ${keys.length} keys is more than the ${CONFIG_LIMITS.objectKeys}-key limit`);
    for (const k of keys) {
      if (k.length > 256) throw new UserError(`${where()}: a ${k.length}-character key name is too long`);
      checkConfigBounds(value[k], source, [...path, k]);
    }
  }
}

function validate(input: unknown, source: string): DistillConfig {
  checkConfigBounds(input, source);
  const r = distillConfigSchema.safeParse(input);
  if (!r.success) throw new UserError(formatIssue(r.error.issues[0]!, input, source));
  return r.data;
}

/** Parses config text (YAML, which includes JSON) into a plain object; `source` names the file in errors. */
export function parseConfigText(text: string, source: string): Obj {
  let value: unknown;
  try {
    value = source.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    const err = e as Error & { linePos?: Array<{ line: number; col: number }> };
    const line = err.linePos?.[0] ? `line ${err.linePos[0].line}: ` : '';
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new UserError(`${source}: not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${line}${message}`);
  }
  if (value === null || value === undefined) return {};
  if (!isObj(value)) throw new UserError(`${source}: expected a mapping of config keys at the top level, got ${typeName(value)}`);
  return value;
}

/** Sets `root[a][b]... = value` for a dotted path, creating objects on the way. */
export function setPath(root: Obj, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  if (keys.some((k) => !k)) throw new UserError(`${COMMAND_LINE}: '${dotted}': expected a dotted key path like method.weights.headGlobal`);
  let node = root;
  keys.slice(0, -1).forEach((k, i) => {
    if (node[k] === undefined) node[k] = {};
    if (!isObj(node[k])) throw new UserError(`${COMMAND_LINE}: ${keys.slice(0, i + 1).join('.')}: is a ${typeName(node[k])}, cannot set '${dotted}'`);
    node = node[k] as Obj;
  });
  node[keys.at(-1)!] = value;
}

/** Splits 'key.path=value' and parses the value as YAML (so 0.01 is a number, true a boolean, [1, 2] a list). */
export function parseSetting(setting: string): [string, unknown] {
  const eq = setting.indexOf('=');
  if (eq <= 0) throw new UserError(`--set '${setting}': expected key.path=value`);
  const key = setting.slice(0, eq).trim();
  const text = setting.slice(eq + 1);
  let value: unknown;
  try {
    value = text.trim() === '' ? '' : YAML.parse(text);
  } catch {
    value = text;
  }
  return [key, value];
}

/**
 * Resolves the config: defaults <- file (validated, errors name the file) <- overrides (errors name the
 * command line). Returns the fully defaulted config.
 */
export async function loadConfig(path?: string, overrides: ConfigOverrides = {}): Promise<DistillConfig> {
  let raw: Obj = {};
  if (path) {
    // A regular file of bounded size: a FIFO or /dev/zero given as --config must not block or fill memory.
    const text = readFileChecked(path, { what: 'config file', maxBytes: CONFIG_LIMITS.fileBytes }).toString('utf8');
    raw = parseConfigText(text, quoteName(path));
    validate(raw, quoteName(path));
  }
  const merged = structuredClone(raw);
  const settings = [
    ...Object.entries(overrides.values ?? {}).filter(([, v]) => v !== undefined),
    ...(overrides.set ?? []).map(parseSetting),
  ];
  if (settings.length === 0) return validate(merged, path ? quoteName(path) : COMMAND_LINE);
  for (const [key, value] of settings) setPath(merged, key, value);
  return validate(merged, COMMAND_LINE);
}

/** The resolved config as YAML (for --dry-run and runDir/config.yaml). */
export function configToYaml(config: DistillConfig): string {
  return YAML.stringify(config);
}
